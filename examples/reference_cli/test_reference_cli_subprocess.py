"""The reference CLI as a real program: a subprocess talking HTTP to ``idp_server``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CLI = Path(__file__).with_name("cli.py")


class Program:
    def __init__(self, home: Path) -> None:
        self.env = {
            **os.environ,
            "REFCLI_HOME": str(home),
            "REFCLI_KEYRING": "never",
            "REFCLI_TOKEN": "",
        }

    def __call__(
        self, *args: str, input: str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(CLI), *args],
            input=input,
            capture_output=True,
            text=True,
            env={**self.env, **env},
            timeout=60,
            check=False,
        )


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Any:
    try:
        return request.getfixturevalue("idp_server")
    except pytest.FixtureLookupError:
        pytest.skip("the idp_server fixture is not available in this checkout")


def test_scenario_000_contexts_login_status_logout(server: Any, tmp_path: Path) -> None:
    server.add_client("demo-cli", public=True)
    alice = server.add_user("alice")
    bot = server.add_client("ci-bot")
    api = f"{server.url}/api/streams"
    server.protect(api)
    run = Program(tmp_path / "home")

    assert run("context", "create", "default", "--issuer", server.issuer, "--use").returncode == 0
    login = run("login", "alice", input=alice.password + "\n")  # the masked prompt reads stdin
    assert login.returncode == 0, login.stderr
    assert "Logged in as alice" in login.stdout
    assert alice.password not in login.stdout + login.stderr

    status = json.loads(run("auth", "status", "-o", "json").stdout)
    assert (status["source"], status["user"]) == ("session", "alice")
    assert run("get", api).stdout.startswith("200 (session)")

    run("context", "set-value", "client-id", "ci-bot")
    run("context", "set-value", "client-secret", input=(bot.client_secret or "") + "\n")
    logout = run("logout")
    assert "Logged out." in logout.stdout
    assert run("get", api).stdout.startswith("200 (client_credentials)")
    # The session was revoked at the provider on logout (RFC 7009), not only deleted.
    assert server.journal.count(endpoint="revocation", status_code=200) == 1


def test_scenario_001_env_flag_prompt(server: Any, tmp_path: Path) -> None:
    server.add_client("demo-cli", public=True)
    alice = server.add_user("alice", profile={"name": "Alice Liddell"})
    token = server.issue_token("demo-cli", user=alice, scopes=["openid", "profile"])
    run = Program(tmp_path / "home")
    run("context", "create", "default", "--issuer", server.issuer, "--use")

    silent = run("login", REFCLI_TOKEN=token)
    assert (silent.returncode, silent.stdout) == (0, "")
    assert run("login", REFCLI_TOKEN="bogus").returncode == 3

    prompted = run("login", input=token + "\n")
    assert prompted.returncode == 0, prompted.stderr
    assert "Welcome, Alice Liddell! Your token expires on" in prompted.stdout
    files = b"".join(p.read_bytes() for p in (tmp_path / "home").rglob("*") if p.is_file())
    assert token.encode() not in files

    assert "Logged out." in run("logout").stdout
    assert json.loads(run("auth", "status", "-o", "json").stdout)["authenticated"] is False


def test_network_problem_exit_code(tmp_path: Path) -> None:
    run = Program(tmp_path / "home")
    run("context", "create", "default", "--issuer", "http://127.0.0.1:9", "--use")
    result = run("--retries", "1", "login", input="some-token\n")
    assert result.returncode == 4
    assert "network problem" in result.stderr


def test_concurrent_processes_refresh_a_shared_session_once(server: Any, tmp_path: Path) -> None:
    # Four CLI processes start together after the provider expired the stored
    # token. Each gets 401, but under the store's inter-process lock only the
    # first presents the refresh token; the others find its new token on disk.
    # (Replaying a rotated refresh token would revoke the whole session.)
    server.add_client("demo-cli", public=True)
    alice = server.add_user("alice")
    api = f"{server.url}/api/streams"
    server.protect(api)
    run = Program(tmp_path / "home")
    run("context", "create", "default", "--issuer", server.issuer, "--use")
    assert run("login", "alice", "--secret", alice.password).returncode == 0
    server.clock.advance(3601)

    procs = [
        subprocess.Popen(
            [sys.executable, str(CLI), "get", api],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=run.env,
        )
        for _ in range(4)
    ]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    assert [out.splitlines()[0] for out, _ in outputs] == ["200 (session)"] * 4, outputs
    assert server.journal.count(endpoint="token", grant_type="refresh_token") == 1
    assert server.journal.count(endpoint="token", status_code=400) == 0
