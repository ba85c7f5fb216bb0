"""A CLI's browser login through a pushed authorization request (RFC 9126).

The provider requires pushed requests: the CLI posts the authorization request
first and opens the browser with only ``client_id`` and ``request_uri``. Runs
in-process and over the loopback server.
"""

from __future__ import annotations

import urllib.request
from typing import Any

import httpx
import pytest

from pytest_authmock import FakeIdP
from pytest_authmock.client import OAuthClient, authorize_in_browser, push_authorization_request


@pytest.fixture(params=["idp", "idp_server"])
def provider(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(request.param)


def test_login_with_a_pushed_request(provider: FakeIdP) -> None:
    # --8<-- [start:required]
    provider.protocol_settings.require_pushed_authorization_requests = True
    provider.add_client("acme-cli", public=True, redirect_uris=["http://127.0.0.1/callback"])
    provider.auto_approve = provider.add_user("ada")
    opened: list[str] = []

    def browser(url: str) -> None:
        opened.append(url)
        answer = httpx.get(url)  # the provider redirects to the CLI's listener
        urllib.request.urlopen(answer.headers["location"], timeout=5).close()  # noqa: S310

    with OAuthClient(provider.issuer, client_id="acme-cli") as oauth:
        # The metadata says require_pushed_authorization_requests: the login pushes.
        token = authorize_in_browser(oauth, open_browser=browser)
    assert token.access_token
    assert set(httpx.URL(opened[0]).params) == {"client_id", "request_uri"}
    # --8<-- [end:required]


def test_push_by_hand(provider: FakeIdP) -> None:
    provider.add_client("web", "s3cret", redirect_uris=["https://app.example/callback"])
    with OAuthClient(provider.issuer, client_id="web", client_secret="s3cret") as oauth:
        # --8<-- [start:by_hand]
        pushed = push_authorization_request(
            oauth,
            {
                "response_type": "code",
                "redirect_uri": "https://app.example/callback",
                "scope": "openid",
                "state": "af0ifjsldkj",
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                "code_challenge_method": "S256",
            },
        )
        url = pushed.authorization_url(oauth.metadata().endpoint("authorization_endpoint"), "web")
        # --8<-- [end:by_hand]
    assert pushed.expires_in == 60
    assert httpx.URL(url).params["request_uri"] == pushed.request_uri
