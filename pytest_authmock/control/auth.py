"""The admin token: a bearer token (RFC 6750) that guards the control API only.

It is compared in constant time, never logged, and the provider never sees
it: the control API answers ``/_authmock/*`` before the provider is asked, so
the token is worth nothing at an OAuth endpoint or a protected resource.
"""

from __future__ import annotations

import hmac
import secrets

import httpx

from pytest_authmock.control.http import ControlError

REALM = "authmock-control"


def generate_admin_token() -> str:
    """A fresh admin token: 32 random bytes, URL-safe, with a recognisable prefix."""
    return "amadm_" + secrets.token_urlsafe(32)


def check_admin_token(token: str) -> str:
    """Refuse admin tokens a client could not send in an ``Authorization`` header."""
    if not isinstance(token, str) or not token:
        raise ValueError("the admin token must not be empty")
    # RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+/=")
    if not set(token) <= allowed:
        raise ValueError(
            "the admin token may only contain letters, digits and - . _ ~ + / = (RFC 6750 §2.1)"
        )
    if len(token) < 8:
        raise ValueError("the admin token must have at least 8 characters")
    return token


def bearer_token(request: httpx.Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header (the scheme is case-insensitive)."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def authorize(request: httpx.Request, admin_token: str) -> None:
    """Raise a 401 unless the request carries the admin token."""
    given = bearer_token(request)
    if given is None:
        # RFC 6750 §3.1: a request without credentials gets no error code.
        raise ControlError(
            401,
            "invalid_token",
            "the control API needs Authorization: Bearer <admin token> "
            "(printed by authmock serve as 'admin token')",
            headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
        )
    if not hmac.compare_digest(given.encode("utf-8", "replace"), admin_token.encode()):
        raise ControlError(
            401,
            "invalid_token",
            "the bearer token is not this server's admin token",
            headers={
                "WWW-Authenticate": (
                    f'Bearer realm="{REALM}", error="invalid_token", '
                    'error_description="not the admin token"'
                )
            },
        )
