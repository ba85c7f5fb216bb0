"""What the provider stores: clients, users and issued tokens."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from cryptography import x509

if TYPE_CHECKING:
    from joserfc.jwk import Key

AUTH_METHODS: tuple[str, ...] = (
    "client_secret_basic",
    "client_secret_post",
    "none",
    "tls_client_auth",
    "self_signed_tls_client_auth",
    "private_key_jwt",
    "client_secret_jwt",
)


def fingerprint(secret: str) -> str:
    """A short, stable, non-reversible label for a secret, safe to print."""
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:8]


@dataclasses.dataclass(eq=False)
class Client:
    """An OAuth client registered with the provider. Create with ``idp.add_client()``."""

    client_id: str
    client_secret: str | None = dataclasses.field(repr=False)
    public: bool
    #: Grant types the client may use; ``None`` means every grant the provider supports.
    grant_types: frozenset[str] | None
    #: Scopes the client may ask for; ``None`` means any scope.
    scopes: frozenset[str] | None
    audience: tuple[str, ...] | None
    token_endpoint_auth_methods: tuple[str, ...]
    claims: dict[str, Any]
    access_token_ttl: int | None
    refresh_token_ttl: int | None
    token_format: str | None = None
    tls_client_auth_subject_dn: str | None = None
    tls_client_auth_san_dns: str | None = None
    self_signed_certificates: tuple[x509.Certificate, ...] = ()
    #: RFC 8707 resource indicators it may ask for; ``None`` means any.
    resources: tuple[str, ...] | None = None
    #: OIDC RP-Initiated Logout §3.1: where logout may send the browser back to.
    post_logout_redirect_uris: tuple[str, ...] = ()
    #: RFC 9126 §6: its authorization requests must be pushed first.
    require_pushed_authorization_requests: bool = False
    disabled: bool = False
    #: Registered redirect URIs for the authorization-code flow (exact match,
    #: any port for loopback ones, RFC 8252 §7.3).
    redirect_uris: tuple[str, ...] = ()
    #: Public keys for ``private_key_jwt`` (RFC 7523 §2.2), or where to fetch them.
    jwks: tuple[Key, ...] = ()
    jwks_uri: str | None = None
    #: The one algorithm its client assertions may use (``None``: what the key allows).
    token_endpoint_auth_signing_alg: str | None = None
    #: RFC 9449 §5.2: every token request must carry a DPoP proof.
    dpop_bound_access_tokens: bool = False

    def allows_grant(self, grant_type: str) -> bool:
        return self.grant_types is None or grant_type in self.grant_types

    def __repr__(self) -> str:
        secret = "None" if self.client_secret is None else f"<{fingerprint(self.client_secret)}>"
        return (
            f"Client(client_id={self.client_id!r}, client_secret={secret}, public={self.public}, "
            f"grant_types={_sorted(self.grant_types)}, scopes={_sorted(self.scopes)})"
        )


@dataclasses.dataclass(eq=False)
class User:
    """A resource owner. Create with ``idp.add_user()``."""

    username: str
    password: str = dataclasses.field(repr=False)
    #: The stable subject identifier (``sub``) of the user.
    sub: str
    #: Standard profile claims (name, email, ...), released in id_token and userinfo by scope.
    profile: dict[str, Any]
    #: Custom claims, put in every access token, id_token and userinfo answer for the user.
    claims: dict[str, Any]
    disabled: bool = False

    def check_password(self, given: str) -> bool:
        """Whether ``given`` is the password, compared in constant time."""
        return hmac.compare_digest(self.password.encode(), given.encode())

    def __repr__(self) -> str:
        return f"User(username={self.username!r}, sub={self.sub!r}, disabled={self.disabled})"


@dataclasses.dataclass(eq=False)
class TokenRecord:
    """The provider's memory of one issued access token, JWT or opaque.

    JWTs are stateful too: revocation and expiry are decided from this record,
    so a revoked JWT introspects ``active: false`` while its signature still verifies.
    """

    value: str = dataclasses.field(repr=False)
    jti: str
    kind: str  # "access" or "refresh"
    client_id: str
    sub: str
    username: str | None
    scope: tuple[str, ...]
    audience: tuple[str, ...]
    issued_at: float
    expires_at: float | None
    not_before: float
    family_id: str | None = None
    kid: str | None = None
    token_format: str = "opaque"
    cnf: dict[str, str] | None = None
    revoked: bool = False
    used: bool = False  # refresh tokens: already exchanged (rotation)
    claims: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: When a protected resource last accepted the token (API tokens list it).
    last_used_at: float | None = None

    def expired(self, now: float, leeway: float = 0.0) -> bool:
        return self.expires_at is not None and now >= self.expires_at + leeway

    def __repr__(self) -> str:
        return (
            f"TokenRecord(kind={self.kind!r}, token=<{fingerprint(self.value)}>, jti={self.jti!r}, "
            f"client_id={self.client_id!r}, sub={self.sub!r}, scope={' '.join(self.scope)!r}, "
            f"revoked={self.revoked})"
        )


def _sorted(values: frozenset[str] | None) -> list[str] | None:
    return None if values is None else sorted(values)
