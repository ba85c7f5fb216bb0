"""Real TLS handshakes: HTTPS, optional and required client certificates, and the
specific failure each bad certificate produces, seen by httpx, requests and curl."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
import requests

from pytest_authmock.transport.server import AccessRecord, LoopbackServer, RequestHandler
from pytest_authmock.transport.tls import ClientCertificate, TLSMaterial

CURL = shutil.which("curl")
needs_curl = pytest.mark.skipif(CURL is None, reason="curl is not installed")


@pytest.fixture(scope="module")
def records() -> list[AccessRecord]:
    return []


@pytest.fixture(scope="module")
def optional(
    tls_material: TLSMaterial, echo: RequestHandler, records: list[AccessRecord]
) -> Iterator[LoopbackServer]:
    context = tls_material.server_context(client_auth="optional")
    with LoopbackServer(echo, tls=context, on_access=records.append) as server:
        yield server


@pytest.fixture(scope="module")
def required(tls_material: TLSMaterial, echo: RequestHandler) -> Iterator[LoopbackServer]:
    with LoopbackServer(echo, tls=tls_material.server_context(client_auth="required")) as server:
        yield server


@pytest.fixture(scope="module")
def good(tls_material: TLSMaterial) -> ClientCertificate:
    return tls_material.issue_client_cert("ci-bot", password="p12-secret")


def _curl(*args: str) -> subprocess.CompletedProcess[str]:
    assert CURL is not None
    return subprocess.run(
        [CURL, "--silent", "--show-error", "--max-time", "10", *args],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )


def test_https_without_client_certificate(
    optional: LoopbackServer, tls_material: TLSMaterial
) -> None:
    with httpx.Client(verify=tls_material.client_context()) as client:
        seen = client.get(optional.url + "/x").json()
    assert seen["url"] == optional.url + "/x"
    assert seen["peer"] is None


def test_server_is_not_trusted_without_the_ca(optional: LoopbackServer) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(optional.url + "/x", verify=ssl.create_default_context(cafile=None))


def test_localhost_name_is_valid_too(optional: LoopbackServer, tls_material: TLSMaterial) -> None:
    url = optional.url.replace("127.0.0.1", "localhost") + "/x"
    with httpx.Client(verify=tls_material.client_context()) as client:
        assert client.get(url).status_code == 200


def test_httpx_presents_certificate(optional: LoopbackServer, good: ClientCertificate) -> None:
    with httpx.Client(verify=good.ssl_context()) as client:
        first = client.get(optional.url + "/a").json()
        second = client.get(optional.url + "/b").json()  # same connection, same peer
    assert first["peer"] == second["peer"] == good.subject_dn


def test_requests_presents_certificate(optional: LoopbackServer, good: ClientCertificate) -> None:
    response = requests.get(
        optional.url + "/r", cert=good.requests_cert, verify=str(good.ca_pem), timeout=10
    )
    assert response.json()["peer"] == good.subject_dn


@needs_curl
def test_curl_https_and_pem_client_certificate(
    optional: LoopbackServer, good: ClientCertificate
) -> None:
    anonymous = _curl("--cacert", str(good.ca_pem), optional.url + "/c")
    assert anonymous.returncode == 0, anonymous.stderr
    assert '"peer": null' in anonymous.stdout
    pem = _curl(
        "--cacert",
        str(good.ca_pem),
        "--cert",
        str(good.cert_pem),
        "--key",
        str(good.key_pem),
        optional.url + "/c",
    )
    assert pem.returncode == 0, pem.stderr
    assert good.subject_dn in pem.stdout


@needs_curl
def test_curl_pkcs12_client_certificate(optional: LoopbackServer, good: ClientCertificate) -> None:
    result = _curl(
        "--cacert",
        str(good.ca_pem),
        "--cert-type",
        "P12",
        "--cert",
        f"{good.p12}:{good.p12_password}",
        optional.url + "/p12",
    )
    assert result.returncode == 0, result.stderr
    assert good.subject_dn in result.stdout


def test_required_refuses_a_handshake_without_certificate(
    required: LoopbackServer, tls_material: TLSMaterial, good: ClientCertificate
) -> None:
    with (
        httpx.Client(verify=tls_material.client_context()) as client,
        pytest.raises((httpx.ReadError, httpx.ConnectError), match="CERTIFICATE_REQUIRED"),
    ):
        client.get(required.url + "/x")
    with httpx.Client(verify=good.ssl_context()) as client:
        assert client.get(required.url + "/x").json()["peer"] == good.subject_dn


@pytest.mark.parametrize(
    ("kind", "alert"),
    [("expired", "CERTIFICATE_EXPIRED"), ("untrusted", "UNKNOWN_CA")],
)
def test_bad_certificates_fail_the_handshake_with_a_specific_alert(
    optional: LoopbackServer,
    tls_material: TLSMaterial,
    records: list[AccessRecord],
    kind: str,
    alert: str,
) -> None:
    bad = tls_material.issue_client_cert(
        "ci-bot", expired=kind == "expired", untrusted=kind == "untrusted"
    )
    del records[:]
    with (
        httpx.Client(verify=bad.ssl_context()) as client,
        pytest.raises((httpx.ReadError, httpx.ConnectError), match=alert),
    ):
        client.get(optional.url + "/x")
    # The server thread logs the failure right after sending the alert: give it a moment.
    deadline = time.monotonic() + 5
    while not any(r.tls_error for r in records) and time.monotonic() < deadline:
        time.sleep(0.005)
    failures = [r.tls_error for r in records if r.tls_error]
    assert len(failures) == 1
    assert str(failures[0]).startswith("client certificate rejected:")


@needs_curl
@pytest.mark.parametrize(
    ("kind", "alert"), [("expired", "certificate expired"), ("untrusted", "unknown ca")]
)
def test_curl_sees_the_specific_alert(
    optional: LoopbackServer, tls_material: TLSMaterial, kind: str, alert: str
) -> None:
    bad = tls_material.issue_client_cert(
        "ci-bot", expired=kind == "expired", untrusted=kind == "untrusted"
    )
    result = _curl(
        "--cacert",
        str(bad.ca_pem),
        "--cert",
        str(bad.cert_pem),
        "--key",
        str(bad.key_pem),
        optional.url + "/x",
    )
    assert result.returncode != 0
    assert alert in result.stderr


def test_self_signed_certificate_needs_to_be_trusted_by_the_context_factory(
    tls_material: TLSMaterial, echo: RequestHandler
) -> None:
    solo = tls_material.self_signed_client_cert("solo")
    trusted: list[object] = []

    def factory() -> ssl.SSLContext:
        return tls_material.server_context(
            client_auth="optional", extra_trust=[solo.certificate] if trusted else []
        )

    with LoopbackServer(echo, tls=factory) as server:
        with (
            httpx.Client(verify=solo.ssl_context()) as client,
            pytest.raises((httpx.ReadError, httpx.ConnectError), match="UNKNOWN_CA"),
        ):
            client.get(server.url + "/x")
        trusted.append(True)  # the client registers it: new handshakes accept it
        with httpx.Client(verify=solo.ssl_context()) as client:
            assert client.get(server.url + "/x").json()["peer"] == solo.subject_dn


def test_stop_with_open_tls_connections(tls_material: TLSMaterial, echo: RequestHandler) -> None:
    server = LoopbackServer(echo, tls=tls_material.server_context()).start()
    with httpx.Client(verify=tls_material.client_context()) as client:
        client.get(server.url + "/x")
        server.stop()
        assert server.threads() == []
