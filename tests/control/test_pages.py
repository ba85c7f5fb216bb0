"""The home page and the debugger over HTTP (the browser tests are in tests/e2e)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.control.conftest import ADMIN_TOKEN, ControlServer

DEBUGGER = "/_authmock/debugger"


class Browser:
    """An httpx client that keeps cookies and reads each page's CSRF token."""

    def __init__(self, control: ControlServer) -> None:
        self.http = httpx.Client(base_url=control.url, timeout=30)
        self.origin = {"Origin": control.url}

    def sign_in(self) -> httpx.Response:
        return self.http.post(
            f"{DEBUGGER}/login", data={"admin_token": ADMIN_TOKEN}, headers=self.origin
        )

    def csrf(self) -> str:
        match = re.search(r'name="csrf" value="([^"]+)"', self.http.get(DEBUGGER).text)
        assert match is not None
        return match.group(1)

    def post(self, action: str, **form: str) -> httpx.Response:
        return self.http.post(
            f"{DEBUGGER}/{action}", data={"csrf": self.csrf(), **form}, headers=self.origin
        )

    def page(self) -> str:
        return self.http.get(DEBUGGER).text


@pytest.fixture
def browser(control: ControlServer) -> Iterator[Browser]:
    browser = Browser(control)
    assert browser.sign_in().status_code == 303
    yield browser
    browser.http.close()


def test_home_page(control: ControlServer) -> None:
    answer = control.http.get("/")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert "<script" not in answer.text
    assert control.url + "/oauth2/token" in answer.text
    assert "demo / demo-password" in answer.text
    assert control.http.head("/").status_code == 200
    assert control.http.post("/").status_code == 405


def test_the_debugger_asks_for_the_admin_token(control: ControlServer) -> None:
    page = control.http.get(DEBUGGER)
    assert 'name="admin_token"' in page.text
    wrong = control.http.post(f"{DEBUGGER}/login", data={"admin_token": "nope"})
    assert wrong.status_code == 401
    assert "That is not this server&#x27;s admin token." in wrong.text
    foreign = control.http.post(
        f"{DEBUGGER}/login",
        data={"admin_token": ADMIN_TOKEN},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    assert "set-cookie" not in foreign.headers
    signed_in = control.http.post(f"{DEBUGGER}/login", data={"admin_token": ADMIN_TOKEN})
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"]
    assert "; Path=/_authmock/debugger; HttpOnly; SameSite=Strict" in cookie
    assert ADMIN_TOKEN not in cookie


def test_tokens_for_each_grant(browser: Browser) -> None:
    browser.post("token", client_id="demo-client", grant="client_credentials", scope="a b")
    page = browser.page()
    assert "Result: client_credentials with demo-client" in page
    assert "signature verified with the provider&#x27;s published keys" in page
    browser.post(
        "token",
        client_id="demo-client",
        grant="password",
        username="demo",
        password="demo-password",
        scope="openid offline_access",
    )
    page = browser.page()
    assert "Result: password with demo-client" in page
    assert "<h3>id_token</h3>" in page
    refresh = re.search(r'name="refresh_token" value="([^"]+)"', page)
    assert refresh is not None
    browser.post(
        "token", client_id="demo-client", grant="refresh_token", refresh_token=refresh.group(1)
    )
    assert "Result: refresh_token with demo-client" in browser.page()
    browser.post(
        "token", client_id="demo-client", grant="password", username="demo", password="wrong"
    )
    page = browser.page()
    assert "The token endpoint answered 400." in page
    assert "invalid_grant" in page


def test_opaque_tokens_and_certificate_clients(control: ControlServer, browser: Browser) -> None:
    control.call(
        "POST",
        "/clients",
        {"client_id": "opaque", "client_secret": "opaque-secret", "token_format": "opaque"},
    )
    browser.post("token", client_id="opaque", grant="client_credentials")
    assert "An opaque token" in browser.page()
    control.call("POST", "/clients", {"client_id": "pki", "tls_client_auth_subject_dn": "CN=pki"})
    refused = browser.post("token", client_id="pki", grant="client_credentials")
    assert refused.status_code == 400
    assert "authenticates with a certificate" in refused.text
    assert browser.post("token", client_id="nobody", grant="client_credentials").status_code == 400


def test_authorization_code_round_trip(control: ControlServer, browser: Browser) -> None:
    control.call("PATCH", "/settings", {"auto_approve": "demo"})  # no sign-in page
    to_provider = browser.post(
        "token", client_id="demo-client", grant="authorization_code", scope="openid"
    )
    assert to_provider.status_code == 303
    back = browser.http.get(to_provider.headers["location"])
    assert back.headers["location"].startswith(control.url + DEBUGGER + "/callback?")
    assert browser.http.get(back.headers["location"]).status_code == 303
    assert "Result: authorization_code with demo-client" in browser.page()
    # A replayed or forged answer matches no sign-in started here.
    browser.http.get(back.headers["location"])
    assert "matches no sign-in started here" in browser.page()
    refused = browser.post("token", client_id="demo-cli", grant="authorization_code")
    assert "does not list" in refused.text


def test_device_decisions(control: ControlServer, browser: Browser) -> None:
    browser.post("token", client_id="demo-cli", grant="device_code")
    page = browser.page()
    code = re.search(r"code ([A-Z]{4}-[A-Z]{4})\. Approve it", page)
    assert code is not None
    browser.post("device", user_code=code.group(1), decision="approve", username="nobody")
    assert "no user &#x27;nobody&#x27;" in browser.page()
    browser.post("device", user_code=code.group(1), decision="approve", username="demo")
    assert f"Approved {code.group(1)} as demo." in browser.page()
    control.call("POST", "/clock", {"advance": 10})
    browser.post("token", grant="device_poll")
    assert f"Result: device code {code.group(1)}" in browser.page()
    browser.post("device", user_code=code.group(1), decision="deny")
    assert "was already" in browser.page()


def test_forms_need_the_csrf_token_and_the_session(
    control: ControlServer, browser: Browser
) -> None:
    form = {"client_id": "demo-client", "grant": "client_credentials"}
    assert browser.http.post(f"{DEBUGGER}/token", data=form).status_code == 403
    assert (
        browser.http.post(f"{DEBUGGER}/token", data={**form, "csrf": "forged"}).status_code == 403
    )
    assert (
        control.http.post(f"{DEBUGGER}/token", data=form).status_code == 303
    )  # no session: sign in
    assert len(control.idp.journal) == 0
    assert browser.http.get(f"{DEBUGGER}/token").status_code == 405
    assert browser.post("nowhere").status_code == 404
    signed_out = browser.post("logout")
    assert "Max-Age=0" in signed_out.headers["set-cookie"]
    assert 'name="admin_token"' in browser.http.get(DEBUGGER).text


def test_the_journal_is_shown(control: ControlServer, browser: Browser) -> None:
    control.http.get("/.well-known/jwks.json")
    assert "GET /.well-known/jwks.json" in browser.page()
