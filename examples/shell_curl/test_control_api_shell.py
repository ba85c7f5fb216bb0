"""The shell test suite (curl only) runs against a real ``authmock serve``."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("control_api_test.sh")


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_shell_suite_passes() -> None:
    command = shlex.join([sys.executable, "-m", "pytest_authmock.cli"])
    result = subprocess.run(
        ["sh", str(SCRIPT)],
        capture_output=True,
        text=True,
        env={**os.environ, "AUTHMOCK": command},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert all(line.startswith("ok - ") for line in lines), result.stdout
    assert len(lines) == 14
    assert lines[-1] == "ok - SIGTERM stops the server with exit status 0"
