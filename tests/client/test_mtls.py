"""mTLS: SSL contexts from PEM and PKCS#12, tls_client_auth, and bearer on top."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from pytest_authmock.client import (
    ClientCredentialsGrant,
    ConfigurationError,
    InvalidCredentials,
    OAuth2Auth,
    OAuthClient,
    RetryPolicy,
    ssl_context_from_pem,
    ssl_context_from_pkcs12,
)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def leaf(ca: trustme.CA) -> Any:
    return ca.issue_cert("client.example")


def key_of(leaf: Any) -> Any:
    return serialization.load_pem_private_key(leaf.private_key_pem.bytes(), password=None)


def cert_of(leaf: Any) -> x509.Certificate:
    return x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes())


def test_from_pem_files(tmp_path: Path, ca: trustme.CA, leaf: Any) -> None:
    cert = tmp_path / "c.pem"
    key = tmp_path / "k.pem"
    cert.write_bytes(leaf.cert_chain_pems[0].bytes())
    key.write_bytes(leaf.private_key_pem.bytes())
    context = ssl_context_from_pem(cert, key, ca=ca.cert_pem.bytes())
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_from_pem_bytes_with_encrypted_key(leaf: Any) -> None:
    encrypted = key_of(leaf).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"key-pass"),
    )
    cert = leaf.cert_chain_pems[0].bytes()
    assert isinstance(ssl_context_from_pem(cert, encrypted, password="key-pass"), ssl.SSLContext)
    with pytest.raises(ConfigurationError, match="wrong password") as info:
        ssl_context_from_pem(cert, encrypted, password="nope")
    assert "nope" not in str(info.value)
    with pytest.raises(ConfigurationError, match="pass its password"):
        ssl_context_from_pem(cert, encrypted)


def test_combined_pem_file(leaf: Any) -> None:
    both = leaf.private_key_and_cert_chain_pem.bytes()
    assert isinstance(ssl_context_from_pem(both), ssl.SSLContext)


def test_pem_errors(ca: trustme.CA, leaf: Any, tmp_path: Path) -> None:
    cert = leaf.cert_chain_pems[0].bytes()
    other_key = ca.issue_cert("other.example").private_key_pem.bytes()
    with pytest.raises(ConfigurationError, match="does not belong to the certificate"):
        ssl_context_from_pem(cert, other_key)
    with pytest.raises(ConfigurationError, match="not encrypted"):
        ssl_context_from_pem(cert, leaf.private_key_pem.bytes(), password="x")
    with pytest.raises(ConfigurationError, match="cannot read the certificate"):
        ssl_context_from_pem(tmp_path / "missing.pem", leaf.private_key_pem.bytes())
    with pytest.raises(ConfigurationError, match="not a PEM key"):
        ssl_context_from_pem(cert, b"garbage")
    with pytest.raises(ConfigurationError, match="CA bundle"):
        ssl_context_from_pem(cert, leaf.private_key_pem.bytes(), ca=b"not pem")


def test_from_pkcs12(tmp_path: Path, ca: trustme.CA, leaf: Any) -> None:
    bundle = pkcs12.serialize_key_and_certificates(
        b"client",
        key_of(leaf),
        cert_of(leaf),
        None,
        serialization.BestAvailableEncryption(b"p12-pass"),
    )
    path = tmp_path / "client.p12"
    path.write_bytes(bundle)
    assert isinstance(ssl_context_from_pkcs12(path, "p12-pass"), ssl.SSLContext)
    assert isinstance(
        ssl_context_from_pkcs12(bundle, b"p12-pass", ca=ca.cert_pem.bytes()), ssl.SSLContext
    )
    with pytest.raises(ConfigurationError, match="wrong password") as info:
        ssl_context_from_pkcs12(path, "wrong-p12-pass")
    assert "wrong-p12-pass" not in str(info.value)
    with pytest.raises(ConfigurationError, match="PKCS#12"):
        ssl_context_from_pkcs12(b"not a bundle", "x")


def test_no_key_material_is_left_on_disk(
    tmp_path: Path, leaf: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ssl_context_from_pem(leaf.private_key_and_cert_chain_pem.bytes())
    assert list(tmp_path.iterdir()) == []


# -- against the loopback server with a real handshake ---------------------------------------


@pytest.fixture
def mtls_server(request: pytest.FixtureRequest) -> Any:
    try:
        return request.getfixturevalue("idp_server")
    except pytest.FixtureLookupError:
        pytest.skip("the idp_server fixture is not available in this checkout")


@pytest.mark.authmock(mtls=True)
@pytest.mark.parametrize("form", ["pem", "pkcs12"])
def test_tls_client_auth_and_bearer_on_one_client(mtls_server: Any, form: str) -> None:
    server = mtls_server
    client = server.add_client(
        "svc",
        token_endpoint_auth_method="tls_client_auth",
        tls_client_auth_subject_dn="CN=svc,OU=clients,O=pytest-authmock",
    )
    cert = server.client_cert(client)
    if form == "pem":
        context = ssl_context_from_pem(cert.cert_pem, cert.key_pem, ca=cert.ca_pem)
    else:
        context = ssl_context_from_pkcs12(cert.p12, cert.p12_password, ca=cert.ca_pem)
    api = f"{server.url}/api/pki"
    server.protect(api)
    oauth = OAuthClient(
        server.issuer, client_id="svc", auth_method="tls_client_auth", verify=context
    )
    with oauth, httpx.Client(verify=context, auth=OAuth2Auth.client_credentials(oauth)) as http:
        response = http.get(api)
        assert response.status_code == 200, response.text
        assert response.json()["client_id"] == "svc"
    token_entries = [e for e in server.journal if e.endpoint == "token"]
    assert [e.status_code for e in token_entries] == [200]
    # RFC 8705 §5: the token request went to the mTLS alias the metadata advertised.
    alias = oauth.metadata().mtls_endpoint_aliases.get("token_endpoint")
    if alias:
        assert token_entries[0].url == alias


@pytest.mark.authmock(mtls=True)
def test_tls_client_auth_without_certificate_is_refused(mtls_server: Any) -> None:
    server = mtls_server
    server.add_client(
        "svc2",
        token_endpoint_auth_method="tls_client_auth",
        tls_client_auth_subject_dn="CN=svc2,OU=clients,O=pytest-authmock",
    )
    trust_only = ssl.create_default_context(cafile=server.ca_pem)
    oauth = OAuthClient(
        server.issuer,
        client_id="svc2",
        auth_method="tls_client_auth",
        verify=trust_only,
        retry=RetryPolicy.never(),
    )
    with oauth, pytest.raises(InvalidCredentials, match="client certificate"):
        oauth.request_token(ClientCredentialsGrant())
    assert server.journal.count(endpoint="token") == 0  # refused in the handshake, once


@pytest.mark.authmock(tls=True)
def test_untrusted_server_certificate_says_pass_the_ca(mtls_server: Any) -> None:
    oauth = OAuthClient(mtls_server.issuer, client_id="x", retry=RetryPolicy.never())
    with oauth, pytest.raises(ConfigurationError, match="CA bundle"):
        oauth.metadata()


def test_tls_client_auth_in_process_through_the_client_cert_header(
    idp: Any, authmock_pki: Any
) -> None:
    # In-process there is no handshake: the transport reads the certificate a
    # TLS-terminating proxy would forward (RFC 9440 Client-Cert). The library
    # is unchanged; only its HTTP client carries the header.
    cert = authmock_pki.issue_client_cert("svc")
    idp.add_client(
        "svc",
        token_endpoint_auth_method="tls_client_auth",
        tls_client_auth_subject_dn=cert.subject_dn,
    )
    headers = {"Client-Cert": cert.header_value()}
    with httpx.Client(headers=headers) as http:
        oauth = OAuthClient(
            idp.issuer, client_id="svc", auth_method="tls_client_auth", http_client=http
        )
        token = oauth.request_token(ClientCredentialsGrant())
    assert token.access_token
    with httpx.Client() as http:  # no certificate: refused
        oauth = OAuthClient(
            idp.issuer, client_id="svc", auth_method="tls_client_auth", http_client=http
        )
        with pytest.raises(InvalidCredentials, match="tls_client_auth"):
            oauth.request_token(ClientCredentialsGrant())
