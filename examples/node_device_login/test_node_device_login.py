"""The Node test suite of the device login example runs against a real ``authmock serve``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
NODE = shutil.which("node")


def _node_major() -> int:
    assert NODE is not None
    version = subprocess.run([NODE, "--version"], capture_output=True, text=True, check=True)
    return int(version.stdout.strip().lstrip("v").split(".")[0])


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_the_node_suite_passes() -> None:
    assert NODE is not None
    if _node_major() < 20:
        pytest.skip("the example needs Node 20 (fetch, node:test)")
    result = subprocess.run(
        [NODE, "--test", "--test-reporter=tap", str(HERE / "device_login.test.mjs")],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "AUTHMOCK_COMMAND": json.dumps([sys.executable, "-m", "pytest_authmock.cli"]),
        },
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^# pass 3$", result.stdout, re.M), result.stdout
    assert re.search(r"^# fail 0$", result.stdout, re.M)
