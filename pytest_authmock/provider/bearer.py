"""Validating access tokens like a resource server: ``protect()``, userinfo, ``check_bearer()``.

Bearer tokens (RFC 6750), certificate-bound ones (RFC 8705 §3) and DPoP-bound
ones (RFC 9449 §7), which come with the ``DPoP`` scheme and a proof.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypedDict

import httpx
from cryptography import x509
from joserfc import jws
from joserfc.errors import JoseError

from pytest_authmock.provider.challenges import quoted
from pytest_authmock.provider.context import ProviderContext, ProviderRequest
from pytest_authmock.provider.dpop import DPOP_ALGS, InvalidDpopProof, verify_proof
from pytest_authmock.provider.errors import (
    InsufficientScope,
    InvalidRequest,
    InvalidToken,
    OAuthError,
    wire_text,
)
from pytest_authmock.provider.http import json_response
from pytest_authmock.provider.limits import load_json, shown
from pytest_authmock.provider.models import TokenRecord
from pytest_authmock.provider.tokens import certificate_thumbprint

if TYPE_CHECKING:
    from typing_extensions import Unpack

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
    #: Further headers of the answer (``DPoP-Nonce``, RFC 9449 §9).
    headers: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.token is not None

    def to_response(self) -> httpx.Response:
        """An answer a real API would give: 200 with the identity, or the RFC 6750 error."""
        if self.token is not None:
            return json_response(200, self.token.as_dict())
        text = self.description
        body = (
            {"error": self.error, "error_description": None if text is None else wire_text(text)}
            if self.error
            else {}
        )
        headers = {"WWW-Authenticate": self.www_authenticate or "Bearer", **self.headers}
        return json_response(self.status_code, body, headers=headers)


def _failure(
    realm: str, error: OAuthError, *, scope: Sequence[str] = (), dpop: bool = False
) -> BearerCheck:
    parts = [f"realm={quoted(realm)}"]
    parts.append(f"error={quoted(error.error)}")
    parts.append(f"error_description={quoted(error.description)}")
    if scope:
        parts.append(f"scope={quoted(' '.join(scope))}")
    if dpop:
        # RFC 9449 §7.1: the DPoP challenge lists the proof algorithms accepted.
        parts.append(f"algs={quoted(' '.join(DPOP_ALGS))}")
    return BearerCheck(
        # RFC 9449 §7.1 and §9: DPoP errors at a resource are 401.
        status_code=401 if dpop and error.status_code == 400 else error.status_code,
        error=error.error,
        description=error.description,
        www_authenticate=("DPoP " if dpop else "Bearer ") + ", ".join(parts),
        headers={k: v for k, v in error.headers.items() if k == "DPoP-Nonce"},
    )


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class BearerRequirements(TypedDict, total=False):
    """What ``check_bearer()`` requires of a token besides being live and ours."""

    #: Every one of these scopes (RFC 6750 §3.1 ``insufficient_scope`` otherwise).
    scopes: Sequence[str]
    #: This value in ``aud``.
    audience: str | None
    #: Seconds of tolerance on ``exp`` and ``nbf``.
    leeway: float
    #: The TLS client certificate, for certificate-bound tokens (RFC 8705 §3).
    peer_cert: x509.Certificate | None
    #: The request's ``DPoP`` header, for DPoP-bound tokens (RFC 9449 §7), and the
    #: request's method and URL the proof's ``htm`` and ``htu`` must name.
    dpop: str | None
    method: str
    url: str | httpx.URL | None


def check_bearer(
    ctx: ProviderContext, authorization: str | None, **requirements: Unpack[BearerRequirements]
) -> BearerCheck:
    """Check an ``Authorization`` header value the way a resource server would.

    Signature (the token must be one this provider issued with a key it still
    publishes), ``exp``/``nbf`` with ``leeway`` seconds, issuer, ``audience``,
    revocation, certificate binding (RFC 8705 §3), DPoP binding (RFC 9449 §7:
    ``dpop`` is the request's ``DPoP`` header, checked against ``method`` and
    ``url``) and ``scopes`` (all required).
    """
    unknown = [name for name in requirements if name not in BearerRequirements.__annotations__]
    if unknown:
        raise TypeError(f"check_bearer() got an unexpected keyword argument {unknown[0]!r}")
    scopes = requirements.get("scopes", ())
    audience = requirements.get("audience")
    leeway = requirements.get("leeway", 0)
    peer_cert = requirements.get("peer_cert")
    dpop, method = requirements.get("dpop"), requirements.get("method", "GET")
    url = requirements.get("url")
    realm = ctx.issuer
    if not authorization:
        code = ctx.config.missing_token_error
        if code is not None:
            # Some providers name an error here anyway; the fake can say the same.
            text = "the request carries no access token"
            return BearerCheck(
                status_code=401,
                error=code,
                description=text,
                www_authenticate=f"Bearer realm={quoted(realm)}, error={quoted(code)}, "
                f"error_description={quoted(text)}",
            )
        # RFC 6750 §3.1: no credentials at all gets a bare challenge, no error code.
        return BearerCheck(status_code=401, www_authenticate=f"Bearer realm={quoted(realm)}")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    scheme = scheme.lower()
    if scheme not in ("bearer", "dpop") or not _B64TOKEN.fullmatch(token):
        return _failure(
            realm,
            InvalidRequest(
                "the Authorization header must be 'Bearer <token>' (RFC 6750 §2.1) or "
                "'DPoP <token>' with a DPoP proof header (RFC 9449 §7.1)"
            ),
        )
    record: TokenRecord | None = None
    try:
        record = live_record(ctx, token, leeway=leeway)
        _check_binding(record, peer_cert)
        _check_dpop(ctx, record, scheme, token, dpop, method, url)
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
        return _failure(realm, error, scope=error.required, dpop=_uses_dpop(scheme, record))
    except OAuthError as error:
        return _failure(realm, error, dpop=_uses_dpop(scheme, record))
    record.last_used_at = ctx.clock.now()
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


def live_record(ctx: ProviderContext, token: str, *, leeway: float) -> TokenRecord:
    """The record of a live access token, or ``invalid_token`` saying why it is not."""
    record = ctx.store.tokens.get(token)
    if record is None:
        raise InvalidToken(_explain_unknown(ctx, token))
    if record.kind != "access":
        raise InvalidToken("a refresh token is not an access token")
    if record.revoked:
        raise InvalidToken("token was revoked")
    now = ctx.clock.now()
    if record.expires_at is not None and record.expired(now, leeway):
        ago = int(now - record.expires_at)
        raise InvalidToken(f"token expired at {_iso(record.expires_at)} ({ago} s ago)")
    if now + leeway < record.not_before:
        raise InvalidToken(f"token is not valid before {_iso(record.not_before)}")
    if record.kid is not None and record.kid not in ctx.keys.kids():
        raise InvalidToken(
            f"token is signed with key {record.kid!r}, which the provider no longer publishes"
        )
    client = ctx.store.clients.get(record.client_id)
    if client is None or client.disabled:
        raise InvalidToken(f"client {record.client_id!r} is disabled or no longer exists")
    if record.username is not None:
        user = ctx.store.users.get(record.username)
        if user is None or user.disabled:
            raise InvalidToken(f"user {record.username!r} is disabled or no longer exists")
    return record


def dpop_header(request: ProviderRequest) -> str | None:
    """The request's DPoP header; several are joined with commas and refused at the check."""
    value: str | None = request.headers.get("dpop")
    return value


def _uses_dpop(scheme: str, record: TokenRecord | None) -> bool:
    return scheme == "dpop" or (record is not None and "jkt" in (record.cnf or {}))


def _check_dpop(
    ctx: ProviderContext,
    record: TokenRecord,
    scheme: str,
    token: str,
    proof: str | None,
    method: str,
    url: str | httpx.URL | None,
) -> None:
    bound = (record.cnf or {}).get("jkt")
    if bound is None:
        if scheme == "dpop":
            raise InvalidToken(
                "token is not DPoP-bound; send it with the Bearer scheme (RFC 9449 §7.1)"
            )
        return
    if scheme != "dpop":
        # RFC 9449 §7.1: a DPoP-bound token is never accepted as a bearer token.
        raise InvalidToken(
            "token is DPoP-bound; send it as 'Authorization: DPoP <token>' with a DPoP proof "
            "(RFC 9449 §7.1)"
        )
    if proof is None:
        raise InvalidDpopProof("the request has no DPoP proof header (RFC 9449 §7.1)")
    if url is None:
        raise TypeError("check_bearer() needs the request's url= to check a DPoP proof")
    checked = verify_proof(
        proof,
        method=method,
        url=url if isinstance(url, httpx.URL) else httpx.URL(url),
        now=ctx.clock.now(),
        replay=ctx.store.replay,
        state=ctx.store.dpop,
        access_token=token,
    )
    if checked.jkt != bound:
        raise InvalidDpopProof(
            f"the DPoP proof is signed with key {checked.jkt!r}, but the token is bound to "
            f"key {bound!r} (cnf jkt, RFC 9449 §6)"
        )


def _check_binding(record: TokenRecord, peer_cert: x509.Certificate | None) -> None:
    if record.cnf is None or "x5t#S256" not in record.cnf:
        return
    if peer_cert is None:
        raise InvalidToken(
            "token is bound to a client certificate (cnf x5t#S256) but none was presented"
        )
    if certificate_thumbprint(peer_cert) != record.cnf.get("x5t#S256"):
        raise InvalidToken("token is bound to a different client certificate (cnf x5t#S256)")


_UNKNOWN = "unknown token: this provider never issued it (or the test reset the provider)"


def _explain_unknown(ctx: ProviderContext, token: str) -> str:
    """Say why a token we hold no record of is refused, as precisely as possible.

    The token is attacker-written: its segments are decoded with the bounded JSON
    reader, and its signature is checked with the provider's key found by ``kid``
    and *that key's* algorithm, never the token's ``alg`` (RFC 8725 §3.1).
    """
    if token.count(".") != 2:
        return _UNKNOWN
    header_segment, payload_segment, _ = token.split(".")
    header = _segment_json(header_segment)
    if not isinstance(header, dict):
        return "token is not a JWT: its header is not a base64url-encoded JSON object (RFC 7515 §4)"
    problem = _signature_problem(ctx, header, token)
    claims = _segment_json(payload_segment)
    issuer = claims.get("iss") if isinstance(claims, dict) else None
    if problem is None:
        if issuer != ctx.issuer:
            return f"token was issued by {shown(issuer)}, not by {ctx.issuer!r}"
        return _UNKNOWN
    if isinstance(issuer, str) and issuer != ctx.issuer:
        # Each issuer has its own keys, so another issuer's token fails the
        # signature check first; naming the issuer is the useful part.
        return f"token was issued by {shown(issuer)}, not by {ctx.issuer!r}"
    return problem


def _signature_problem(ctx: ProviderContext, header: dict[str, Any], token: str) -> str | None:
    """Why the signature does not verify with the key ``kid`` names, or ``None`` if it does."""
    published = list(ctx.keys.keyset.keys)
    kid = header.get("kid")
    if kid is not None:
        published = [key for key in published if key.kid == kid]
        if not published:
            return (
                f"token is signed with key {shown(kid)}, which the provider does not publish (JWKS)"
            )
    alg = header.get("alg")
    algorithms = {key.alg or ctx.keys.algorithm for key in published}
    if not isinstance(alg, str) or alg not in algorithms:
        names = " or ".join(sorted(algorithms))
        which = f"key {kid!r} is an {names} key" if kid is not None else f"its keys are {names}"
        return (
            f"token header says alg {shown(alg)}, but {which}: the algorithm comes from the "
            "provider's key, never from the token (RFC 8725 §3.1)"
        )
    for key in published:
        algorithm = key.alg or ctx.keys.algorithm
        if alg != algorithm:
            continue
        try:
            jws.deserialize_compact(token, key, algorithms=[algorithm])
        except (JoseError, ValueError):
            continue
        return None
    return "token signature does not verify with the provider's published keys (JWKS)"


def _segment_json(segment: str) -> object:
    """A base64url JSON segment of a JWS, or ``None`` when it is not one (bounded)."""
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        return load_json(raw)
    except (ValueError, InvalidRequest):  # binascii.Error is a ValueError
        return None
