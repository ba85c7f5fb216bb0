"""Validating bearer tokens like a resource server (RFC 6750), for ``idp.protect()`` and users."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import httpx
from cryptography import x509
from joserfc import jwt
from joserfc.errors import JoseError

from pytest_authmock.provider.errors import (
    InsufficientScope,
    InvalidRequest,
    InvalidToken,
    OAuthError,
)
from pytest_authmock.provider.http import json_response
from pytest_authmock.provider.models import TokenRecord
from pytest_authmock.provider.tokens import certificate_thumbprint

if TYPE_CHECKING:
    from pytest_authmock.provider.idp import FakeIdP

# RFC 6750 §2.1: b64token
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


@dataclasses.dataclass(frozen=True)
class TokenInfo:
    """Who a valid token speaks for."""

    sub: str
    client_id: str
    username: str | None
    scope: tuple[str, ...]
    audience: tuple[str, ...]
    expires_at: float | None
    jti: str
    claims: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "sub": self.sub,
            "client_id": self.client_id,
            "scope": " ".join(self.scope),
            "aud": list(self.audience),
        }
        if self.username is not None:
            body["username"] = self.username
        if self.expires_at is not None:
            body["exp"] = int(self.expires_at)
        return body


@dataclasses.dataclass(frozen=True)
class BearerCheck:
    """The outcome of checking one request's bearer token.

    ``ok`` with ``token`` set, or the RFC 6750 status, error and challenge to answer with.
    """

    status_code: int
    token: TokenInfo | None = None
    error: str | None = None
    description: str | None = None
    www_authenticate: str | None = None

    @property
    def ok(self) -> bool:
        return self.token is not None

    def to_response(self) -> httpx.Response:
        """An answer a real API would give: 200 with the identity, or the RFC 6750 error."""
        if self.token is not None:
            return json_response(200, self.token.as_dict())
        body = {"error": self.error, "error_description": self.description} if self.error else {}
        headers = {"WWW-Authenticate": self.www_authenticate or "Bearer"}
        return json_response(self.status_code, body, headers=headers)


def _quote(value: str) -> str:
    # RFC 6750 §3: error_description is limited to printable ASCII without '"' and '\'.
    cleaned = "".join(c if 0x20 <= ord(c) <= 0x7E and c not in '"\\' else "'" for c in value)
    return f'"{cleaned}"'


def _failure(realm: str, error: OAuthError, *, scope: Sequence[str] = ()) -> BearerCheck:
    parts = [f"realm={_quote(realm)}"]
    parts.append(f"error={_quote(error.error)}")
    parts.append(f"error_description={_quote(error.description)}")
    if scope:
        parts.append(f"scope={_quote(' '.join(scope))}")
    return BearerCheck(
        status_code=error.status_code,
        error=error.error,
        description=error.description,
        www_authenticate="Bearer " + ", ".join(parts),
    )


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_bearer(
    idp: FakeIdP,
    authorization: str | None,
    *,
    scopes: Sequence[str] = (),
    audience: str | None = None,
    leeway: float = 0,
    peer_cert: x509.Certificate | None = None,
) -> BearerCheck:
    """Check an ``Authorization`` header value the way a resource server would.

    Signature (the token must be one this provider issued with a key it still
    publishes), ``exp``/``nbf`` with ``leeway`` seconds, issuer, ``audience``,
    revocation, certificate binding (RFC 8705 §3) and ``scopes`` (all required).
    """
    realm = idp.issuer
    if not authorization:
        # RFC 6750 §3.1: no credentials at all gets a bare challenge, no error code.
        return BearerCheck(status_code=401, www_authenticate=f"Bearer realm={_quote(realm)}")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not _B64TOKEN.fullmatch(token):
        return _failure(
            realm,
            InvalidRequest("the Authorization header must be 'Bearer <token>' (RFC 6750 §2.1)"),
        )
    try:
        record = live_record(idp, token, leeway=leeway)
        _check_binding(record, peer_cert)
        if audience is not None and audience not in record.audience:
            raise InvalidToken(
                f"token audience {list(record.audience)} does not include {audience!r}"
            )
        missing = tuple(scope for scope in scopes if scope not in record.scope)
        if missing:
            raise InsufficientScope(
                f"token lacks scope {' '.join(missing)!r} (has {' '.join(record.scope) or 'none'})",
                required=tuple(scopes),
            )
    except InsufficientScope as error:
        return _failure(realm, error, scope=error.required)
    except OAuthError as error:
        return _failure(realm, error)
    record.last_used_at = idp.clock.now()
    info = TokenInfo(
        sub=record.sub,
        client_id=record.client_id,
        username=record.username,
        scope=record.scope,
        audience=record.audience,
        expires_at=record.expires_at,
        jti=record.jti,
        claims=dict(record.claims),
    )
    return BearerCheck(status_code=200, token=info)


def live_record(idp: FakeIdP, token: str, *, leeway: float) -> TokenRecord:
    record = idp.store.tokens.get(token)
    if record is None:
        raise InvalidToken(_explain_unknown(idp, token))
    if record.kind != "access":
        raise InvalidToken("a refresh token is not an access token")
    if record.revoked:
        raise InvalidToken("token was revoked")
    now = idp.clock.now()
    if record.expires_at is not None and record.expired(now, leeway):
        ago = int(now - record.expires_at)
        raise InvalidToken(f"token expired at {_iso(record.expires_at)} ({ago} s ago)")
    if now + leeway < record.not_before:
        raise InvalidToken(f"token is not valid before {_iso(record.not_before)}")
    if record.kid is not None and record.kid not in idp.keys.kids():
        raise InvalidToken(
            f"token is signed with key {record.kid!r}, which the provider no longer publishes"
        )
    client = idp.store.clients.get(record.client_id)
    if client is None or client.disabled:
        raise InvalidToken(f"client {record.client_id!r} is disabled or no longer exists")
    if record.username is not None:
        user = idp.store.users.get(record.username)
        if user is None or user.disabled:
            raise InvalidToken(f"user {record.username!r} is disabled or no longer exists")
    return record


def _check_binding(record: TokenRecord, peer_cert: x509.Certificate | None) -> None:
    if record.cnf is None:
        return
    if peer_cert is None:
        raise InvalidToken(
            "token is bound to a client certificate (cnf x5t#S256) but none was presented"
        )
    if certificate_thumbprint(peer_cert) != record.cnf.get("x5t#S256"):
        raise InvalidToken("token is bound to a different client certificate (cnf x5t#S256)")


def _explain_unknown(idp: FakeIdP, token: str) -> str:
    """Say why a token we hold no record of is refused, as precisely as possible."""
    if token.count(".") != 2:
        return "unknown token: this provider never issued it (or the test reset the provider)"
    try:
        header_segment = token.split(".")[0]
        padded = header_segment + "=" * (-len(header_segment) % 4)
        header = json.loads(base64.urlsafe_b64decode(padded))
        decoded = jwt.decode(token, idp.keys.keyset, algorithms=[str(header.get("alg"))])
    except (JoseError, ValueError, TypeError):
        foreign = _unverified_issuer(token)
        if foreign is not None and foreign != idp.issuer:
            # Each issuer has its own keys, so another issuer's token fails the
            # signature check first; naming the issuer is the useful part.
            return f"token was issued by {foreign!r}, not by {idp.issuer!r}"
        return "token signature does not verify with the provider's published keys (JWKS)"
    issuer = decoded.claims.get("iss")
    if issuer != idp.issuer:
        return f"token was issued by {issuer!r}, not by {idp.issuer!r}"
    return "unknown token: this provider never issued it (or the test reset the provider)"


def _unverified_issuer(token: str) -> str | None:
    try:
        segment = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, IndexError):
        return None
    issuer = claims.get("iss") if isinstance(claims, dict) else None
    return issuer if isinstance(issuer, str) else None


Responder = Callable[[httpx.Request, TokenInfo], "httpx.Response | dict[str, Any]"]


@dataclasses.dataclass
class ProtectedResource:
    """An API route mounted with ``idp.protect()``."""

    url: httpx.URL
    scopes: tuple[str, ...]
    audience: str | None
    leeway: float
    methods: frozenset[str] | None
    responder: Responder | None = None

    def matches(self, url: httpx.URL) -> bool:
        return (
            url.scheme == self.url.scheme
            and url.host == self.url.host
            and url.port == self.url.port
            and url.path == self.url.path
        )

    def respond(
        self, idp: FakeIdP, request: httpx.Request, peer_cert: x509.Certificate | None
    ) -> httpx.Response:
        if self.methods is not None and request.method not in self.methods:
            return json_response(
                405,
                {
                    "error": "method_not_allowed",
                    "error_description": f"{request.method} is not allowed here",
                },
                headers={"Allow": ", ".join(sorted(self.methods))},
            )
        result = check_bearer(
            idp,
            request.headers.get("authorization"),
            scopes=self.scopes,
            audience=self.audience,
            leeway=self.leeway,
            peer_cert=peer_cert,
        )
        if result.token is None or self.responder is None:
            return result.to_response()
        answer = self.responder(request, result.token)
        return answer if isinstance(answer, httpx.Response) else json_response(200, answer)
