"""Scenarios 000 and 001 through the reference CLI, in-process (click's CliRunner + ``idp``)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import respx
from click.testing import CliRunner, Result
from freezegun import freeze_time

from examples.reference_cli.cli import cli
from pytest_authmock import FakeIdP

API = "https://events.example.test/streams"


class RefCli:
    """Runs refcli commands against one state directory."""

    def __init__(self, home: Path, env: dict[str, str] | None = None) -> None:
        self.home = home
        self.env = {"REFCLI_HOME": str(home), "REFCLI_KEYRING": "never", **(env or {})}

    def __call__(self, *args: str, input: str | None = None, **env: str) -> Result:
        runner = CliRunner()
        return runner.invoke(cli, list(args), input=input, env={**self.env, **env})

    def on_disk(self) -> bytes:
        return b"".join(p.read_bytes() for p in self.home.rglob("*") if p.is_file())


@pytest.fixture
def refcli(idp: FakeIdP, tmp_path: Path) -> RefCli:
    idp.add_client("demo-cli", public=True)  # the CLI's own client; it keeps no secret
    idp.protect(API)
    run = RefCli(tmp_path / "refcli", env={"REFCLI_TOKEN": ""})
    assert run("context", "create", "default", "--issuer", idp.issuer, "--use").exit_code == 0
    return run


# -- scenario 000: contexts, password login, client credentials, logout -----------------


def test_login_with_secret_then_requests_reuse_the_cached_token(
    idp: FakeIdP, refcli: RefCli
) -> None:
    alice = idp.add_user("alice")
    result = refcli("login", "alice", "--secret", alice.password)
    assert result.exit_code == 0, result.output
    assert "Logged in as alice (context default)." in result.output
    for _ in range(3):  # three separate CLI runs
        result = refcli("get", API)
        assert result.exit_code == 0, result.output
        assert result.output.startswith("200 (session)")
        assert json.loads(result.output.splitlines()[1])["username"] == "alice"
    idp.journal.assert_count(1, endpoint="token")


def test_password_prompt_is_masked(idp: FakeIdP, refcli: RefCli) -> None:
    alice = idp.add_user("alice")
    result = refcli("login", "alice", input=alice.password + "\n")
    assert result.exit_code == 0, result.output
    assert "Password:" in result.output
    assert alice.password not in result.output
    assert alice.password.encode() not in refcli.on_disk()


def test_wrong_password(idp: FakeIdP, refcli: RefCli) -> None:
    idp.add_user("alice")
    result = refcli("login", "alice", "--secret", "guess")
    assert result.exit_code == 3
    assert "rejected the username or password" in result.output
    assert "guess" not in result.output


def test_no_auth_configured_means_anonymous(refcli: RefCli) -> None:
    status = refcli("auth", "status")
    assert "No authentication: requests are sent anonymously" in status.output
    assert json.loads(refcli("auth", "status", "-o", "json").output)["authenticated"] is False
    result = refcli("get", API)
    assert result.output.startswith("401 (anonymous)")
    assert result.exit_code == 1


def test_client_credentials_on_the_context(idp: FakeIdP, refcli: RefCli) -> None:
    bot = idp.add_client("ci-bot")
    assert refcli("context", "set-value", "client-id", "ci-bot").exit_code == 0
    # The secret is prompted (masked) when not given, so it stays out of history.
    assert (
        refcli("context", "set-value", "client-secret", input=bot.client_secret + "\n").exit_code
        == 0
    )
    assert bot.client_secret is not None
    assert bot.client_secret.encode() not in refcli.on_disk()  # encrypted at rest
    status = json.loads(refcli("auth", "status", "-o", "json").output)
    assert status["source"] == "client_credentials"
    assert status["client_credentials_configured"] is True
    result = refcli("get", API)
    assert result.output.startswith("200 (client_credentials)")
    assert json.loads(result.output.splitlines()[1])["client_id"] == "ci-bot"


def test_status_shows_user_expiry_and_credentials(idp: FakeIdP, refcli: RefCli) -> None:
    alice = idp.add_user("alice")
    refcli("login", "alice", "--secret", alice.password)
    text = refcli("auth", "status").output
    assert "Logged in as alice" in text
    assert "Token expires:" in text
    assert "Client credentials: not configured" in text
    data = json.loads(refcli("auth", "status", "-o", "json").output)
    assert data["user"] == "alice"
    assert data["source"] == "session"
    assert data["expires_at"] is not None


def test_logout_clears_only_the_active_context_and_falls_back(idp: FakeIdP, refcli: RefCli) -> None:
    alice = idp.add_user("alice")
    bot = idp.add_client("ci-bot")
    refcli("context", "create", "staging", "--issuer", idp.issuer)
    assert (
        refcli("--context", "staging", "login", "alice", "--secret", alice.password).exit_code == 0
    )
    refcli("context", "set-value", "client-id", "ci-bot")
    refcli("context", "set-value", "client-secret", bot.client_secret or "")
    refcli("login", "alice", "--secret", alice.password)
    assert refcli("get", API).output.startswith("200 (session)")

    result = refcli("logout")
    assert result.exit_code == 0
    assert "Logged out." in result.output
    assert "client credentials" in result.output
    assert refcli("get", API).output.startswith("200 (client_credentials)")
    assert refcli("--context", "staging", "get", API).output.startswith("200 (session)")
    assert "Not logged in." in refcli("logout").output


def test_expired_session_is_refreshed_and_the_new_one_stored(idp: FakeIdP, refcli: RefCli) -> None:
    alice = idp.add_user("alice")
    refcli("login", "alice", "--secret", alice.password)
    idp.clock.advance(3601)  # the access token expired at the provider
    assert refcli("get", API).output.startswith("200 (session)")
    assert refcli("get", API).output.startswith("200 (session)")  # uses the stored new token
    idp.journal.assert_count(1, endpoint="token", grant_type="refresh_token")


# -- scenario 001: token from the environment, a flag or a prompt -------------------------


def test_env_token_login_is_silent_and_not_stored(idp: FakeIdP, refcli: RefCli) -> None:
    token = idp.issue_token("demo-cli", user=idp.add_user("alice"), scopes=["openid"])
    ok = refcli("login", REFCLI_TOKEN=token)
    assert ok.exit_code == 0
    assert ok.output == ""
    bad = refcli("login", REFCLI_TOKEN="not-a-token")
    assert bad.exit_code == 3
    assert token.encode() not in refcli.on_disk()
    # And every command uses it, without storing it.
    assert refcli("get", API, REFCLI_TOKEN=token).output.startswith("200 (environment)")


def test_flag_token_is_validated_shown_and_not_stored(idp: FakeIdP, refcli: RefCli) -> None:
    alice = idp.add_user("alice", profile={"name": "Alice Liddell"})
    token = idp.issue_token("demo-cli", user=alice, scopes=["openid", "profile"])
    result = refcli("--token", token, "login")
    assert result.exit_code == 0, result.output
    assert "Authenticated as Alice Liddell; the token expires on" in result.output
    assert token.encode() not in refcli.on_disk()
    env = idp.issue_token("demo-cli", user=alice)
    # The flag wins over the environment.
    assert refcli("--token", token, "get", API, REFCLI_TOKEN=env).output.startswith("200 (flag)")


def test_prompted_token_is_validated_encrypted_stored_and_greeted(
    idp: FakeIdP, refcli: RefCli
) -> None:
    alice = idp.add_user("alice", profile={"name": "Alice Liddell"})
    token = idp.issue_token("demo-cli", user=alice, scopes=["openid", "profile"])
    result = refcli("login", input=token + "\n")
    assert result.exit_code == 0, result.output
    assert "Welcome, Alice Liddell! Your token expires on" in result.output
    assert token not in result.output  # masked input
    assert token.encode() not in refcli.on_disk()  # encrypted
    assert refcli("get", API).output.startswith("200 (session)")
    assert "Logged out." in refcli("logout").output
    assert refcli("get", API).output.startswith("401 (anonymous)")


def test_prompted_token_errors_are_specific(idp: FakeIdP, refcli: RefCli) -> None:
    alice = idp.add_user("alice")
    invalid = refcli("login", input="garbage-token\n")
    assert invalid.exit_code == 3
    assert "does not accept the token" in invalid.output
    expired = idp.issue_token("demo-cli", user=alice, scopes=["openid"], ttl=60)
    with freeze_time() as frozen:  # client and provider clocks move together
        frozen.tick(61)
        result = refcli("login", input=expired + "\n")
    assert result.exit_code == 3
    assert "has expired" in result.output
    assert json.loads(refcli("auth", "status", "-o", "json").output)["authenticated"] is False


def test_network_problem_is_its_own_error(refcli: RefCli, respx_mock: respx.MockRouter) -> None:
    respx_mock.route(host="down.example.test").mock(side_effect=httpx.ConnectError("refused"))
    refcli("context", "create", "down", "--issuer", "https://down.example.test", "--use")
    result = refcli("--retries", "1", "login", input="some-token\n")
    assert result.exit_code == 4
    assert "network problem" in result.output
