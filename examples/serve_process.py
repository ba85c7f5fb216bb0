"""``authmock serve --json`` in a subprocess, as a test suite in any language runs it.

The first stdout line is the start record (issuer, admin token, endpoints, demo
credentials); the control API under ``/_authmock/`` takes the admin token as a
bearer token; SIGTERM stops the server with exit status 0.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from types import TracebackType
from typing import Any

import httpx


class ServeProcess:
    """A running ``authmock serve --json ARGS...``; use it as a context manager."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pytest_authmock.cli", "serve", "--json", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        #: The access log, one line per request (drained so the pipe never fills).
        self.log: list[str] = []
        self._drain = threading.Thread(target=self._read_log, daemon=True)
        self._drain.start()
        first = self.process.stdout.readline()  # printed once the server accepts connections
        if not first:
            self.process.wait(timeout=10)
            self._drain.join(5)
            raise RuntimeError(f"authmock serve did not start: {''.join(self.log).strip()}")
        self.record: dict[str, Any] = json.loads(first)
        self.http = httpx.Client(timeout=30)

    def _read_log(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)

    @property
    def issuer(self) -> str:
        return str(self.record["issuer"])

    @property
    def admin_token(self) -> str:
        return str(self.record["admin_token"])

    def control(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """Call the control API: ``control("POST", "/users", {"username": "ada"})``."""
        return self.http.request(
            method,
            self.record["control_api"] + path,
            json=body,
            headers={"Authorization": f"Bearer {self.admin_token}"},
        )

    def stop(self) -> int:
        """SIGTERM, as ``docker stop`` sends it; returns the exit status."""
        self.http.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout=15)
        self._drain.join(5)
        assert self.process.stdout is not None
        self.process.stdout.close()
        assert self.process.stderr is not None
        self.process.stderr.close()
        return status

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.process.poll() is None:
            status = self.stop()
            if exc_type is None:
                assert status == 0, f"authmock serve exited with {status}"
