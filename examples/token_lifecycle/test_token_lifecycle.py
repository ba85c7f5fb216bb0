"""The life of a token: issued, used, refreshed, expired, revoked, introspected."""

from __future__ import annotations

import httpx
import pytest
from freezegun import freeze_time

from pytest_authmock import FakeIdP


@pytest.fixture
def login(idp: FakeIdP) -> dict[str, str]:
    client = idp.add_client("cli", "cli-secret")
    user = idp.add_user("ada")
    response = httpx.post(
        idp.url_for("token"),
        data={"grant_type": "password", "username": "ada", "password": user.password},
        auth=("cli", "cli-secret"),
    )
    assert client.client_id == "cli"
    body: dict[str, str] = response.json()
    return body


def introspect(idp: FakeIdP, token: str) -> dict[str, object]:
    response = httpx.post(
        idp.url_for("introspection"), data={"token": token}, auth=("cli", "cli-secret")
    )
    result: dict[str, object] = response.json()
    return result


def refresh(idp: FakeIdP, refresh_token: str) -> httpx.Response:
    return httpx.post(
        idp.url_for("token"),
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=("cli", "cli-secret"),
    )


def test_expiry_follows_the_provider_clock(idp: FakeIdP, login: dict[str, str]) -> None:
    assert introspect(idp, login["access_token"])["active"] is True
    idp.clock.advance(3600)  # the default access_token_ttl
    assert introspect(idp, login["access_token"]) == {"active": False}


def test_expiry_follows_freezegun(idp: FakeIdP) -> None:
    with freeze_time("2030-01-01") as frozen:
        token = idp.issue_token(ttl=60)
        frozen.tick(60)
        assert idp.check_bearer(f"Bearer {token}").description == (
            "token expired at 2030-01-01T00:01:00Z (0 s ago)"
        )


def test_refresh_rotates_and_reuse_revokes_everything(idp: FakeIdP, login: dict[str, str]) -> None:
    rotated = refresh(idp, login["refresh_token"]).json()
    assert rotated["refresh_token"] != login["refresh_token"]

    replay = refresh(idp, login["refresh_token"])  # a stolen, already used token
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    # RFC 9700 §4.14: the whole family dies, including the legitimate new tokens.
    assert introspect(idp, rotated["access_token"]) == {"active": False}
    assert refresh(idp, rotated["refresh_token"]).json()["error"] == "invalid_grant"


def test_revocation_is_immediate_even_for_jwts(idp: FakeIdP, login: dict[str, str]) -> None:
    httpx.post(
        idp.url_for("revocation"), data={"token": login["access_token"]}, auth=("cli", "cli-secret")
    )
    assert introspect(idp, login["access_token"]) == {"active": False}
    # The JWT's signature still verifies; the provider remembers the revocation.
    assert idp.check_bearer(f"Bearer {login['access_token']}").description == "token was revoked"


@pytest.mark.authmock(access_token_ttl=None)
def test_tokens_that_never_expire(idp: FakeIdP, login: dict[str, str]) -> None:
    assert "expires_in" not in login
    idp.clock.advance(10 * 365 * 24 * 3600)
    assert introspect(idp, login["access_token"])["active"] is True
