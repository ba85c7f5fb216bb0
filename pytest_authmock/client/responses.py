"""Parsing of the provider's answers at the revocation, introspection and userinfo endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from pytest_authmock.client.challenge import parse_bearer_challenge
from pytest_authmock.client.errors import (
    InvalidCredentials,
    InvalidToken,
    ProviderError,
    TokenExpired,
    TokenRevoked,
)

__all__ = ["check_revocation", "introspection_result", "oauth_error", "userinfo_result"]


def oauth_error(response: httpx.Response) -> tuple[str | None, str | None]:
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, Mapping):
        return None, None
    error = body.get("error")
    description = body.get("error_description")
    return (
        error if isinstance(error, str) else None,
        description if isinstance(description, str) else None,
    )


def check_revocation(response: httpx.Response) -> None:
    if response.status_code == 200:
        return
    error, description = oauth_error(response)
    if error == "invalid_client":
        raise InvalidCredentials(
            f"the provider rejected the client at the revocation endpoint ({description or error})"
        )
    raise ProviderError(
        f"revocation failed with HTTP {response.status_code} ({error or 'no error code'})",
        error=error,
        error_description=description,
        status_code=response.status_code,
    )


def introspection_result(response: httpx.Response, client_id: str | None) -> dict[str, Any]:
    if response.status_code in (401, 403):
        raise InvalidCredentials(
            f"the provider refused introspection for client {client_id!r}"
            f" (HTTP {response.status_code}); introspection needs a confidential client"
        )
    if response.status_code != 200:
        error, description = oauth_error(response)
        raise ProviderError(
            f"introspection failed with HTTP {response.status_code}",
            error=error,
            error_description=description,
            status_code=response.status_code,
        )
    try:
        body = response.json()
    except ValueError:
        raise ProviderError("the introspection answer is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("active"), bool):
        raise ProviderError("the introspection answer has no boolean 'active' (RFC 7662 §2.2)")
    return body


def userinfo_result(response: httpx.Response) -> dict[str, Any]:
    if response.status_code in (401, 403):
        challenge = parse_bearer_challenge(response.headers.get("WWW-Authenticate", ""))
        if challenge.get("error") == "insufficient_scope":
            # RFC 6750 §3.1: the token is fine, it just may not read userinfo.
            raise ProviderError(
                "the token is accepted but lacks the 'openid' scope, so userinfo cannot say"
                " whose it is; request 'openid', or validate with introspection"
                " (which needs a confidential client)",
                error="insufficient_scope",
                status_code=response.status_code,
            )
        description = challenge.get("error_description", "")
        if "expired" in description.lower():
            raise TokenExpired(f"the token has expired ({description}); get a new one")
        if "revoked" in description.lower():
            raise TokenRevoked(f"the token was revoked ({description}); get a new one")
        raise InvalidToken(
            f"the provider does not accept the token at userinfo"
            f" ({challenge.get('error', 'HTTP ' + str(response.status_code))}"
            f"{': ' + description if description else ''})"
        )
    if response.status_code != 200:
        raise ProviderError(
            f"userinfo failed with HTTP {response.status_code}", status_code=response.status_code
        )
    try:
        body = response.json()
    except ValueError:
        raise ProviderError(
            "the userinfo answer is not JSON (signed userinfo is not supported)"
        ) from None
    if not isinstance(body, dict):
        raise ProviderError("the userinfo answer is not a JSON object")
    return body
