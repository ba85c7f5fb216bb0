"""Scenario 003: a cloud CLI generates never-expiring tokens through device verification.

The CLI (``refcli token generate``) prints a URL and a code; the user confirms in
a browser (here: the test, through ``idp.approve_device`` or ``auto_approve``);
the CLI polls and prints a token that never expires, bound to this device.
Tokens are listed with id and creation time, and revoked by id, only from the
device that generated them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from examples.reference_cli.token_commands import cli
from pytest_authmock import FakeIdP

API = "https://cloud.example.test/projects"


class Device:
    """One machine running refcli: its own state directory, so its own session."""

    def __init__(self, home: Path) -> None:
        self.env = {"REFCLI_HOME": str(home), "REFCLI_KEYRING": "never", "REFCLI_TOKEN": ""}

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=self.env)


@pytest.fixture
def ada(idp: FakeIdP) -> Any:
    idp.add_client("demo-cli", public=True)
    idp.protect(API, scopes=["projects"])
    # In a test nobody sits at the browser: approve every device code for ada at
    # once, and let the CLI poll without waiting.
    idp.auto_approve = idp.add_user("ada")
    idp.flow_settings.device_interval = 0
    return idp.users["ada"]


def device(idp: FakeIdP, home: Path) -> Device:
    run = Device(home)
    assert run("context", "create", "default", "--issuer", idp.issuer, "--use").exit_code == 0
    assert run("context", "set-value", "scopes", "openid projects api_tokens:admin").exit_code == 0
    return run


def generated_token(result: Result) -> tuple[str, str]:
    assert result.exit_code == 0, result.output
    token_id = re.search(r"Token (tok_\w+) \(never expires", result.output)
    assert token_id is not None, result.output
    return token_id.group(1), result.output.strip().splitlines()[-1]


def test_generate_prints_the_url_and_code_then_a_token(
    idp: FakeIdP, ada: Any, tmp_path: Path
) -> None:
    laptop = device(idp, tmp_path / "laptop")
    result = laptop("token", "generate")
    assert f"Open {idp.issuer}/device in a browser and enter the code:" in result.output
    assert "valid for five minutes" in result.output
    assert "Device verified: logged in as" in result.output
    _, token = generated_token(result)
    # The token works from anywhere, without a login session.
    elsewhere = Device(tmp_path / "ci")
    assert elsewhere("--token", token, "get", API).output.startswith("200 (flag)")


def test_tokens_never_expire_and_outlive_logout(idp: FakeIdP, ada: Any, tmp_path: Path) -> None:
    laptop = device(idp, tmp_path / "laptop")
    _, token = generated_token(laptop("token", "generate"))
    assert laptop("logout").exit_code == 0
    idp.clock.advance(10 * 365 * 24 * 3600)  # ten years later
    assert laptop("--token", token, "get", API).output.startswith("200 (flag)")


def test_several_tokens_listed_with_id_and_creation_time(
    idp: FakeIdP, ada: Any, tmp_path: Path
) -> None:
    laptop = device(idp, tmp_path / "laptop")
    first, _ = generated_token(laptop("token", "generate", "--name", "ci"))
    second, _ = generated_token(laptop("token", "generate", "--name", "release"))
    listing = laptop("token", "list")
    assert listing.exit_code == 0, listing.output
    lines = listing.output.splitlines()
    assert lines[0] == "ID\tNAME\tCREATED\tEXPIRES"
    assert [line.split("\t")[:2] for line in lines[1:]] == [[first, "ci"], [second, "release"]]
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", line.split("\t")[2]) for line in lines[1:]
    )
    assert all(line.endswith("\tnever") for line in lines[1:])


def test_revoke_only_from_the_device_that_generated_it(
    idp: FakeIdP, ada: Any, tmp_path: Path
) -> None:
    laptop = device(idp, tmp_path / "laptop")
    desktop = device(idp, tmp_path / "desktop")
    token_id, token = generated_token(laptop("token", "generate"))
    assert desktop("device-login").exit_code == 0  # same user, another device

    refused = desktop("token", "revoke", token_id)
    assert refused.exit_code == 3
    assert (
        "bound to the session (device) that created it; revoke it from that device"
        in refused.output
    )
    assert laptop("--token", token, "get", API).output.startswith("200")

    revoked = laptop("token", "revoke", token_id)
    assert revoked.exit_code == 0, revoked.output
    assert laptop("--token", token, "get", API).output.startswith("401")  # at once
    assert laptop("token", "revoke", token_id).exit_code == 3  # gone for good


def test_current_shows_the_session_token(idp: FakeIdP, ada: Any, tmp_path: Path) -> None:
    laptop = device(idp, tmp_path / "laptop")
    assert laptop("token", "generate", "--current").exit_code == 3  # not logged in yet
    assert laptop("device-login").exit_code == 0
    current = laptop("token", "generate", "--current")
    assert current.exit_code == 0
    assert laptop("--token", current.output.strip(), "get", API).output.startswith("200 (flag)")


def test_expired_code(idp: FakeIdP, tmp_path: Path) -> None:
    idp.add_client("demo-cli", public=True)
    idp.flow_settings.device_code_ttl = 1  # nobody confirms; the code runs out
    idp.flow_settings.device_interval = 1
    laptop = device(idp, tmp_path / "laptop")
    result = laptop("device-login")
    assert result.exit_code == 3
    assert "expired before the user confirmed" in result.output


# -- the same CLI as a real program, the user confirming at the provider --------------------

CLI = Path(__file__).parents[1] / "reference_cli" / "token_commands.py"


def test_generate_as_a_subprocess(idp_server: Any, tmp_path: Path) -> None:
    idp_server.add_client("demo-cli", public=True)
    ada = idp_server.add_user("ada")
    idp_server.flow_settings.device_interval = 1
    env = {
        **os.environ,
        "REFCLI_HOME": str(tmp_path / "home"),
        "REFCLI_KEYRING": "never",
        "REFCLI_TOKEN": "",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, str(CLI), *args]
        return subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=60, check=False
        )

    assert (
        run("context", "create", "default", "--issuer", idp_server.issuer, "--use").returncode == 0
    )
    assert run("context", "set-value", "scopes", "api_tokens:admin").returncode == 0
    with subprocess.Popen(
        [sys.executable, str(CLI), "token", "generate"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        assert process.stdout.readline().startswith(f"Open {idp_server.issuer}/device")
        code = process.stdout.readline().strip()
        idp_server.approve_device(code, user=ada)  # the user, at the verification page
        output, errors = process.communicate(timeout=30)
    assert process.returncode == 0, errors
    assert "never expires" in output
    listing = run("token", "list")
    assert listing.stdout.count("tok_") == 1
