"""Real providers for the interop tests: installed once into a cache folder, run on loopback.

* panva **oidc-provider** (Node, OpenID certified), installed with npm and run
  by ``oidc_provider/server.mjs``;
* panva **openid-client** (Node, OpenID certified), the client side: installed
  with npm, run by ``openid_client/*.test.mjs`` against the fake;
* **pytest-iam** (canaille) and **oidc-provider-mock**, each in a venv of its
  own (they bring Flask and more; pytest-iam is a pytest plugin that must not
  load into this project's runs), run by the scripts in ``peers/``.

The cache (``~/.cache/pytest-authmock/interop``, or ``$AUTHMOCK_INTEROP_CACHE``)
is reused across runs; a file lock makes concurrent xdist workers install once.
A missing tool or an install that fails for want of a network skips the tests
with the reason; any other install failure fails them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import httpx
import pytest

HERE = Path(__file__).resolve().parent
OIDC_PROVIDER = "oidc-provider@9.13.3"
OPENID_CLIENT = "openid-client@6.8.9"
AUTHLIB = "authlib==1.9.6"
PYTEST_IAM = "pytest-iam==0.3.0"
OIDC_PROVIDER_MOCK = "oidc-provider-mock==0.4.8"
INSTALL_TIMEOUT = 900
START_TIMEOUT = 60

#: What npm and pip print when the registry cannot be reached.
_OFFLINE = (
    "ENOTFOUND",
    "EAI_AGAIN",
    "ECONNREFUSED",
    "ECONNRESET",
    "ETIMEDOUT",
    "ENETUNREACH",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "No matching distribution found",
)


def cache_dir() -> Path:
    path = Path(
        os.environ.get(
            "AUTHMOCK_INTEROP_CACHE", Path.home() / ".cache" / "pytest-authmock" / "interop"
        )
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def install_lock(name: str) -> Iterator[None]:
    """One installer at a time across processes (xdist workers, parallel runs)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        pytest.skip("the interop tests install their providers under a POSIX file lock")
    with open(cache_dir() / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_install(command: Sequence[str], what: str, cwd: Path | None = None) -> None:
    try:
        result = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"installing {what} took over {INSTALL_TIMEOUT} s (a slow or absent network?)")
    if result.returncode == 0:
        return
    output = (result.stdout + result.stderr).strip()
    tail = "\n".join(output.splitlines()[-8:])
    if any(marker in output for marker in _OFFLINE):
        pytest.skip(f"could not install {what} (no network to the package registry?): {tail}")
    pytest.fail(f"installing {what} failed ({' '.join(command)}):\n{tail}")


def install_oidc_provider() -> Path:
    """The installed ``oidc-provider`` package directory."""
    return install_npm_package(OIDC_PROVIDER, "the oidc-provider interop tests")


def install_npm_package(spec: str, who: str) -> Path:
    """The directory of npm package ``spec`` (``name@version``), installed once into the cache.

    ``who`` names the tests that need it, for the skip reason when Node.js is missing.
    """
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not on PATH: {who} need Node.js and npm")
    name, _, version = spec.rpartition("@")
    root = cache_dir() / f"{name}-{version}"
    package = root / "node_modules" / name
    with install_lock(name):
        if not _installed(package, version):
            root.mkdir(parents=True, exist_ok=True)
            (root / "package.json").write_text('{"private": true}\n')
            _run_install(
                ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", spec],
                spec,
                cwd=root,
            )
    return package


def _installed(package: Path, version: str) -> bool:
    try:
        return json.loads((package / "package.json").read_text())["version"] == version
    except (OSError, ValueError, KeyError):
        return False


def python_at_least(minor: int, why: str) -> str:
    """An interpreter of Python 3.``minor`` or later: this one, else pyenv's or PATH's."""
    if sys.version_info >= (3, minor):
        return sys.executable
    versions = Path.home() / ".pyenv" / "versions"
    found = [
        str(path)
        for later in range(minor, 20)
        for path in sorted(versions.glob(f"3.{later}.*/bin/python"))
    ]
    found += [path for later in range(minor, 20) if (path := shutil.which(f"python3.{later}"))]
    if not found:
        pytest.skip(
            f"{why} needs Python >= 3.{minor}: none found (pyenv, or python3.{minor} on PATH)"
        )
    return found[0]


def peer_venv(requirement: str, python: str, extra: Sequence[str] = ()) -> Path:
    """A cached venv with ``requirement`` (and ``extra``) installed; returns its interpreter."""
    root = cache_dir() / ("venv-" + requirement.replace("==", "-"))
    interpreter = root / "bin" / "python"
    stamp = root / ".installed"
    with install_lock(root.name):
        if not stamp.exists():
            shutil.rmtree(root, ignore_errors=True)
            _run_install([python, "-m", "venv", str(root)], f"a venv for {requirement}")
            _run_install(
                [
                    str(interpreter),
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    requirement,
                    *extra,
                ],
                requirement,
            )
            stamp.write_text(" ".join([requirement, *extra]) + "\n")
    return interpreter


@dataclasses.dataclass
class RunningProvider:
    """A provider process serving on loopback."""

    name: str
    issuer: str
    process: subprocess.Popen[str]
    log: Path

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            if self.process.stdin is not None:
                self.process.stdin.close()  # the Python peers stop when stdin closes
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def _first_line(stream: IO[str], timeout: float) -> str | None:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        return None


def start(
    name: str, command: Sequence[str], log: Path, env: dict[str, str] | None = None
) -> RunningProvider:
    """Start a provider that prints ``{"issuer": ...}`` first; wait until its discovery answers."""
    with open(log, "w") as errors:
        process = subprocess.Popen(
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env={**os.environ, **(env or {})},
        )
    assert process.stdout is not None
    line = _first_line(process.stdout, START_TIMEOUT)
    running = None
    try:
        issuer = json.loads(line or "{}").get("issuer")
        assert issuer, f"{name} did not start: {log.read_text()[-2000:]}"
        running = RunningProvider(name, issuer, process, log)
        _wait_for_discovery(running)
        return running
    finally:
        if running is None:
            process.kill()
            process.wait(timeout=10)


def _wait_for_discovery(provider: RunningProvider) -> None:
    url = provider.issuer + "/.well-known/openid-configuration"
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=5).status_code == 200:
                return
        if provider.process.poll() is not None or time.monotonic() > deadline:
            provider.stop()
            pytest.fail(
                f"{provider.name} does not answer {url}: {provider.log.read_text()[-2000:]}"
            )
        time.sleep(0.05)
