"""The idp_server fixture: real URLs, per-test state on a per-session server, HTTPS and
mTLS flavours, and what plain HTTP clients (requests, curl) see."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
from typing import Any

import httpx
import pytest
import requests

from pytest_authmock import IdPServer

CURL = shutil.which("curl")
needs_curl = pytest.mark.skipif(CURL is None, reason="curl is not installed")
DISCOVERY = "/.well-known/openid-configuration"

_seen: dict[str, Any] = {}


def _curl(*args: str) -> subprocess.CompletedProcess[str]:
    assert CURL is not None
    return subprocess.run(
        [CURL, "--silent", "--show-error", "--max-time", "10", *args],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )


def test_issuer_is_a_real_loopback_url(idp_server: IdPServer) -> None:
    assert idp_server.issuer.startswith("http://127.0.0.1:")
    assert idp_server.url == idp_server.issuer
    metadata = httpx.get(idp_server.issuer + DISCOVERY, verify=idp_server.httpx_verify).json()
    assert metadata["issuer"] == idp_server.issuer
    assert "mtls_endpoint_aliases" not in metadata
    _seen["first"] = (idp_server.issuer, idp_server.add_client().client_id)


def test_server_is_reused_but_state_is_fresh(idp_server: IdPServer) -> None:
    issuer, client_id = _seen.get("first", (idp_server.issuer, "none"))
    assert idp_server.issuer == issuer
    assert client_id not in idp_server.clients
    assert len(idp_server.journal) == 0


def test_requests_client_credentials(idp_server: IdPServer) -> None:
    client = idp_server.add_client()
    assert client.client_secret is not None
    with requests.Session() as session:  # one keep-alive connection for both calls
        metadata = session.get(idp_server.issuer + DISCOVERY, timeout=10).json()
        response = session.post(
            metadata["token_endpoint"],
            data={"grant_type": "client_credentials"},
            auth=(client.client_id, client.client_secret),
            timeout=10,
        )
    assert response.status_code == 200, response.text
    assert response.json()["expires_in"] == 3600
    assert [entry.path for entry in idp_server.journal] == [DISCOVERY, "/oauth2/token"]


@needs_curl
def test_curl_client_credentials_over_http(idp_server: IdPServer) -> None:
    client = idp_server.add_client()
    result = _curl(
        "--user",
        f"{client.client_id}:{client.client_secret}",
        "--data",
        "grant_type=client_credentials",
        idp_server.url_for("token"),
    )
    assert result.returncode == 0, result.stderr
    assert '"access_token"' in result.stdout


def test_plain_server_has_no_tls_material(idp_server: IdPServer) -> None:
    assert isinstance(idp_server.httpx_verify, ssl.SSLContext)
    with pytest.raises(RuntimeError, match=r"mark the test with @pytest.mark.authmock\(tls=True\)"):
        _ = idp_server.ca_pem
    with pytest.raises(RuntimeError, match=r"authmock\(mtls=True\)"):
        idp_server.client_cert("ci-bot")


@pytest.mark.authmock(tls=True, token_format="opaque")
def test_https_with_httpx_requests_and_curl(idp_server: IdPServer) -> None:
    assert idp_server.issuer.startswith("https://127.0.0.1:")
    assert idp_server.config.token_format == "opaque"
    client = idp_server.add_client()
    with httpx.Client(verify=idp_server.ssl_context) as http:
        assert http.get(idp_server.issuer + DISCOVERY).status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(idp_server.issuer + DISCOVERY, timeout=10)  # system trust store
    response = requests.post(
        idp_server.url_for("token"),
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, str(client.client_secret)),
        verify=idp_server.ca_pem,
        timeout=10,
    )
    assert response.status_code == 200
    if CURL is not None:
        result = _curl("--cacert", idp_server.ca_pem, idp_server.issuer + DISCOVERY)
        assert result.returncode == 0, result.stderr
        assert idp_server.issuer in result.stdout
    with pytest.raises(RuntimeError, match=r"authmock\(mtls=True\)"):
        idp_server.client_cert(client)


@pytest.mark.authmock(mtls=True)
def test_mtls_metadata_advertises_aliases_on_a_second_listener(idp_server: IdPServer) -> None:
    metadata = httpx.get(idp_server.issuer + DISCOVERY, verify=idp_server.ssl_context).json()
    aliases = metadata["mtls_endpoint_aliases"]
    assert idp_server.mtls_url is not None
    assert aliases["token_endpoint"] == idp_server.mtls_url + "/oauth2/token"
    assert set(aliases) == {
        "token_endpoint",
        "introspection_endpoint",
        "revocation_endpoint",
        "userinfo_endpoint",
    }
    assert metadata["tls_client_certificate_bound_access_tokens"] is True


@pytest.mark.authmock(mtls=True)
def test_mtls_alias_refuses_the_handshake_without_a_certificate(idp_server: IdPServer) -> None:
    alias = idp_server.metadata()["mtls_endpoint_aliases"]["token_endpoint"]
    with pytest.raises((httpx.ReadError, httpx.ConnectError), match="CERTIFICATE_REQUIRED"):
        httpx.post(alias, data={"grant_type": "client_credentials"}, verify=idp_server.ssl_context)
    # The issuer's listener only asks: endpoints decide.
    anonymous = httpx.get(idp_server.issuer + DISCOVERY, verify=idp_server.ssl_context)
    assert anonymous.status_code == 200


@pytest.mark.authmock(mtls=True)
@pytest.mark.parametrize(("kind", "alert"), [("expired", "EXPIRED"), ("untrusted", "UNKNOWN_CA")])
def test_bad_certificates_never_reach_the_provider(
    idp_server: IdPServer, kind: str, alert: str
) -> None:
    client = idp_server.add_client("ci-bot", tls_client_auth_subject_dn="CN=ci-bot")
    bad = idp_server.client_cert(client, expired=kind == "expired", untrusted=kind == "untrusted")
    assert bad.subject_dn == "CN=ci-bot"
    with pytest.raises((httpx.ReadError, httpx.ConnectError), match=alert):
        httpx.post(
            idp_server.url_for("token"),
            data={"grant_type": "client_credentials", "client_id": "ci-bot"},
            verify=bad.ssl_context(),
        )
    assert len(idp_server.journal) == 0


@pytest.mark.authmock(mtls=True)
def test_client_cert_follows_the_registered_san(idp_server: IdPServer) -> None:
    client = idp_server.add_client(tls_client_auth_san_dns="bot.example.com")
    cert = idp_server.client_cert(client, password="hunter2")
    assert cert.san_dns == ["bot.example.com"]
    assert cert.p12_password == "hunter2"
    alias = idp_server.metadata()["mtls_endpoint_aliases"]["token_endpoint"]
    with httpx.Client(verify=cert.ssl_context()) as http:
        response = http.post(
            alias, data={"grant_type": "client_credentials", "client_id": client.client_id}
        )
    assert response.status_code == 200, response.text


@needs_curl
@pytest.mark.authmock(mtls=True)
def test_curl_mtls_token_and_bound_call(idp_server: IdPServer) -> None:
    client = idp_server.add_client("ci-bot", tls_client_auth_subject_dn="CN=ci-bot,O=Example")
    cert = idp_server.client_cert(client)
    alias = idp_server.metadata()["mtls_endpoint_aliases"]["token_endpoint"]
    tls = ["--cacert", idp_server.ca_pem, "--cert", str(cert.cert_pem), "--key", str(cert.key_pem)]
    token = _curl(*tls, "--data", "grant_type=client_credentials&client_id=ci-bot", alias)
    assert token.returncode == 0, token.stderr
    access_token = json.loads(token.stdout)["access_token"]
    api = idp_server.issuer + "/api/me"
    idp_server.protect(api)
    bearer = f"Authorization: Bearer {access_token}"
    ok = _curl(
        *tls, "--header", bearer, "--write-out", "%{http_code}", "--output", "/dev/null", api
    )
    assert ok.stdout == "200"
    p12 = _curl(
        "--cacert",
        idp_server.ca_pem,
        "--cert-type",
        "P12",
        "--cert",
        f"{cert.p12}:{cert.p12_password}",
        "--header",
        bearer,
        "--write-out",
        "%{http_code}",
        "--output",
        "/dev/null",
        api,
    )
    assert p12.stdout == "200"
    anonymous = _curl(
        "--cacert",
        idp_server.ca_pem,
        "--header",
        bearer,
        "--write-out",
        "%{http_code}",
        "--output",
        "/dev/null",
        api,
    )
    assert anonymous.stdout == "401"


@pytest.mark.authmock(mtls=True)
def test_requests_mtls_token_and_bound_call(idp_server: IdPServer) -> None:
    client = idp_server.add_client("ci-bot", tls_client_auth_subject_dn="CN=ci-bot")
    cert = idp_server.client_cert(client)
    alias = idp_server.metadata()["mtls_endpoint_aliases"]["token_endpoint"]
    # verify= per request: requests lets REQUESTS_CA_BUNDLE override Session.verify.
    tls: dict[str, Any] = {"cert": cert.requests_cert, "verify": idp_server.ca_pem, "timeout": 10}
    with requests.Session() as session:
        token = session.post(
            alias, data={"grant_type": "client_credentials", "client_id": "ci-bot"}, **tls
        )
        assert token.status_code == 200, token.text
        api = idp_server.issuer + "/api/me"
        idp_server.protect(api)
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert session.get(api, headers=bearer, **tls).json()["client_id"] == "ci-bot"
    unbound = requests.get(api, headers=bearer, verify=idp_server.ca_pem, timeout=10)
    assert unbound.status_code == 401
