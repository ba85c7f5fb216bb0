"""Scenario 002: a supply-chain CLI with 24-hour user sessions and organisation API tokens.

Users log in interactively (``refcli login``); their session lasts 24 hours.
For automation they create API tokens with a chosen expiry and permissions,
list and revoke them; a revoked or expired token stops working at once. The
CLI takes a token from ``--token`` or ``$REFCLI_TOKEN``, and the flag wins.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from examples.reference_cli.token_commands import cli
from pytest_authmock import FakeIdP

WORKFLOWS = "https://supply.example.test/workflows"
ATTESTATIONS = "https://supply.example.test/attestations"


class RefCli:
    def __init__(self, home: Path) -> None:
        self.env = {"REFCLI_HOME": str(home), "REFCLI_KEYRING": "never", "REFCLI_TOKEN": ""}

    def __call__(self, *args: str, **env: str) -> Result:
        return CliRunner().invoke(cli, list(args), env={**self.env, **env})


@pytest.fixture
def refcli(idp: FakeIdP, tmp_path: Path) -> RefCli:
    idp.add_client("demo-cli", public=True)
    idp.protect(WORKFLOWS, scopes=["workflows:read"])
    idp.protect(ATTESTATIONS, scopes=["attestations:write"])
    run = RefCli(tmp_path / "home")
    assert run("context", "create", "default", "--issuer", idp.issuer, "--use").exit_code == 0
    scopes = "workflows:read attestations:write api_tokens:admin"
    assert run("context", "set-value", "scopes", scopes).exit_code == 0
    return run


def created(result: Result) -> tuple[str, str]:
    assert result.exit_code == 0, result.output
    found = re.search(r"Token (tok_\w+) ", result.output)
    assert found is not None
    return found.group(1), result.output.strip().splitlines()[-1]


# A 24-hour session: the refresh token (and so the login) ends after a day.
pytestmark = pytest.mark.authmock(access_token_ttl=3600, refresh_token_ttl=24 * 3600)


def test_user_session_lasts_24_hours(idp: FakeIdP, refcli: RefCli) -> None:
    ada = idp.add_user("ada")
    assert refcli("login", "ada", "--secret", ada.password).exit_code == 0
    idp.clock.advance(23 * 3600)  # the access token expired long ago; the session renews it
    assert refcli("get", WORKFLOWS).output.startswith("200 (session)")
    idp.clock.advance(3600)
    expired = refcli("get", WORKFLOWS)
    assert expired.exit_code == 3
    assert "log in again" in expired.output


def test_create_an_api_token_with_expiry_and_use_it(idp: FakeIdP, refcli: RefCli) -> None:
    ada = idp.add_user("ada")
    refcli("login", "ada", "--secret", ada.password)
    token_id, token = created(
        refcli("token", "create", "ci", "--expires-in", "3600", "--scope", "workflows:read")
    )

    # From the environment (silently) or the flag; never stored.
    assert refcli("get", WORKFLOWS, REFCLI_TOKEN=token).output.startswith("200 (environment)")
    assert refcli("--token", token, "get", WORKFLOWS).output.startswith("200 (flag)")
    # Fine-grained: this token may read workflows, not write attestations.
    assert refcli("--token", token, "get", ATTESTATIONS).output.startswith("403")

    idp.clock.advance(3601)
    assert refcli("--token", token, "get", WORKFLOWS).output.startswith("401")  # expired at once
    listing = refcli("token", "list").output
    assert token_id in listing
    assert token not in listing


def test_the_flag_wins_over_the_environment(idp: FakeIdP, refcli: RefCli) -> None:
    idp.add_user("ada")
    good = idp.create_api_token("ada", scopes=["workflows:read"])
    stale = idp.create_api_token("ada", scopes=["workflows:read"])
    idp.revoke_api_token(stale)
    result = refcli("--token", good.token, "get", WORKFLOWS, REFCLI_TOKEN=stale.token)
    assert result.output.startswith("200 (flag)")
    assert refcli("get", WORKFLOWS, REFCLI_TOKEN=stale.token).output.startswith("401 (environment)")


def test_revoked_token_stops_working_at_once(idp: FakeIdP, refcli: RefCli) -> None:
    ada = idp.add_user("ada")
    refcli("login", "ada", "--secret", ada.password)
    token_id, token = created(refcli("token", "create", "release-bot"))
    assert refcli("token", "list").output.splitlines()[1].endswith("\tnever")
    assert refcli("--token", token, "get", ATTESTATIONS).output.startswith("200")
    assert refcli("token", "revoke", token_id).output == f"Token {token_id} revoked.\n"
    assert refcli("--token", token, "get", ATTESTATIONS).output.startswith("401")
    assert refcli("token", "list").output.splitlines() == ["ID\tNAME\tCREATED\tEXPIRES"]


def test_cannot_grant_more_than_the_session_has(idp: FakeIdP, refcli: RefCli) -> None:
    ada = idp.add_user("ada")
    refcli("login", "ada", "--secret", ada.password)
    result = refcli("token", "create", "ci", "--scope", "org:admin")
    assert result.exit_code == 1
    assert "cannot grant scope 'org:admin'" in result.output


def test_token_commands_need_a_login(idp: FakeIdP, refcli: RefCli) -> None:
    result = refcli("token", "list")
    assert result.exit_code == 3
    assert "not logged in" in result.output


def test_provider_side_token_for_a_ci_job(idp: FakeIdP, refcli: RefCli) -> None:
    # A test can also mint the token directly, as the platform's admin would.
    idp.add_user("ada")
    token = idp.create_api_token("ada", name="ci", scopes=["workflows:read"], expires_in=600)
    assert refcli("get", WORKFLOWS, REFCLI_TOKEN=token.token).output.startswith("200 (environment)")
    assert token.last_used_at is not None
