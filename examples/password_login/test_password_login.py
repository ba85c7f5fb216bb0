"""Scenario: a CLI logs a user in with a password, reuses the token, refreshes it when expired."""

from __future__ import annotations

from pathlib import Path

import pytest
from freezegun import freeze_time

from examples.password_login.eventstore_cli import EventStoreCLI
from pytest_authmock import FakeIdP

STREAMS = "https://eventstore.example.test/streams"


@pytest.fixture
def cli(idp: FakeIdP, tmp_path: Path) -> EventStoreCLI:
    idp.add_client("esdb-cli", public=True)  # a CLI cannot keep a secret
    idp.protect(STREAMS, scopes=["streams:read"])
    return EventStoreCLI(idp.issuer, "esdb-cli", tmp_path / "contexts.json")


def test_login_then_reuse_the_cached_token(idp: FakeIdP, cli: EventStoreCLI) -> None:
    ada = idp.add_user("ada")
    cli.login("ada", ada.password)

    assert cli.call(STREAMS).json()["username"] == "ada"
    assert cli.call(STREAMS).status_code == 200
    idp.journal.assert_count(1, endpoint="token", grant_type="password")
    idp.journal.assert_count(0, endpoint="token", grant_type="refresh_token")


@pytest.mark.authmock(access_token_ttl=300)
def test_expired_token_is_refreshed_once(idp: FakeIdP, cli: EventStoreCLI) -> None:
    ada = idp.add_user("ada")
    with freeze_time() as frozen:  # the CLI's clock and the provider's move together
        cli.login("ada", ada.password)
        cli.call(STREAMS)
        frozen.tick(301)
        assert cli.call(STREAMS).status_code == 200  # refreshed, not refused
        assert cli.call(STREAMS).status_code == 200  # and the new token reused

    idp.journal.assert_count(1, endpoint="token", grant_type="refresh_token", status_code=200)
    idp.journal.assert_count(0, endpoint="resource", status_code=401)


def test_wrong_password(idp: FakeIdP, cli: EventStoreCLI) -> None:
    idp.add_user("ada")
    with pytest.raises(RuntimeError, match="wrong username or password for user 'ada'"):
        cli.login("ada", "guess")


def test_logout_goes_anonymous(idp: FakeIdP, cli: EventStoreCLI) -> None:
    ada = idp.add_user("ada")
    cli.login("ada", ada.password)
    cli.logout()

    response = cli.call(STREAMS)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith(f'Bearer realm="{idp.issuer}"')
