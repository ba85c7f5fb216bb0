"""A CLI's ``login --web``: authorization code + PKCE with a loopback redirect.

The CLI (here: ``authorize_in_browser`` from the client library) listens on
127.0.0.1, opens the browser at the provider, and exchanges the code it gets
back. A test replaces the browser with a function that follows the redirect,
and lets ``idp.auto_approve`` stand in for the user at the sign-in page.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import httpx
import pytest

from pytest_authmock import FakeIdP
from pytest_authmock.client import BrowserLoginDenied, OAuthClient, authorize_in_browser


def headless_browser(url: str) -> None:
    """Open the authorization URL, then follow the redirect to the CLI's listener."""
    answer = httpx.get(url)  # reaches the provider (respx in-process, or the socket)
    assert answer.status_code == 302, answer.text
    follow(answer.headers["location"])


def follow(location: str) -> None:
    """The browser landing on the CLI's listener: a real socket on 127.0.0.1, reached
    without respx. The listener answers 400 when the redirect carries an error."""
    try:
        urllib.request.urlopen(location, timeout=5).close()  # noqa: S310
    except urllib.error.HTTPError as error:
        error.close()


@pytest.fixture(params=["idp", "idp_server"])
def provider(request: pytest.FixtureRequest) -> Any:
    idp = request.getfixturevalue(request.param)
    # Any port on the loopback address matches (RFC 8252 §7.3).
    idp.add_client("acme-cli", public=True, redirect_uris=["http://127.0.0.1/callback"])
    return idp


def test_login_in_the_browser(provider: FakeIdP) -> None:
    provider.auto_approve = provider.add_user("ada")
    with OAuthClient(provider.issuer, client_id="acme-cli") as oauth:
        token = authorize_in_browser(
            oauth, scopes=["openid", "profile"], open_browser=headless_browser
        )
    assert token.id_token  # signature, issuer, audience and nonce already checked
    provider.journal.assert_count(
        1, endpoint="token", grant_type="authorization_code", username="ada"
    )


def test_user_denies(provider: FakeIdP) -> None:
    def denies(url: str) -> None:
        redirect = httpx.URL(url).params["redirect_uri"]
        state = httpx.URL(url).params["state"]
        location = f"{redirect}?error=access_denied&state={state}&iss={provider.issuer}"
        follow(location)

    with (
        OAuthClient(provider.issuer, client_id="acme-cli") as oauth,
        pytest.raises(BrowserLoginDenied, match="denied in the browser"),
    ):
        authorize_in_browser(oauth, open_browser=denies)
