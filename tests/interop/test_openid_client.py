"""panva openid-client, a certified client library we did not write, against the fake.

The Node suites in ``openid_client/`` use openid-client (installed once with npm
into the interop cache, see providers.py) the way an application does:
discovery, every client authentication, DPoP, token exchange and JWT bearer,
registration, PAR with PKCE and ID token validation, refresh, revocation,
introspection, userinfo, logout, device flow and resource indicators; and
oauth4webapi (the library under openid-client) validates the fake's JWT access
tokens as a resource server would (RFC 9068) and reads its protected resource
metadata (RFC 9728).

* ``openid_client.test.mjs`` runs against a real ``authmock serve --tls``
  subprocess configured by ``openid_client/authmock.toml`` and its control API;
* ``dpop_nonce.test.mjs`` runs against the ``idp_server`` fixture with server
  nonces required (RFC 9449 §8), whose journal shows each refusal and retry
  (``authmock serve --dpop-nonce`` switches the same setting on).

Node finds the throw-away CA through ``NODE_EXTRA_CA_CERTS``: openid-client
talks HTTPS only, as in production.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from pytest_authmock import IdPServer
from tests.interop.providers import OPENID_CLIENT, _first_line, install_npm_package

HERE = Path(__file__).resolve().parent / "openid_client"
NODE_TIMEOUT = 120

#: The cases of openid_client.test.mjs; each must run and pass.
CASES = (
    "discovery, then client_credentials with client_secret_basic",
    "client_credentials with private_key_jwt (RFC 7523 section 2.2)",
    "client_credentials with client_secret_jwt",
    "DPoP-bound client_credentials token, then a protected resource (RFC 9449)",
    "token exchange (RFC 8693) through genericGrantRequest",
    "JWT bearer grant (RFC 7523 section 2.1) with a self-signed assertion",
    "dynamic client registration (RFC 7591), then the registered client",
    "pushed authorization request, sign-in, code + PKCE, ID token validated",
    "public client: DPoP through PAR, code, bound refresh and userinfo",
    "refresh token grant",
    "userinfo, introspection and revocation",
    "RP-initiated logout through buildEndSessionUrl ends the session",
    "device authorization grant (RFC 8628)",
    "resource indicators (RFC 8707): the token's audience follows resource",
    "access tokens pass oauth4webapi's resource-server validation (RFC 9068)",
    "protected resource metadata (RFC 9728) through oauth4webapi",
)


@dataclasses.dataclass(frozen=True)
class NodeCase:
    name: str
    ok: bool
    report: str


def parse_tap(output: str) -> dict[str, NodeCase]:
    """The top-level cases of a ``node --test --test-reporter=tap`` run, by name."""
    cases: dict[str, NodeCase] = {}
    blocks = re.split(r"^(?=(?:not )?ok \d+ - )", output, flags=re.M)
    for block in blocks:
        match = re.match(r"(not )?ok \d+ - (.*?)(?: # (SKIP|TODO).*)?$", block, re.M)
        if match:
            passed = match.group(1) is None and match.group(3) is None
            report = block.split("\n# Subtest:")[0].strip()
            cases[match.group(2)] = NodeCase(match.group(2), passed, report)
    return cases


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """The cached ``node_modules`` holding openid-client (installed on first use)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH: the openid-client interop tests need Node.js 20+")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    if int(version.stdout.strip().lstrip("v").split(".")[0]) < 20:
        pytest.skip(f"the openid-client interop tests need Node.js 20+, not {version.stdout}")
    return install_npm_package(OPENID_CLIENT, "the openid-client interop tests").parent


def run_suite(script: str, env: Mapping[str, str]) -> dict[str, NodeCase]:
    result = subprocess.run(
        ["node", "--test", "--test-reporter=tap", str(HERE / script)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=NODE_TIMEOUT,
        check=False,
    )
    cases = parse_tap(result.stdout)
    assert cases, f"node ran no test case: {result.stdout}{result.stderr}"
    return cases


def assert_passed(cases: Mapping[str, NodeCase], expected: tuple[str, ...]) -> None:
    failed = [case.report for case in cases.values() if not case.ok]
    if failed:
        pytest.fail("openid-client cases failed:\n\n" + "\n\n".join(failed), pytrace=False)
    assert sorted(cases) == sorted(expected), "the cases that ran are not the ones listed"


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """``authmock serve --tls`` with authmock.toml; yields the start record's strings."""
    folder = tmp_path_factory.mktemp("openid-client")
    command = [sys.executable, "-m", "pytest_authmock.cli", "serve", "--tls", "--json"]
    command += ["--quiet", "--certs-dir", str(folder / "certs")]
    command += ["--config", str(HERE / "authmock.toml")]
    with open(folder / "serve.log", "w") as log:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
    assert process.stdout is not None
    try:
        line = _first_line(process.stdout, NODE_TIMEOUT)
        assert line, f"authmock serve did not start: {(folder / 'serve.log').read_text()}"
        record = json.loads(line)
        yield {key: value for key, value in record.items() if isinstance(value, str)}
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
        process.stdout.close()
    assert code == 0, f"authmock serve ended with {code}: {(folder / 'serve.log').read_text()}"


def test_openid_client_against_authmock_serve(node_modules: Path, serve: dict[str, str]) -> None:
    cases = run_suite(
        "openid_client.test.mjs",
        {
            "OPENID_CLIENT_NODE_MODULES": str(node_modules),
            "NODE_EXTRA_CA_CERTS": serve["ca_pem"],
            "AUTHMOCK_ISSUER": serve["issuer"],
            "AUTHMOCK_CONTROL": serve["control_api"],
            "AUTHMOCK_ADMIN_TOKEN": serve["admin_token"],
        },
    )
    assert_passed(cases, CASES)


@pytest.mark.authmock(tls=True)
def test_openid_client_retries_with_dpop_server_nonces(
    node_modules: Path, idp_server: IdPServer
) -> None:
    idp_server.dpop_settings.require_nonce = True
    client = idp_server.add_client(dpop_bound_access_tokens=True)
    idp_server.protect(f"{idp_server.url}/api/dpop")
    cases = run_suite(
        "dpop_nonce.test.mjs",
        {
            "OPENID_CLIENT_NODE_MODULES": str(node_modules),
            "NODE_EXTRA_CA_CERTS": idp_server.ca_pem,
            "AUTHMOCK_ISSUER": idp_server.issuer,
            "DPOP_CLIENT_ID": client.client_id,
            "DPOP_CLIENT_SECRET": client.client_secret or "",
            "DPOP_API": f"{idp_server.url}/api/dpop",
        },
    )
    assert_passed(cases, ("DPoP with server nonces: token endpoint and protected resource",))
    # openid-client met each nonce challenge and retried with the nonce (RFC 9449 §8, §9).
    for endpoint, refused in (("token", 400), ("resource", 401)):
        answers = [(e.status_code, e.error) for e in idp_server.journal.filter(endpoint=endpoint)]
        assert answers == [(refused, "use_dpop_nonce"), (200, None)], endpoint
