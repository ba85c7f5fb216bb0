"""The contract suite in the project's CI: run against ``authmock serve`` in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

#: The same file docs/contract-testing.md shows.
CONFIG = Path(__file__).resolve().parent.parent / "examples" / "contract" / "authmock-serve.toml"


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Start ``authmock serve`` with a config; returns its issuer (first stdout line)."""
    processes: list[subprocess.Popen[str]] = []

    def start(*args: str, extra: str = "") -> str:
        config = tmp_path / f"serve-{len(processes)}.toml"
        # Top-level keys go before the first table.
        config.write_text(extra + "\n" + CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
        process = subprocess.Popen(
            [sys.executable, "-m", "pytest_authmock.cli", "serve", "--config", str(config), "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        processes.append(process)
        assert process.stdout is not None
        issuer = process.stdout.readline().strip()
        assert issuer.startswith(("http://", "https://")), f"authmock serve printed {issuer!r}"
        return issuer

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


BASE = ["--pyargs", "pytest_authmock.contract", "-p", "no:cacheprovider", "-p", "no:randomly"]
CREDENTIALS = [
    "--authmock-client",
    "contract-ci:contract-ci-secret",
    "--authmock-user",
    "contract-user:contract-password",
    "--authmock-device",
]


def test_contract_suite_passes_against_authmock_serve(
    pytester: pytest.Pytester, serve: Callable[..., str], tmp_path: Path
) -> None:
    certs = tmp_path / "certs"
    issuer = serve("--mtls", "--certs-dir", str(certs))
    result = pytester.runpytest(
        *BASE,
        "--authmock-issuer",
        issuer,
        *CREDENTIALS,
        "--authmock-forbidden-grant",
        "authorization_code",
        "--authmock-ca",
        str(certs / "ca.pem"),
        "--authmock-client-cert",
        str(certs / "contract-ci.pem"),
        "--authmock-client-key",
        str(certs / "contract-ci-key.pem"),
        "--authmock-choices-json",
        str(tmp_path / "choices.json"),
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0, result.stdout.str()
    assert outcomes.get("errors", 0) == 0, result.stdout.str()
    assert outcomes["passed"] >= 20
    result.stdout.fnmatch_lines(
        [
            "*authmock contract: provider choices*",
            "access token format: JWT (typ 'at+jwt')  (fake: token_format='jwt')",
            "certificate-bound JWT (cnf x5t#S256): yes",
            "refresh token rotation: yes  (fake: refresh_token_rotation=True)",
            "revoking an access token: takes effect at introspection",
        ]
    )
    report = json.loads((tmp_path / "choices.json").read_text())
    assert report["access token format"] == {"chosen": "JWT (typ 'at+jwt')", "fake": "token_format='jwt'"}


def test_the_report_names_the_switch_that_matches_a_provider(
    pytester: pytest.Pytester, serve: Callable[..., str]
) -> None:
    issuer = serve(
        extra='token_format = "opaque"\n'
        'unauthorized_grant_error = "invalid_grant"\n'
        "refresh_token_rotation = false"
    )
    result = pytester.runpytest(
        *BASE, "--authmock-issuer", issuer, *CREDENTIALS, "--authmock-forbidden-grant", "authorization_code"
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0, result.stdout.str()
    result.stdout.fnmatch_lines_random(
        [
            "access token format: opaque  (fake: token_format='opaque')",
            "error for a grant the client may not use: invalid_grant (RFC 6749 §5.2 names unauthorized_client)"
            "  (fake: unauthorized_grant_error='invalid_grant')",
            "refresh token rotation: no  (fake: refresh_token_rotation=False)",
        ]
    )


def test_the_suite_needs_an_issuer_and_a_client(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*BASE)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*needs --authmock-issuer URL and --authmock-client ID:SECRET*"])


def test_the_suite_catches_a_provider_that_breaks_the_contract(
    pytester: pytest.Pytester, serve: Callable[..., str]
) -> None:
    # A misbehaving provider (here the fake, told to label its metadata
    # text/html) must fail the check, not pass it.
    issuer = serve(
        extra='[[faults]]\nkind = "wrong_content_type"\nendpoint = "discovery"\ntimes = "always"\n'
    )
    result = pytester.runpytest(*BASE, "--authmock-issuer", issuer, *CREDENTIALS)
    assert result.parseoutcomes().get("failed") == 1, result.stdout.str()
    result.stdout.fnmatch_lines(["FAILED *test_discovery.py::test_metadata_answers_json*"])
