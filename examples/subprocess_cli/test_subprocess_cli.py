"""A CLI in a subprocess against ``idp_server``: real sockets, the provider's clock,
and assertions on the requests the other process made."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_authmock import IdPServer

CLI = Path(__file__).with_name("deploy_cli.py")


def deploy(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CLI), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


# --8<-- [start:env]
@pytest.fixture
def env(idp_server: IdPServer, tmp_path: Path) -> dict[str, str]:
    """What the CLI needs to find the fake provider: its real URL and a client."""
    client = idp_server.add_client("deploy-bot", scopes=["deploy"])
    idp_server.protect(f"{idp_server.url}/api/me")
    environment = {
        **os.environ,
        "DEPLOY_ISSUER": idp_server.issuer,
        "DEPLOY_API": idp_server.url,
        "DEPLOY_CLIENT_ID": client.client_id,
        "DEPLOY_CLIENT_SECRET": str(client.client_secret),
        "DEPLOY_HOME": str(tmp_path / "home"),
    }
    if idp_server.mode != "http":
        environment["DEPLOY_CA_BUNDLE"] = idp_server.ca_pem
    return environment


# --8<-- [end:env]


def test_login_then_whoami_reuses_the_cached_token(
    idp_server: IdPServer, env: dict[str, str]
) -> None:
    # --8<-- [start:login]
    login = deploy("login", env=env)
    assert login.returncode == 0, login.stderr
    assert login.stdout == "logged in as deploy-bot; token expires in 3600 s\n"

    for _ in range(3):
        assert deploy("whoami", env=env).stdout == "deploy-bot (scopes: deploy)\n"

    # The other process's requests are in the journal like anyone's.
    idp_server.journal.assert_count(1, endpoint="token", client_id="deploy-bot")
    assert idp_server.journal.count(endpoint="resource", status_code=200) == 3
    # --8<-- [end:login]


def test_expiry_is_driven_by_the_provider_clock(idp_server: IdPServer, env: dict[str, str]) -> None:
    # freezegun cannot reach into another process; the provider's clock can move.
    # --8<-- [start:expiry]
    assert deploy("login", env=env).returncode == 0
    idp_server.clock.advance(3601)

    whoami = deploy("whoami", env=env)
    assert whoami.returncode == 1
    assert whoami.stderr == "deploy: session expired or revoked; run: deploy login\n"
    # --8<-- [end:expiry]


def test_logout_revokes_the_token(idp_server: IdPServer, env: dict[str, str]) -> None:
    assert deploy("login", env=env).returncode == 0
    token = next(iter(idp_server.store.tokens))
    assert deploy("logout", env=env).stdout == "logged out\n"
    assert not idp_server.check_bearer(f"Bearer {token}").ok
    assert not (Path(env["DEPLOY_HOME"]) / "token.json").exists()
    idp_server.journal.assert_count(1, endpoint="revocation", client_id="deploy-bot")


def test_wrong_secret_is_reported_without_the_secret(
    idp_server: IdPServer, env: dict[str, str]
) -> None:
    env["DEPLOY_CLIENT_SECRET"] = "not-the-secret"
    login = deploy("login", env=env)
    assert login.returncode == 2
    assert "login failed: invalid_client" in login.stderr
    assert "not-the-secret" not in login.stderr + login.stdout


@pytest.mark.authmock(tls=True)
def test_https_with_a_private_ca(idp_server: IdPServer, env: dict[str, str]) -> None:
    assert env["DEPLOY_ISSUER"].startswith("https://")
    assert deploy("login", env=env).returncode == 0
    assert deploy("whoami", env=env).returncode == 0
    del env["DEPLOY_CA_BUNDLE"]
    untrusted = deploy("whoami", env=env)
    assert untrusted.returncode == 3
    assert "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr


def test_provider_outage_is_not_a_crash(idp_server: IdPServer, env: dict[str, str]) -> None:
    idp_server.fail(status=503, endpoint="token")
    login = deploy("login", env=env)
    assert login.returncode == 2
    assert "Traceback" not in login.stderr
