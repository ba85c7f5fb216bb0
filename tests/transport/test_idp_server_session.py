"""idp_server as a downstream suite sees it (pytester): teardown failures, a clean
session end with no thread or socket left, and one server per xdist worker."""

from __future__ import annotations

import json
import socket
import threading

import pytest

DOWNSTREAM = """
import json, pathlib, threading
import httpx
import pytest

OUT = pathlib.Path({out!r})

def _record(idp_server):
    ports = [idp_server.issuer.rsplit(":", 1)[1]]
    if idp_server.mtls_url:
        ports.append(idp_server.mtls_url.rsplit(":", 1)[1])
    with OUT.open("a") as f:
        f.write(json.dumps(ports) + "\\n")

def test_plain(idp_server):
    _record(idp_server)
    with httpx.Client(verify=idp_server.httpx_verify) as http:  # keep-alive left open
        assert http.get(idp_server.issuer + "/.well-known/jwks.json").status_code == 200

@pytest.mark.authmock(tls=True)
def test_tls(idp_server):
    _record(idp_server)
    http = httpx.Client(verify=idp_server.ssl_context)
    assert http.get(idp_server.issuer + "/.well-known/jwks.json").status_code == 200
    http.close()

@pytest.mark.authmock(mtls=True)
def test_mtls(idp_server):
    _record(idp_server)
    client = idp_server.add_client("bot", tls_client_auth_subject_dn="CN=bot")
    cert = idp_server.client_cert(client)
    alias = idp_server.metadata()["mtls_endpoint_aliases"]["token_endpoint"]
    with httpx.Client(verify=cert.ssl_context()) as http:
        token = http.post(alias, data={{"grant_type": "client_credentials", "client_id": "bot"}})
        assert token.status_code == 200
"""


def _ports(path: object) -> set[int]:
    from pathlib import Path

    lines = Path(str(path)).read_text().splitlines()
    return {int(port) for line in lines for port in json.loads(line)}


def test_session_end_leaves_no_thread_or_socket(pytester: pytest.Pytester) -> None:
    out = pytester.path / "ports.jsonl"
    pytester.makepyfile(test_downstream=DOWNSTREAM.format(out=str(out)))
    before = {thread.ident for thread in threading.enumerate()}
    result = pytester.runpytest_inprocess("-W", "error")
    result.assert_outcomes(passed=3)
    leftover = [t.name for t in threading.enumerate() if t.ident not in before]
    assert leftover == []
    ports = _ports(out)
    assert len(ports) == 4  # http, https, mtls issuer, mtls alias
    for port in ports:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_teardown_failure_names_the_problem(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_unmet_expectation(idp_server):
            idp_server.expect(1, endpoint="token")

        def test_provider_crash(idp_server, monkeypatch):
            def boom(request, *, peer_cert=None):
                raise RuntimeError("kaboom")
            monkeypatch.setattr(idp_server, "handle", boom)
            with httpx.Client(verify=idp_server.httpx_verify) as http:
                assert http.get(idp_server.issuer + "/x").status_code == 500
        """
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=2, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*pytest-authmock: the provider at http://127.0.0.1:* was left with problems*",
            "*endpoint*token*",
            "*the loopback server's handler raised RuntimeError: kaboom*",
            "*opt out with @pytest.mark.authmock(teardown_check=False)*",
        ]
    )


def test_each_xdist_worker_has_its_own_server(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    out = pytester.path / "ports.jsonl"
    pytester.makepyfile(
        test_a=DOWNSTREAM.format(out=str(out)), test_b=DOWNSTREAM.format(out=str(out))
    )
    # -p no:faker: Faker's plugin makes pytest rewrite every Faker locale module at start-up.
    result = pytester.runpytest_subprocess(
        "-n", "2", "-p", "xdist", "-p", "no:faker", "--dist", "loadfile"
    )
    result.assert_outcomes(passed=6)
    assert len(_ports(out)) == 8  # two workers, four listeners each
