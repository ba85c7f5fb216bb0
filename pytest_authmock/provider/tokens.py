"""Minting access, refresh and ID tokens, and finding the record behind a token."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from joserfc import jws
from joserfc.util import json_b64encode, urlsafe_b64encode

from pytest_authmock.provider.claims_layout import lay_out
from pytest_authmock.provider.clock import Clock
from pytest_authmock.provider.config import ProviderConfig
from pytest_authmock.provider.keys import SigningKeys
from pytest_authmock.provider.models import Client, TokenRecord, User
from pytest_authmock.provider.store import Store

# OIDC Core §5.4: which profile claims each standard scope releases.
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": ("name", "given_name", "family_name", "preferred_username", "updated_at"),
    "email": ("email", "email_verified"),
}


def certificate_thumbprint(cert: x509.Certificate) -> str:
    """RFC 8705 §3.1 ``x5t#S256``: base64url SHA-256 of the DER certificate."""
    digest = hashlib.sha256(cert.public_bytes(Encoding.DER)).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _b64_half_hash(value: str) -> str:
    # OIDC Core §3.1.3.6 at_hash: left half of SHA-256, base64url.
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


class TokenMinter:
    def __init__(
        self, config: ProviderConfig, keys: SigningKeys, clock: Clock, store: Store
    ) -> None:
        self.config = config
        self.keys = keys
        self.clock = clock
        self.store = store
        #: ``idp.claims_hook(fn)`` hooks, and the problems they caused (for the teardown check).
        self.claims_hooks: list[Any] = []
        self.hook_errors: list[str] = []

    def access_token(
        self,
        *,
        client: Client,
        user: User | None,
        scope: tuple[str, ...],
        audience: tuple[str, ...] | None = None,
        family_id: str | None = None,
        peer_cert: x509.Certificate | None = None,
        ttl: int | bool | None = False,
        extra_claims: dict[str, Any] | None = None,
        dpop_jkt: str | None = None,
        sub: str | None = None,
    ) -> TokenRecord:
        """Issue an access token; ``ttl=False`` means the client's or provider's default.

        ``sub`` and ``audience`` override the subject (the user's, else the client's)
        and the audience (the client's, else the provider's): assertion grants and
        token exchange speak for subjects this provider has no user for.

        ``extra_claims`` (from claims hooks) override the client's and user's claims.
        ``peer_cert`` binds it to a certificate (RFC 8705 §3), ``dpop_jkt`` to a DPoP
        key (RFC 9449 §6); the binding is its ``cnf`` claim.
        """
        now = int(self.clock.now())
        lifetime = client.access_token_ttl if ttl is False else ttl
        expires = None if lifetime is None else now + int(lifetime)
        # RFC 8707 §2: the resources asked for, else the client's or provider's audience.
        audience = audience or client.audience or (self.config.default_audience,)
        sub = sub or (user.sub if user else client.client_id)
        jti = secrets.token_urlsafe(16)
        claims: dict[str, Any] = {
            **client.claims,
            **(user.claims if user else {}),
            **(extra_claims or {}),
        }
        bound_cert = peer_cert if self.config.certificate_bound_access_tokens else None
        cnf = _cnf(bound_cert, dpop_jkt)
        token_format = client.token_format or self.config.token_format
        record = TokenRecord(
            value="",
            jti=jti,
            kind="access",
            client_id=client.client_id,
            sub=sub,
            username=user.username if user else None,
            scope=scope,
            audience=tuple(audience),
            issued_at=now,
            expires_at=expires,
            not_before=now,
            family_id=family_id,
            token_format=token_format,
            cnf=cnf,
            claims=claims,
        )
        if token_format == "jwt":
            record.kid = self.keys.kid
            record.value = self._sign_access(record)
        else:
            record.value = secrets.token_urlsafe(32)
        self.store.add_token(record)
        return record

    def _sign_access(self, record: TokenRecord) -> str:
        # RFC 9068 §2.2. A token that never expires carries no ``exp`` (RFC 9068 makes
        # it required; omitting it is the only honest encoding of "never").
        own = record.claims
        computed: dict[str, Any] = {
            "iss": self.config.issuer,
            "sub": record.sub,
            "aud": list(record.audience),
            "iat": int(record.issued_at),
            "nbf": int(record.not_before),
            "jti": record.jti,
            "client_id": record.client_id,
            "azp": record.client_id,
            "exp": None if record.expires_at is None else int(record.expires_at),
            "scope": list(record.scope),
            "scp": list(record.scope),
            # The user's own preferred_username claim, if any, wins.
            "preferred_username": None if "preferred_username" in own else record.username,
        }
        claims = lay_out(self.config.access_token_claims, computed, _ACCESS_CLAIMS, own)
        if record.cnf is not None:
            claims["cnf"] = dict(record.cnf)  # RFC 8705 §3.1: the binding, in any layout
        return self._sign(self._header(self.config.access_token_typ), claims)

    def _header(self, typ: str | None) -> dict[str, Any]:
        if typ is None:
            return {"alg": self.keys.algorithm, "kid": self.keys.kid}
        return {"alg": self.keys.algorithm, "typ": typ, "kid": self.keys.kid}

    def _sign(self, header: dict[str, Any], claims: dict[str, Any]) -> str:
        """A JWS compact serialization of the claims: a JWT (RFC 7519 §7.1).

        joserfc signs; what it would redo for every token with the same header
        (validating and encoding the header, looking up the algorithm) is done
        once per header instead. ``jwt.encode`` would add claim checks we do not
        need, at ~200 us per token.
        """
        cache_key = (header["alg"], header.get("typ"), header["kid"])
        prepared = _PREPARED_HEADERS.get(cache_key)
        if prepared is None:
            jws.default_registry.check_header(header)
            prepared = (json_b64encode(header), jws.default_registry.get_alg(header["alg"]))
            _PREPARED_HEADERS[cache_key] = prepared
        encoded_header, algorithm = prepared
        signing_input = encoded_header + b"." + urlsafe_b64encode(_compact_json(claims))
        signature = algorithm.sign(signing_input, self.keys.active)
        return (signing_input + b"." + urlsafe_b64encode(signature)).decode("ascii")

    def refresh_token(
        self,
        *,
        client: Client,
        user: User | None,
        scope: tuple[str, ...],
        family_id: str,
        resources: tuple[str, ...] = (),
        expires_at: float | bool | None = False,
        auth_time: float | None = None,
        dpop_jkt: str | None = None,
    ) -> TokenRecord:
        """Issue a refresh token in ``family_id``; ``expires_at=False`` starts a new lifetime.

        ``auth_time`` is when the user logged in; rotated tokens carry it on, so
        ID tokens from refreshes keep the original ``auth_time`` (OIDC Core §2).
        """
        now = self.clock.now()
        if expires_at is False:
            ttl = client.refresh_token_ttl
            expires_at = None if ttl is None else now + ttl
        record = TokenRecord(
            value=secrets.token_urlsafe(48),
            jti=secrets.token_urlsafe(16),
            kind="refresh",
            client_id=client.client_id,
            sub=user.sub if user else client.client_id,
            username=user.username if user else None,
            scope=scope,
            # RFC 8707 §2.2: the resources the grant authorized, which refreshes may narrow.
            audience=resources,
            issued_at=now,
            expires_at=None if expires_at is None else float(expires_at),
            not_before=now,
            family_id=family_id,
            claims={"auth_time": int(now if auth_time is None else auth_time)},
            cnf=_cnf(None, dpop_jkt),
        )
        self.store.add_token(record)
        return record

    def id_token(
        self,
        *,
        client: Client,
        user: User,
        scope: tuple[str, ...],
        access_token: str,
        nonce: str | None = None,
        auth_time: float | None = None,
        extra_claims: dict[str, Any] | None = None,
    ) -> str:
        now = int(self.clock.now())
        computed: dict[str, Any] = {
            "iss": self.config.issuer,
            "sub": user.sub,
            "aud": client.client_id,
            "azp": client.client_id,
            "iat": now,
            "exp": now + self.config.id_token_ttl,
            "auth_time": int(auth_time if auth_time is not None else now),
            "at_hash": _b64_half_hash(access_token),
            "nonce": nonce or None,
        }
        layout = self.config.id_token_claims
        if layout is not None and any(entry.partition(":")[0] == "sid" for entry in layout):
            # OIDC Front-Channel Logout §3: a session id, when a layout asks for one.
            computed["sid"] = secrets.token_urlsafe(16)
        own = {**profile_claims(user, scope), **(extra_claims or {})}
        claims = lay_out(layout, computed, _ID_CLAIMS, own)
        return self._sign(self._header(self.config.id_token_typ), claims)


#: The claims the fake puts in its tokens when no layout is set.
_ACCESS_CLAIMS = (
    "iss",
    "sub",
    "aud",
    "iat",
    "nbf",
    "jti",
    "client_id",
    "exp",
    "scope",
    "preferred_username",
)
_ID_CLAIMS = ("iss", "sub", "aud", "azp", "iat", "exp", "auth_time", "at_hash", "nonce")


def _cnf(peer_cert: x509.Certificate | None, dpop_jkt: str | None) -> dict[str, str] | None:
    cnf: dict[str, str] = {}
    if peer_cert is not None:
        cnf["x5t#S256"] = certificate_thumbprint(peer_cert)
    if dpop_jkt is not None:
        cnf["jkt"] = dpop_jkt
    return cnf or None


#: (alg, typ, kid) -> the encoded protected header and joserfc's algorithm.
_PREPARED_HEADERS: dict[tuple[str, str | None, str], tuple[bytes, Any]] = {}


def _compact_json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def profile_claims(user: User, scope: tuple[str, ...]) -> dict[str, Any]:
    """The user's claims released by ``scope`` (OIDC Core §5.4) plus custom claims."""
    released: dict[str, Any] = {}
    for name in scope:
        for claim in SCOPE_CLAIMS.get(name, ()):
            if claim in user.profile:
                released[claim] = user.profile[claim]
    released.update(user.claims)
    return released
