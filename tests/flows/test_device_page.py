"""The device verification page: enter the code, sign in, approve or deny; CSRF and messages."""

from __future__ import annotations

import httpx
import pytest

from pytest_authmock import FakeIdP
from tests.flows.helpers import alert, hidden_fields, poll, start_device, status_text, submit


@pytest.fixture
def device(provider: FakeIdP, http: httpx.Client) -> dict[str, str]:
    provider.add_client("acme-cli", public=True)
    provider.add_user("ada", "correct horse")
    return start_device(http, provider, "acme-cli", "read write")


def test_page_without_a_code_asks_for_it(provider: FakeIdP, http: httpx.Client) -> None:
    page = http.get(provider.issuer + "/device")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "Enter the code shown on your device" in page.text
    assert '<label for="user_code">' in page.text
    assert '<html lang="en">' in page.text
    assert "<script" not in page.text
    assert "script-src" not in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert "HttpOnly; SameSite=Lax" in page.headers["set-cookie"]
    assert hidden_fields(page.text)["csrf"]


def test_complete_uri_names_the_client_and_scopes(
    provider: FakeIdP, http: httpx.Client, device: dict[str, str]
) -> None:
    page = http.get(device["verification_uri_complete"])
    assert "<strong>acme-cli</strong> is asking to sign in" in page.text
    assert "<code>read</code>" in page.text
    assert "<code>write</code>" in page.text
    assert f'value="{device["user_code"]}"' in page.text
    assert provider.journal.last(endpoint="device_verification").client_id == "acme-cli"


def test_approve_with_password(
    provider: FakeIdP, http: httpx.Client, device: dict[str, str]
) -> None:
    page = http.get(device["verification_uri"])
    done = submit(
        http,
        page,
        device["verification_uri"],
        user_code=device["user_code"].lower().replace("-", " "),  # typed sloppily
        username="ada",
        password="correct horse",
        action="approve",
    )
    assert done.status_code == 200
    assert status_text(done.text) == (
        "acme-cli is now signed in as ada. You can close this window and return to your device."
    )
    provider.clock.advance(5)
    assert poll(http, provider, "acme-cli", device["device_code"]).status_code == 200
    entry = provider.journal.last(endpoint="device_verification", method="POST")
    assert (entry.username, entry.status_code, entry.error) == ("ada", 200, None)


def test_wrong_password_keeps_the_form(
    provider: FakeIdP, http: httpx.Client, device: dict[str, str]
) -> None:
    page = http.get(device["verification_uri_complete"])
    again = submit(
        http,
        page,
        device["verification_uri"],
        username="ada",
        password="guess",
        action="approve",
        user_code=device["user_code"],
    )
    assert again.status_code == 401
    assert alert(again.text) == "Wrong username or password."
    assert 'aria-invalid="true"' in again.text
    assert "guess" not in again.text
    assert f'value="{device["user_code"]}"' in again.text
    assert 'value="ada"' in again.text
    assert provider.device_authorizations()[0].status == "pending"
    assert provider.journal.last(endpoint="device_verification").error == "invalid_credentials"


def test_deny(provider: FakeIdP, http: httpx.Client, device: dict[str, str]) -> None:
    page = http.get(device["verification_uri_complete"])
    done = submit(
        http, page, device["verification_uri"], user_code=device["user_code"], action="deny"
    )
    assert status_text(done.text) == "acme-cli will not be signed in. You can close this window."
    assert (
        poll(http, provider, "acme-cli", device["device_code"]).json()["error"] == "access_denied"
    )


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "BBBB-BBBB",
            "Code 'BBBB-BBBB' is not valid; check it against the one shown on your device.",
        ),
        ("", "Enter the code shown on your device."),
    ],
)
def test_unknown_code(provider: FakeIdP, http: httpx.Client, code: str, message: str) -> None:
    page = http.get(provider.issuer + "/device")
    answer = submit(
        http,
        page,
        provider.issuer + "/device",
        user_code=code,
        username="ada",
        password="x",
        action="approve",
    )
    assert answer.status_code == 400
    assert alert(answer.text) == message


def test_expired_code(provider: FakeIdP, http: httpx.Client, device: dict[str, str]) -> None:
    page = http.get(device["verification_uri"])
    provider.clock.advance(301)
    answer = submit(
        http,
        page,
        device["verification_uri"],
        user_code=device["user_code"],
        username="ada",
        password="correct horse",
        action="approve",
    )
    assert answer.status_code == 400
    message = alert(answer.text)
    assert message is not None
    assert message.startswith(f"Code {device['user_code']} expired at ")
    assert "start the sign-in on your device again" in message
    direct = http.get(device["verification_uri_complete"])
    assert direct.status_code == 400
    assert "expired at" in (alert(direct.text) or "")


def test_used_code(provider: FakeIdP, http: httpx.Client, device: dict[str, str]) -> None:
    provider.deny_device(device["user_code"])
    page = http.get(device["verification_uri_complete"])
    assert alert(page.text) == f"Code {device['user_code']} was already denied."


def test_form_without_csrf_token_is_refused(
    provider: FakeIdP, http: httpx.Client, device: dict[str, str]
) -> None:
    http.get(device["verification_uri"])  # the browser has the cookie, not the form
    forged = http.post(
        device["verification_uri"],
        data={
            "user_code": device["user_code"],
            "username": "ada",
            "password": "correct horse",
            "action": "approve",
        },
    )
    assert forged.status_code == 403
    assert "has expired or was not sent from this page" in (alert(forged.text) or "")
    assert provider.device_authorizations()[0].status == "pending"


def test_csrf_token_is_single_use_and_bound_to_the_cookie(
    provider: FakeIdP, http: httpx.Client, device: dict[str, str]
) -> None:
    page = http.get(device["verification_uri"])
    fields = {"user_code": device["user_code"], "action": "deny"}
    verify = getattr(provider, "httpx_verify", True)
    with httpx.Client(verify=verify) as other_browser:
        other_browser.get(device["verification_uri"])  # has a cookie of its own
        stolen = other_browser.post(
            device["verification_uri"], data={**hidden_fields(page.text), **fields}
        )
    assert stolen.status_code == 403
    first = submit(http, page, device["verification_uri"], **fields)
    assert first.status_code == 403  # the stolen attempt consumed it
    fresh = http.get(device["verification_uri"])
    assert submit(http, fresh, device["verification_uri"], **fields).status_code == 200
    assert submit(http, fresh, device["verification_uri"], **fields).status_code == 403


def test_foreign_origin_is_refused(
    provider: FakeIdP, http: httpx.Client, device: dict[str, str]
) -> None:
    page = http.get(device["verification_uri"])
    answer = http.post(
        device["verification_uri"],
        data={**hidden_fields(page.text), "user_code": device["user_code"], "action": "deny"},
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status_code == 403
    assert alert(answer.text) == "This form was sent from another site, so it was ignored."


def test_missing_action_and_other_methods(
    provider: FakeIdP, http: httpx.Client, device: dict[str, str]
) -> None:
    page = http.get(device["verification_uri"])
    answer = submit(http, page, device["verification_uri"], user_code=device["user_code"])
    assert (answer.status_code, alert(answer.text)) == (400, "Choose Approve or Deny.")
    assert http.put(device["verification_uri"]).status_code == 405


def test_bad_form_body(provider: FakeIdP, http: httpx.Client) -> None:
    answer = http.post(
        provider.issuer + "/device", content=b"{}", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/html")
