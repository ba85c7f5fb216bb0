"""``authmock serve`` for the profile round trips: the fake, replaying a profile or not."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

CONFIG = Path(__file__).resolve().parent / "replay.toml"


@contextlib.contextmanager
def serve(profile: Path | None = None) -> Iterator[str]:
    """Run ``authmock serve --config replay.toml [--profile PROFILE]``; yields its issuer."""
    command = [sys.executable, "-m", "pytest_authmock.cli", "serve", "--config", str(CONFIG)]
    command += ["--port", "0", "--quiet"]
    if profile is not None:
        command += ["--profile", str(profile)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        issuer = process.stdout.readline().strip()
        if not issuer.startswith("http"):
            process.wait(timeout=10)
            assert process.stderr is not None
            raise AssertionError(f"authmock serve did not start: {process.stderr.read()}")
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
