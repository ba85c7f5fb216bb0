"""End to end in a real browser: the device flow and the authorization-code flow
through the provider's own pages, against ``idp_server``."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from pytest_authmock.client import (
    BrowserLoginDenied,
    DeviceAuthorization,
    DeviceFlow,
    OAuthClient,
    Token,
    authorize_in_browser,
)


def test_device_flow_in_the_browser(idp_server: Any, page: Any, screenshot: Any) -> None:
    idp_server.add_client("acme-cli", public=True)
    idp_server.add_user("ada", "correct horse")
    api = idp_server.issuer + "/api/things"
    idp_server.protect(api, scopes=["read"])

    def sleep(seconds: float) -> None:  # poll quickly; the provider's clock keeps the pace
        idp_server.clock.advance(seconds)
        time.sleep(0.05)

    with OAuthClient(idp_server.issuer, client_id="acme-cli") as oauth:
        flow = DeviceFlow(oauth, scopes=["openid", "read"], sleep=sleep)
        authz = flow.start()
        result: dict[str, Any] = {}
        cancel = threading.Event()
        poller = threading.Thread(
            target=lambda: result.update(token=flow.poll(authz, cancel=cancel))
        )
        poller.start()
        try:
            _approve_in_browser(page, screenshot, authz)
        finally:
            poller.join(10)
            cancel.set()
    token: Token = result["token"]
    answer = httpx.get(api, headers={"Authorization": f"Bearer {token.access_token}"})
    assert answer.json()["username"] == "ada"


def _approve_in_browser(page: Any, screenshot: Any, authz: DeviceAuthorization) -> None:

    page.goto(authz.verification_uri)
    screenshot("device-enter-code")
    page.get_by_label("Code shown on your device").fill(authz.user_code.lower())
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Approve").click()
    assert page.get_by_role("alert").inner_text() == "Wrong username or password."
    screenshot("device-wrong-password")
    page.get_by_label("Password").fill("correct horse")
    page.get_by_role("button", name="Approve").click()
    assert "acme-cli is now signed in as ada" in page.get_by_role("status").inner_text()
    screenshot("device-connected")


def test_device_page_with_the_complete_uri(idp_server: Any, page: Any, screenshot: Any) -> None:
    idp_server.add_client("acme-cli", public=True)
    with OAuthClient(idp_server.issuer, client_id="acme-cli") as oauth:
        authz: DeviceAuthorization = DeviceFlow(oauth, scopes=["read", "write"]).start()
    page.goto(authz.url)
    assert "acme-cli is asking to sign in" in page.locator("main").inner_text()
    assert page.get_by_label("Code shown on your device").input_value() == authz.user_code
    screenshot("device-verification")
    page.get_by_role("button", name="Deny").click()
    assert "will not be signed in" in page.get_by_role("status").inner_text()
    assert idp_server.device_authorizations(pending=False)[0].status == "denied"


def test_expired_code_message(idp_server: Any, page: Any) -> None:
    idp_server.add_client("acme-cli", public=True)
    with OAuthClient(idp_server.issuer, client_id="acme-cli") as oauth:
        authz = DeviceFlow(oauth).start()
    idp_server.clock.advance(301)
    page.goto(authz.url)
    assert "expired at" in page.get_by_role("alert").inner_text()


def test_authorization_code_flow_in_the_browser(
    idp_server: Any, page: Any, screenshot: Any
) -> None:
    idp_server.add_client("acme-cli", public=True, redirect_uris=["http://127.0.0.1/callback"])
    idp_server.add_user("ada", "correct horse")

    def browser(url: str) -> None:
        page.goto(url)
        screenshot("authorize-sign-in")
        page.get_by_label("Username").fill("ada")
        page.get_by_label("Password").fill("correct horse")
        page.get_by_role("button", name="Sign in and allow").click()
        page.wait_for_url("http://127.0.0.1:*/callback?*")
        assert "You are signed in" in page.locator("body").inner_text()

    with OAuthClient(idp_server.issuer, client_id="acme-cli") as oauth:
        token = authorize_in_browser(oauth, scopes=["openid", "profile"], open_browser=browser)
    assert token.id_token
    entry = idp_server.journal.last(endpoint="token")
    assert (entry.grant_type, entry.username) == ("authorization_code", "ada")


def test_deny_in_the_browser(idp_server: Any, page: Any) -> None:
    idp_server.add_client("acme-cli", public=True, redirect_uris=["http://127.0.0.1/callback"])

    def browser(url: str) -> None:
        page.goto(url)
        page.get_by_role("button", name="Deny").click()
        page.wait_for_url("http://127.0.0.1:*/callback?*")

    with (
        OAuthClient(idp_server.issuer, client_id="acme-cli") as oauth,
        pytest.raises(BrowserLoginDenied),
    ):
        authorize_in_browser(oauth, open_browser=browser)


def test_untrusted_redirect_shows_an_error_page(
    idp_server: Any, page: Any, screenshot: Any
) -> None:
    idp_server.add_client("acme-cli", public=True, redirect_uris=["http://127.0.0.1/callback"])
    url = httpx.URL(
        idp_server.url_for("authorization"),
        params={
            "client_id": "acme-cli",
            "response_type": "code",
            "redirect_uri": "https://evil.example/cb",
        },
    )
    page.goto(str(url))
    assert "is not registered for client 'acme-cli'" in page.get_by_role("alert").inner_text()
    screenshot("authorize-error")
