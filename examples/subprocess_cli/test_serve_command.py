"""``authmock serve`` as a separate process, the way a non-Python test suite (or a
shell script, or a container) would use it: start it, read the issuer from the
first line, point the program under test at it, stop it with Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
CLI = HERE / "deploy_cli.py"


# --8<-- [start:serve]
@pytest.fixture
def issuer() -> Iterator[str]:
    """Run ``authmock serve`` with a config file; yield the issuer URL it prints first."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest_authmock.cli",
            "serve",
            "--quiet",
            "--config",
            str(HERE / "authmock.toml"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    url = server.stdout.readline().strip()  # printed once the socket accepts connections
    try:
        yield url
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl-C: exits cleanly with status 0
        try:
            status = server.wait(timeout=30)
        finally:
            server.kill()  # only if it is still running: never leave a server behind
        assert status == 0
        server.stdout.close()
        assert server.stderr is not None
        server.stderr.close()


# --8<-- [end:serve]


def test_cli_against_authmock_serve(issuer: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DEPLOY_ISSUER": issuer,
        "DEPLOY_API": issuer,
        "DEPLOY_CLIENT_ID": "deploy-bot",
        "DEPLOY_CLIENT_SECRET": "deploy-bot-secret",
        "DEPLOY_HOME": str(tmp_path),
    }

    def deploy(command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(CLI), command],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    assert deploy("login").stdout == "logged in as deploy-bot; token expires in 900 s\n"
    assert deploy("whoami").stdout == "deploy-bot (scopes: deploy)\n"
    assert deploy("logout").stdout == "logged out\n"
    assert deploy("whoami").returncode == 1
