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

__all__ = [
    "check_revocation",
    "fetched_document",
    "introspection_result",
    "json_body",
    "oauth_error",
    "provider_words",
    "userinfo_result",
]


def json_body(response: httpx.Response, what: str, *, hint: str = "") -> Any:
    """The JSON of ``response``; a :class:`ProviderError` saying ``what`` is not JSON."""
    try:
        return response.json()
    except ValueError:
        raise ProviderError(f"{what} is not JSON{hint}") from None


def fetched_document(response: httpx.Response, what: str, *, advice: str = "") -> Any:
    """The JSON of a document read with GET (metadata, keys): HTTP 200 and JSON."""
    if response.status_code != 200:
        raise ProviderError(
            f"fetching {what} failed with HTTP {response.status_code}{advice}",
            status_code=response.status_code,
        )
    return json_body(response, what)


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


def provider_words(response: httpx.Response) -> str:
    """The provider's own error, as it said it: ``HTTP 400, unsupported_token_type: ...``."""
    error, description = oauth_error(response)
    words = f"HTTP {response.status_code}"
    if error:
        words += f", {error}"
        if description:
            words += f": {description}"
    else:
        words += ", no OAuth error code in the answer"
    return words


def _endpoint_error(what: str, response: httpx.Response, advice: str = "") -> ProviderError:
    error, description = oauth_error(response)
    return ProviderError(
        f"{what} failed ({provider_words(response)}){advice}",
        error=error,
        error_description=description,
        status_code=response.status_code,
    )


def check_revocation(response: httpx.Response) -> None:
    if response.status_code == 200:
        return
    error, _ = oauth_error(response)
    if error == "invalid_client":
        raise InvalidCredentials(
            "the provider rejected the client at the revocation endpoint"
            f" ({provider_words(response)}); check the client id, secret and method"
        )
    # RFC 7009 §2.2.1: unsupported_token_type means the provider cannot revoke that kind.
    raise _endpoint_error("revocation", response)


def introspection_result(response: httpx.Response, client_id: str | None) -> dict[str, Any]:
    if response.status_code in (401, 403):
        raise InvalidCredentials(
            f"the provider refused introspection for client {client_id!r}"
            f" ({provider_words(response)}); introspection needs a confidential client"
        )
    if response.status_code != 200:
        advice = ""
        if oauth_error(response)[0] == "unsupported_token_type":
            advice = (
                "; this provider does not introspect that kind of token: validate a JWT"
                " access token locally with AccessTokenValidator"
            )
        raise _endpoint_error("introspection", response, advice)
    body = json_body(response, "the introspection answer")
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
        raise _endpoint_error("userinfo", response)
    body = json_body(response, "the userinfo answer", hint=" (signed userinfo is not supported)")
    if not isinstance(body, dict):
        raise ProviderError("the userinfo answer is not a JSON object")
    return body
