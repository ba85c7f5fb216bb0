"""Small helpers of the breadth tests."""

from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Callable
from typing import Any

import httpx

from pytest_authmock.client import OAuthClient

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"


def claims_of(token: str) -> dict[str, Any]:
    """The claims of a JWT, unverified (the tests check what the provider put there)."""
    segment = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return claims


def exchange(
    http: httpx.Client, provider: Any, client: Any, subject: str, **form: str | list[str]
) -> httpx.Response:
    """A token exchange of an access token (RFC 8693), the client authenticating with Basic."""
    data = {
        "grant_type": TOKEN_EXCHANGE,
        "subject_token": subject,
        "subject_token_type": ACCESS_TOKEN_TYPE,
    }
    return http.post(
        provider.url_for("token"),
        data={**data, **form},
        auth=(client.client_id, client.client_secret),
    )


def oauth(provider: Any, client: Any = None, **kwargs: Any) -> OAuthClient:
    """The client library for ``client`` (its id and secret) or ``client_auth=``, over the
    provider's transport (trusting its CA when it serves TLS)."""
    if client is not None:
        kwargs.setdefault("client_id", client.client_id)
        kwargs.setdefault("client_secret", client.client_secret)
    return OAuthClient(
        provider.issuer, verify=getattr(provider, "httpx_verify", None) or True, **kwargs
    )


def auto_browser(provider: Any, opened: list[str] | None = None) -> Callable[[str], bool]:
    """A browser for ``authorize_in_browser`` against an auto-approving provider: it
    follows the provider's redirect to the loopback listener (and notes each URL)."""

    def browser(url: str) -> bool:
        if opened is not None:
            opened.append(url)
        with httpx.Client(verify=getattr(provider, "httpx_verify", None) or True) as http:
            location = http.get(url).headers["location"]
        with urllib.request.urlopen(location, timeout=5):  # noqa: S310 - the loopback listener
            pass
        return True

    return browser
