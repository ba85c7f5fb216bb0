"""RP-initiated logout from the client's side: the browser session ends, the next login asks again."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from pytest_authmock.client import (
    ConfigurationError,
    OAuthClient,
    aend_session_url,
    authorize_in_browser,
    end_session_url,
)
from tests.client.test_browser_login import LOOPBACK, deliver

AFTER = "https://cli.example/signed-out"


class CookieBrowser:
    """One browser for several logins: it keeps the provider's cookies, like a real one."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.http = httpx.Client(verify=getattr(server, "httpx_verify", True))
        self.pages_shown = 0

    def __call__(self, url: str) -> bool:
        answer = self.http.get(url)
        if answer.status_code == 200:  # the sign-in page
            self.pages_shown += 1
            fields = re.findall(
                r'<input type="hidden" name="([^"]+)" value="([^"]*)">', answer.text
            )
            form = [
                *fields,
                ("username", "ada"),
                ("password", "correct horse"),
                ("action", "approve"),
            ]
            answer = self.http.post(self.server.url_for("authorization"), data=dict(form))
        deliver(answer.headers["location"])
        return True

    def visit(self, url: str) -> httpx.Response:
        return self.http.get(url)


@pytest.fixture
def browser(server: Any) -> Iterator[CookieBrowser]:
    server.add_user("ada", "correct horse")
    server.add_client(
        "cli", public=True, redirect_uris=[LOOPBACK], post_logout_redirect_uris=[AFTER]
    )
    browser = CookieBrowser(server)
    yield browser
    browser.http.close()


def test_logout_ends_the_single_sign_on(
    server: Any, make_oauth: Callable[..., OAuthClient], browser: CookieBrowser
) -> None:
    oauth = make_oauth(client_id="cli")
    token = authorize_in_browser(oauth, open_browser=browser)
    assert browser.pages_shown == 1
    authorize_in_browser(oauth, open_browser=browser)
    assert browser.pages_shown == 1  # signed in already: no page
    url = end_session_url(
        oauth, id_token_hint=token.id_token, post_logout_redirect_uri=AFTER, state="bye"
    )
    params = httpx.URL(url).params
    assert params["client_id"] == "cli"
    back = browser.visit(url)
    assert back.headers["location"] == AFTER + "?state=bye"
    authorize_in_browser(oauth, open_browser=browser)
    assert browser.pages_shown == 2  # asked to sign in again
    server.journal.assert_count(1, endpoint="end_session", username="ada")


def test_the_url(server: Any, make_oauth: Callable[..., OAuthClient]) -> None:
    oauth = make_oauth(client_id="cli")
    bare = httpx.URL(end_session_url(oauth))
    assert str(bare.copy_with(query=None)) == server.metadata()["end_session_endpoint"]
    assert dict(bare.params) == {"client_id": "cli"}
    with pytest.raises(ValueError, match="post_logout_redirect_uri"):
        end_session_url(oauth, state="lonely")
    url = asyncio.run(aend_session_url(oauth, logout_hint="ada"))
    assert httpx.URL(url).params["logout_hint"] == "ada"


def test_a_provider_without_logout(server: Any, make_oauth: Callable[..., OAuthClient]) -> None:
    server.protocol_settings.end_session = False
    with pytest.raises(ConfigurationError, match="end_session_endpoint"):
        end_session_url(make_oauth(client_id="cli"))
