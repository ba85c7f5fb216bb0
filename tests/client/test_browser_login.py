"""The CLI browser login: loopback redirect listener, PKCE, state, nonce and ID token checks."""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_authmock.client import OAuthClient, ProviderError
from pytest_authmock.client.browser_login import (
    AuthorizationCodeGrant,
    BrowserLoginDenied,
    BrowserLoginError,
    LoopbackRedirectListener,
    authorize_in_browser,
    pkce_pair,
)

LOOPBACK = "http://127.0.0.1/callback"


def deliver(location: str) -> int:
    """The browser following the redirect to the CLI's listener (not through respx)."""
    try:
        with urllib.request.urlopen(location, timeout=5) as answer:  # noqa: S310 - loopback only
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


class Browser:
    """A scripted browser: opens the URL, signs in (or denies) on the page, follows back."""

    def __init__(self, server: Any, *, password: str | None = None, deny: bool = False) -> None:
        self.server, self.password, self.deny = server, password, deny
        self.opened: list[str] = []
        self.listener_status: int | None = None

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        with httpx.Client(verify=getattr(self.server, "httpx_verify", True)) as http:
            answer = http.get(url)
            if answer.status_code == 200:  # the sign-in page
                fields = dict(
                    re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', answer.text)
                )
                fields.update(
                    action="deny" if self.deny else "approve",
                    username="ada",
                    password=self.password or "",
                )
                answer = http.post(self.server.url_for("authorization"), data=fields)
            self.listener_status = deliver(answer.headers["location"])
        return True


@pytest.fixture
def oauth(server: Any, make_oauth: Callable[..., OAuthClient]) -> OAuthClient:
    server.add_user("ada", "correct horse")
    return make_oauth(server.add_client("cli", public=True, redirect_uris=[LOOPBACK]))


def test_sign_in_through_the_page(server: Any, oauth: OAuthClient) -> None:
    browser = Browser(server, password="correct horse")
    token = authorize_in_browser(oauth, scopes=["openid", "profile"], open_browser=browser)
    assert token.refresh_token
    assert token.id_token
    assert browser.listener_status == 200
    (url,) = browser.opened
    params = httpx.URL(url).params
    assert params["code_challenge_method"] == "S256"
    assert params["redirect_uri"].startswith("http://127.0.0.1:")
    assert len(params["state"]) >= 16
    assert "nonce" in params
    entry = server.journal.last(endpoint="token")
    assert (entry.grant_type, entry.username, entry.status_code) == (
        "authorization_code",
        "ada",
        200,
    )


def test_auto_approve_and_show_url(server: Any, oauth: OAuthClient) -> None:
    server.auto_approve = "ada"
    shown: list[str] = []
    token = authorize_in_browser(oauth, open_browser=Browser(server), show_url=shown.append)
    assert token.access_token
    assert shown
    assert shown[0].startswith(server.issuer + "/oauth2/authorize?")


def test_denied(server: Any, oauth: OAuthClient) -> None:
    browser = Browser(server, deny=True)
    with pytest.raises(BrowserLoginDenied, match="denied in the browser"):
        authorize_in_browser(oauth, open_browser=browser)
    assert browser.listener_status == 400


def test_provider_error_comes_back(server: Any, make_oauth: Callable[..., OAuthClient]) -> None:
    server.auto_approve = server.add_user("ada")
    oauth = make_oauth(
        server.add_client("cli", public=True, redirect_uris=[LOOPBACK], scopes=["read"])
    )
    with pytest.raises(ProviderError, match="invalid_scope"):
        authorize_in_browser(oauth, scopes=["admin"], open_browser=Browser(server))


def test_timeout_and_cancel(server: Any, oauth: OAuthClient) -> None:
    with pytest.raises(BrowserLoginError, match=r"no answer from the browser within 0\.2 s"):
        authorize_in_browser(oauth, open_browser=None, timeout=0.2)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(BrowserLoginError, match="cancelled"):
        authorize_in_browser(oauth, open_browser=None, cancel=cancel)


def test_forged_redirect_is_refused(server: Any, oauth: OAuthClient) -> None:
    def attacker(url: str) -> None:
        redirect = httpx.URL(url).params["redirect_uri"]
        deliver(redirect + "?code=stolen&state=guess")

    with pytest.raises(BrowserLoginError, match="wrong state"):
        authorize_in_browser(oauth, open_browser=attacker)
    assert server.journal.count(endpoint="token") == 0


def test_mix_up_is_refused(server: Any, oauth: OAuthClient) -> None:
    def other_issuer(url: str) -> None:
        params = httpx.URL(url).params
        deliver(f"{params['redirect_uri']}?code=x&state={params['state']}&iss=https://evil.example")

    with pytest.raises(BrowserLoginError, match="RFC 9207"):
        authorize_in_browser(oauth, open_browser=other_issuer)


def test_listener_ignores_other_paths() -> None:
    with LoopbackRedirectListener(path="/cb") as listener:
        base = listener.redirect_uri.rsplit("/", 1)[0]
        assert deliver(base + "/favicon.ico") == 404
        assert deliver(listener.redirect_uri + "?code=abc&state=s") == 200
        assert deliver(listener.redirect_uri + "?code=again") == 404  # one shot
        assert listener.wait(1) == {"code": "abc", "state": "s"}
    with pytest.raises(ValueError, match="must start with"):
        LoopbackRedirectListener(path="cb")


def test_pkce_pair_and_grant_form() -> None:
    verifier, challenge = pkce_pair()
    assert 43 <= len(verifier) <= 128
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", challenge)
    grant = AuthorizationCodeGrant("the-code", "http://127.0.0.1:1/cb", verifier)
    assert grant.form() == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": "http://127.0.0.1:1/cb",
        "code_verifier": verifier,
    }
    assert "the-code" not in repr(grant)
    assert verifier not in repr(grant)


def test_login_browser_stores_the_session(server: Any, tmp_path: Any) -> None:
    from pytest_authmock.client import AuthHome, login_browser

    server.add_client("cli", public=True, redirect_uris=[LOOPBACK])
    server.auto_approve = server.add_user("ada")
    home = AuthHome.open("toolx", directory=tmp_path / "home", keyring="never")
    home.contexts.create("default", issuer=server.issuer, activate=True)
    resolver = home.resolver(default_client_id="cli", environ={})
    session = login_browser(resolver, scopes=["openid", "profile"], open_browser=Browser(server))
    assert session.username == "ada"
    assert session.display_name == server.users["ada"].profile["name"]
    assert resolver.store.load("default") == session


def test_id_token_checks(server: Any, make_oauth: Callable[..., OAuthClient]) -> None:
    from pytest_authmock.client import PasswordGrant, verify_id_token

    server.add_user("ada", "pw")
    cli = make_oauth(server.add_client("cli"))
    other = make_oauth(server.add_client("other"))
    token = cli.request_token(PasswordGrant("ada", "pw", ["openid"]))
    assert token.id_token is not None
    with pytest.raises(ProviderError, match="wrong nonce"):
        verify_id_token(cli, token.id_token, nonce="expected-nonce")  # the grant sent none
    with pytest.raises(ProviderError, match="wrong audience"):
        verify_id_token(other, token.id_token, nonce=None)
    tampered = token.id_token[:-4] + "AAAA"
    with pytest.raises(ProviderError, match="does not verify"):
        verify_id_token(cli, tampered, nonce=None)
    assert verify_id_token(cli, token.id_token, nonce=None)["aud"] == "cli"


def test_an_expired_id_token_is_refused(
    server: Any, make_oauth: Callable[..., OAuthClient], clock: Any
) -> None:
    # This machine's clock runs two hours ahead of the provider's: the ID token
    # it just issued has expired here (OIDC Core §3.1.3.7 step 9).
    server.add_user("ada", "correct horse")
    ahead = make_oauth(
        server.add_client("cli", public=True, redirect_uris=[LOOPBACK]),
        clock=lambda: clock() + 7200,
    )
    browser = Browser(server, password="correct horse")
    with pytest.raises(ProviderError, match=r"wrong time: the ID token expired"):
        authorize_in_browser(ahead, scopes=["openid"], open_browser=browser)


def test_a_lost_code_exchange_is_not_resent(
    server: Any, make_oauth: Callable[..., OAuthClient]
) -> None:
    # The provider redeemed the code; the gateway lost the answer. A code works
    # once (RFC 6749 §4.1.2): sending it again could only make the provider
    # revoke what it issued for it.
    from pytest_authmock.client import ProviderUnavailable
    from tests.client.gateway import Gateway, first

    server.add_user("ada", "correct horse")
    gateway = Gateway(server, lose=first("authorization_code"))
    with httpx.Client(transport=gateway) as http:
        oauth = make_oauth(
            server.add_client("cli", public=True, redirect_uris=[LOOPBACK]), http_client=http
        )
        browser = Browser(server, password="correct horse")
        with pytest.raises(ProviderUnavailable, match="not repeated"):
            authorize_in_browser(oauth, open_browser=browser)
    assert server.journal.count(endpoint="token", grant_type="authorization_code") == 1
    assert len(gateway.lost) == 1
