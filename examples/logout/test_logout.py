"""A CLI's ``logout --everywhere``: RP-initiated logout ends the provider's session too.

Deleting the stored tokens logs the CLI out on this machine; the browser stays
signed in at the provider, so the next ``login --web`` would not ask for a
password. Sending the browser to the ``end_session_endpoint`` (OIDC
RP-Initiated Logout 1.0) ends that session. Runs in-process and over the
loopback server.
"""

from __future__ import annotations

import re
import urllib.request
from typing import Any

import httpx
import pytest

from pytest_authmock import FakeIdP
from pytest_authmock.client import OAuthClient, authorize_in_browser, end_session_url


class Browser:
    """A browser that keeps the provider's cookies and signs ada in when asked."""

    def __init__(self, idp: FakeIdP) -> None:
        self.idp, self.http, self.sign_ins = idp, httpx.Client(), 0

    def open(self, url: str) -> None:
        answer = self.http.get(url)
        if answer.status_code == 200:  # the sign-in page
            self.sign_ins += 1
            form = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', answer.text))
            form.update(username="ada", password="correct horse", action="approve")
            answer = self.http.post(self.idp.url_for("authorization"), data=form)
        if answer.is_redirect and answer.headers["location"].startswith("http://127.0.0.1"):
            urllib.request.urlopen(answer.headers["location"], timeout=5).close()  # noqa: S310


@pytest.fixture(params=["idp", "idp_server"])
def provider(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(request.param)


def test_logout_everywhere(provider: FakeIdP) -> None:
    provider.add_user("ada", "correct horse")
    # --8<-- [start:logout]
    provider.add_client(
        "acme-cli",
        public=True,
        redirect_uris=["http://127.0.0.1/callback"],
        post_logout_redirect_uris=["https://acme.example/signed-out"],  # exact match
    )
    browser = Browser(provider)
    with OAuthClient(provider.issuer, client_id="acme-cli") as oauth:
        token = authorize_in_browser(oauth, open_browser=browser.open)
        authorize_in_browser(oauth, open_browser=browser.open)
        assert browser.sign_ins == 1  # the provider remembered the browser

        url = end_session_url(
            oauth,
            id_token_hint=token.id_token,  # the provider signs out without asking
            post_logout_redirect_uri="https://acme.example/signed-out",
            state="bye",
        )
        back = browser.http.get(url)
        assert back.headers["location"] == "https://acme.example/signed-out?state=bye"

        authorize_in_browser(oauth, open_browser=browser.open)
        assert browser.sign_ins == 2  # asked for the password again
    # --8<-- [end:logout]
    browser.http.close()
