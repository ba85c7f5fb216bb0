"""The home page and the debugger of ``authmock serve`` in headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from examples.serve_process import ServeProcess

ADMIN = "e2e-admin-token-0123456789"


@pytest.fixture(scope="module")
def server() -> Iterator[ServeProcess]:
    with ServeProcess("--admin-token", ADMIN, "--device-interval", "0") as running:
        yield running


@pytest.fixture
def fresh(server: ServeProcess, page: Any) -> ServeProcess:
    assert server.control("POST", "/reset").status_code == 204
    page.set_viewport_size({"width": 960, "height": 720})  # the debugger's tables need room
    return server


def _sign_in(page: Any, server: ServeProcess) -> None:
    page.goto(server.record["debugger"])
    page.get_by_label("Admin token").fill(ADMIN)
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("heading", name="authmock serve debugger").is_visible()


def _get_token(page: Any, client: str, grant: str, *, scope: str = "") -> None:
    page.get_by_label("Client").select_option(client)
    page.get_by_label("Grant").select_option(grant)
    page.get_by_label("Scope").fill(scope)
    page.get_by_role("button", name="Get a token").click()


def test_home_page(page: Any, screenshot: Any, fresh: ServeProcess) -> None:
    page.goto(fresh.record["home"])
    text = page.locator("main").inner_text()
    assert "A fake OAuth 2.0 / OpenID Connect provider" in text
    assert "demo-client / demo-secret" in text
    assert "demo / demo-password" in text
    for url in fresh.record["endpoints"].values():
        assert url in text
    screenshot("serve-home")
    page.get_by_role("link", name="Debugger").click()
    assert page.get_by_label("Admin token").is_visible()


def test_debugger_sign_in(page: Any, screenshot: Any, fresh: ServeProcess) -> None:
    page.goto(fresh.record["debugger"])
    page.get_by_label("Admin token").fill("not-the-token")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "That is not this server's admin token."
    screenshot("debugger-sign-in")
    page.get_by_label("Admin token").fill(ADMIN)
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("button", name="Sign out").is_visible()
    page.get_by_role("button", name="Sign out").click()
    assert page.get_by_label("Admin token").is_visible()


def test_get_a_token_and_see_it_decoded(page: Any, screenshot: Any, fresh: ServeProcess) -> None:
    _sign_in(page, fresh)
    _get_token(page, "demo-client", "client_credentials", scope="read write")
    result = page.locator("section").inner_text()
    assert "Result: client_credentials with demo-client" in result
    assert "signature verified with the provider's published keys" in result
    assert '"scope": "read write"' in result
    assert '"alg": "RS256"' in result
    assert "(in 3600 s, on the provider's clock)" in result or "(in 3599 s" in result
    screenshot("debugger-token")
    # The request went through the provider like any client's: it is in the journal.
    assert "client_credentials" in page.locator("table").last.inner_text()


def test_authorization_code_in_the_browser(page: Any, screenshot: Any, fresh: ServeProcess) -> None:
    _sign_in(page, fresh)
    _get_token(page, "demo-cli", "authorization_code")
    # The provider's own sign-in page, which says how to sign in as the demo user.
    assert "sign in as demo with the password demo-password" in page.locator("main").inner_text()
    screenshot("serve-sign-in-hint")
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Sign in and allow").click()
    result = page.locator("section").inner_text()
    assert "Result: authorization_code with demo-cli" in result
    assert "id_token" in result
    assert '"preferred_username": "demo"' in result


def test_device_codes_approve_and_deny(page: Any, screenshot: Any, fresh: ServeProcess) -> None:
    _sign_in(page, fresh)
    # A device elsewhere asks for a code...
    other = httpx.post(
        fresh.record["endpoints"]["device_authorization"], data={"client_id": "demo-cli"}
    )
    denied_code = other.json()["user_code"]
    # ...and one started from the debugger itself.
    _get_token(page, "demo-cli", "device_code")
    notice = page.get_by_role("status").inner_text()
    assert notice.startswith("Device login started for demo-cli: code ")
    code = notice.split("code ")[1].split(".")[0]
    pending = page.locator("#device ~ table").first.inner_text()
    assert code in pending
    assert denied_code in pending
    screenshot("debugger-device")
    row = page.locator("tr", has_text=denied_code)
    row.get_by_role("button", name="Deny").click()
    assert page.get_by_role("status").inner_text() == f"Denied {denied_code}."
    row = page.locator("tr", has_text=code)
    row.get_by_role("button", name="Approve").click()
    assert page.get_by_role("status").inner_text() == f"Approved {code} as demo."
    page.get_by_role("button", name="Get the token").click()
    assert f"Result: device code {code}" in page.locator("section").inner_text()
    poll = httpx.post(
        fresh.record["endpoints"]["token"],
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": other.json()["device_code"],
            "client_id": "demo-cli",
        },
    )
    assert poll.json()["error"] == "access_denied"


def test_forms_are_csrf_safe(page: Any, fresh: ServeProcess) -> None:
    _sign_in(page, fresh)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert set(cookies) == {"authmock_debugger"}
    cookie = next(c for c in page.context.cookies() if c["name"] == "authmock_debugger")
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (
        True,
        "Strict",
        "/_authmock/debugger",
    )
    url = fresh.record["debugger"] + "/token"
    form = {"grant": "client_credentials", "client_id": "demo-client"}
    with httpx.Client(cookies=cookies) as http:
        assert http.post(url, data=form).status_code == 403  # no CSRF token
        csrf = page.locator('input[name="csrf"]').first.get_attribute("value")
        foreign = http.post(
            url, data={**form, "csrf": csrf}, headers={"Origin": "https://evil.example"}
        )
        assert foreign.status_code == 403
        own = http.post(url, data={**form, "csrf": csrf}, headers={"Origin": fresh.issuer})
        assert own.status_code == 303
    # Without the session cookie, the debugger asks to sign in and does nothing.
    assert httpx.post(url, data=form).status_code == 303
    answer = httpx.get(fresh.record["debugger"])
    assert "Admin token" in answer.text
    assert "script-src" not in answer.headers["content-security-policy"]
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
