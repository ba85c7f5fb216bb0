"""Check a token against the provider at once: who it belongs to, until when.

Used when a user pastes a token at a prompt: a typo should fail now, with a
message that says whether the token is unknown, expired or the network is
down, not at the first real request.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pytest_authmock.client.access_tokens import AccessTokenValidator
from pytest_authmock.client.errors import (
    AuthError,
    ConfigurationError,
    InvalidToken,
    ProviderError,
    TokenExpired,
    TokenRevoked,
)
from pytest_authmock.client.identity import TokenIdentity
from pytest_authmock.client.oauth import OAuthClient
from pytest_authmock.client.redact import fingerprint

__all__ = ["TokenIdentity", "avalidate_token", "validate_token"]

logger = logging.getLogger("pytest_authmock.client")

Method = Literal["auto", "introspection", "userinfo", "jwt"]


def unverified_claims(token: str) -> dict[str, Any] | None:
    """The payload of a JWT *without* checking its signature; ``None`` if not a JWT.

    Only used to word an error message ("expired" rather than "invalid"); the
    provider's answer is what decides whether the token is accepted.
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


def _rejected(token: str, now: float, where: str, detail: str = "") -> InvalidToken:
    claims = unverified_claims(token) or {}
    exp = claims.get("exp")
    suffix = f" ({detail})" if detail else ""
    if (isinstance(exp, (int, float)) and exp <= now) or "expired" in detail.lower():
        return TokenExpired(
            f"the token {fingerprint(token)} has expired{suffix}; create or request a new one"
        )
    if "revoked" in detail.lower():
        return TokenRevoked(
            f"the token {fingerprint(token)} was revoked{suffix}; create or request a new one"
        )
    return InvalidToken(
        f"the provider does not accept the token {fingerprint(token)} ({where}: unknown,"
        f" revoked or malformed){suffix}; check that you copied all of it"
    )


def _choose(oauth: OAuthClient, method: Method, has_introspection: bool) -> str:
    if method != "auto":
        return method
    confidential = oauth.client_auth is not None and oauth.client_auth.confidential
    # RFC 7662 §2.1 lets only authenticated clients introspect; a public CLI
    # client falls back to userinfo, which the token itself authorises.
    return "introspection" if confidential and has_introspection else "userinfo"


def _from_introspection(token: str, body: Mapping[str, Any], now: float) -> TokenIdentity:
    if not body.get("active"):
        raise _rejected(token, now, "introspection says inactive")
    exp = body.get("exp")
    if isinstance(exp, (int, float)) and exp <= now:
        raise _rejected(token, now, "introspection", "expired")
    scope = body.get("scope")
    return TokenIdentity(
        token_fingerprint=fingerprint(token),
        subject=_str(body.get("sub")),
        username=_str(body.get("username")),
        client_id=_str(body.get("client_id")),
        expires_at=float(exp) if isinstance(exp, (int, float)) else None,
        scopes=tuple(scope.split()) if isinstance(scope, str) else (),
        checked_with="introspection",
    )


def _from_userinfo(token: str, body: Mapping[str, Any]) -> TokenIdentity:
    claims = unverified_claims(token) or {}
    exp = claims.get("exp")
    scope = claims.get("scope")
    return TokenIdentity(
        token_fingerprint=fingerprint(token),
        subject=_str(body.get("sub")),
        username=_str(body.get("preferred_username")) or _str(claims.get("username")),
        name=_str(body.get("name")),
        client_id=_str(claims.get("client_id")),
        expires_at=float(exp) if isinstance(exp, (int, float)) else None,
        scopes=tuple(scope.split()) if isinstance(scope, str) else (),
        checked_with="userinfo",
        expiry_known=bool(claims),
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _wants_name(identity: TokenIdentity, userinfo_endpoint: str | None) -> bool:
    return "openid" in identity.scopes and userinfo_endpoint is not None


def _without_name(identity: TokenIdentity, error: AuthError) -> TokenIdentity:
    # Introspection has already said the token is active; the display name is
    # a nicety. Userinfo rightly refuses a token that has no user (a client
    # credentials token granted "openid", OIDC Core §5.3), and a provider may
    # be briefly unreachable there: neither makes the token invalid.
    logger.info(
        "token %s is active; no display name from userinfo (%s)",
        identity.token_fingerprint,
        error,
    )
    return identity


def _check_token(token: str) -> None:
    if not token or not token.strip() or any(c in token for c in "\r\n "):
        raise InvalidToken("the token is empty or contains spaces; paste it again")


def _validator(
    oauth: OAuthClient, audience: str | Sequence[str] | None, validator: AccessTokenValidator | None
) -> AccessTokenValidator:
    if validator is not None:
        return validator
    if audience is None:
        raise ConfigurationError(
            "checking a JWT access token locally needs the audience it must be for (this"
            " resource server's identifier): pass audience=... (or validator=...)"
        )
    return AccessTokenValidator(oauth, audience=audience)


def _local_instead(
    error: ProviderError,
    audience: str | Sequence[str] | None,
    validator: AccessTokenValidator | None,
) -> bool:
    # RFC 7662 leaves a provider free not to introspect some tokens: some
    # refuse their own JWT access tokens (unsupported_token_type), which are
    # meant to be checked locally (RFC 9068).
    return error.error == "unsupported_token_type" and (audience or validator) is not None


def validate_token(
    oauth: OAuthClient,
    token: str,
    *,
    method: Method = "auto",
    audience: str | Sequence[str] | None = None,
    validator: AccessTokenValidator | None = None,
) -> TokenIdentity:
    """Ask the provider about ``token``, or check it locally.

    Raises :class:`InvalidToken`, :class:`TokenExpired` or
    :class:`ProviderUnavailable` (network or server problem); with introspection
    the client needs a secret (or certificate), else userinfo is used.
    ``method="jwt"`` checks a JWT access token with the provider's keys
    (:class:`AccessTokenValidator`, for ``audience``); with ``method="auto"``
    and an ``audience``, a provider that will not introspect the token
    (``unsupported_token_type``) gets the same local check instead.
    """
    _check_token(token)
    if method == "jwt":
        return _validator(oauth, audience, validator).validate(token)
    metadata = oauth.metadata()
    chosen = _choose(oauth, method, metadata.introspection_endpoint is not None)
    now = oauth.clock()
    if chosen == "introspection":
        try:
            body = oauth.introspect(token)
        except ProviderError as exc:
            if method != "auto" or not _local_instead(exc, audience, validator):
                raise
            return _validator(oauth, audience, validator).validate(token)
        identity = _from_introspection(token, body, now)
        if _wants_name(identity, metadata.userinfo_endpoint):
            try:
                info = oauth.userinfo(token)
            except AuthError as exc:
                return _without_name(identity, exc)
            identity = dataclasses.replace(identity, name=_str(info.get("name")))
        return identity
    if chosen == "userinfo":
        try:
            return _from_userinfo(token, oauth.userinfo(token))
        except (TokenExpired, TokenRevoked):
            raise
        except InvalidToken as exc:
            raise _rejected(token, now, "userinfo", str(exc)) from None
    raise ConfigurationError(f"unknown validation method {method!r}")


async def avalidate_token(
    oauth: OAuthClient,
    token: str,
    *,
    method: Method = "auto",
    audience: str | Sequence[str] | None = None,
    validator: AccessTokenValidator | None = None,
) -> TokenIdentity:
    """The async twin of :func:`validate_token`."""
    _check_token(token)
    if method == "jwt":
        return await _validator(oauth, audience, validator).avalidate(token)
    metadata = await oauth.ametadata()
    chosen = _choose(oauth, method, metadata.introspection_endpoint is not None)
    now = oauth.clock()
    if chosen == "introspection":
        try:
            body = await oauth.aintrospect(token)
        except ProviderError as exc:
            if method != "auto" or not _local_instead(exc, audience, validator):
                raise
            return await _validator(oauth, audience, validator).avalidate(token)
        identity = _from_introspection(token, body, now)
        if _wants_name(identity, metadata.userinfo_endpoint):
            try:
                info = await oauth.auserinfo(token)
            except AuthError as exc:
                return _without_name(identity, exc)
            identity = dataclasses.replace(identity, name=_str(info.get("name")))
        return identity
    if chosen == "userinfo":
        try:
            return _from_userinfo(token, await oauth.auserinfo(token))
        except (TokenExpired, TokenRevoked):
            raise
        except InvalidToken as exc:
            raise _rejected(token, now, "userinfo", str(exc)) from None
    raise ConfigurationError(f"unknown validation method {method!r}")
