"""Scenario 004: client credentials and PKI, over real mutual TLS (``idp_server``).

The certificate comes as a PKCS#12 file with a password or as PEM certificate
and key files; the bearer token and the certificate travel on the same request.
Tokens fetched while presenting a certificate are bound to it (RFC 8705), so the
API refuses them without it.
"""

from __future__ import annotations

import httpx
import pytest
import requests

from examples.pki_client_certs.pki_sdk import PlatformError, connect
from pytest_authmock import IdPServer

pytestmark = pytest.mark.authmock(mtls=True)


@pytest.fixture
def api(idp_server: IdPServer) -> str:
    """The platform's API, on the same loopback server as the issuer."""
    idp_server.protect(f"{idp_server.url}/api/identity/users/me")
    return idp_server.url


def test_pkcs12_with_password_and_client_credentials(idp_server: IdPServer, api: str) -> None:
    # --8<-- [start:pkcs12]
    client = idp_server.add_client("sdk-user")
    bundle = idp_server.client_cert(client, password="p12-passw0rd")  # also .cert_pem/.key_pem

    with connect(
        api,
        issuer=idp_server.issuer,
        client_id=client.client_id,
        client_secret=client.client_secret,
        pkcs12=bundle.p12,
        pkcs12_password="p12-passw0rd",
        ca=idp_server.ca_pem,
    ) as platform:
        me = platform.get("/api/identity/users/me")

    assert me.status_code == 200
    assert me.json()["client_id"] == "sdk-user"
    # The token was fetched over mTLS, so it is bound to this very certificate.
    issued = [r.cnf for r in idp_server.store.tokens.values() if r.kind == "access"]
    assert issued == [{"x5t#S256": bundle.thumbprint}]
    # --8<-- [end:pkcs12]


def test_pem_certificate_and_key_files(idp_server: IdPServer, api: str) -> None:
    # --8<-- [start:pem]
    client = idp_server.add_client("sdk-user")
    cert = idp_server.client_cert(client)

    with connect(
        api,
        issuer=idp_server.issuer,
        client_id=client.client_id,
        client_secret=client.client_secret,
        cert_filename=cert.cert_pem,
        key_filename=cert.key_pem,
        ca=idp_server.ca_pem,
    ) as platform:
        assert platform.get("/api/identity/users/me").status_code == 200
    # --8<-- [end:pem]


def test_bearer_and_certificate_on_the_same_request_with_requests(
    idp_server: IdPServer, api: str
) -> None:
    """The seed's "without the SDK" path: plain ``requests`` with ``cert=`` and a header."""
    # --8<-- [start:requests]
    client = idp_server.add_client("sdk-user")
    cert = idp_server.client_cert(client)
    pem = (str(cert.cert_pem), str(cert.key_pem))

    token = requests.post(
        idp_server.url_for("token"),
        data={
            "grant_type": "client_credentials",
            "client_id": client.client_id,
            "client_secret": client.client_secret,
        },
        cert=pem,
        verify=idp_server.ca_pem,
        timeout=10,
    ).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    me = requests.get(
        f"{api}/api/identity/users/me",
        headers=headers,
        cert=pem,
        verify=idp_server.ca_pem,
        timeout=10,
    )
    assert me.status_code == 200

    # Bound to the certificate (RFC 8705): the same token without it is refused.
    alone = requests.get(
        f"{api}/api/identity/users/me", headers=headers, verify=idp_server.ca_pem, timeout=10
    )
    assert alone.status_code == 401
    assert "certificate" in alone.json()["error_description"]
    # --8<-- [end:requests]


def test_bearer_token_handed_in_directly(idp_server: IdPServer, api: str) -> None:
    token = idp_server.issue_token(idp_server.add_client("ops"))
    cert = idp_server.client_cert("ops")
    with connect(
        api,
        bearer_token=token,
        pkcs12=cert.p12,
        pkcs12_password=cert.p12_password,
        ca=idp_server.ca_pem,
    ) as platform:
        assert platform.get("/api/identity/users/me").json()["client_id"] == "ops"
    assert idp_server.journal.count(endpoint="token") == 0


def test_expired_token_is_renewed_once(idp_server: IdPServer, api: str) -> None:
    client = idp_server.add_client(access_token_ttl=600)
    cert = idp_server.client_cert(client)
    with connect(
        api,
        issuer=idp_server.issuer,
        client_id=client.client_id,
        client_secret=client.client_secret,
        cert_filename=cert.cert_pem,
        key_filename=cert.key_pem,
        ca=idp_server.ca_pem,
    ) as platform:
        platform.get("/api/identity/users/me")
        idp_server.clock.advance(601)  # only the provider's clock: the SDK learns from a 401
        assert platform.get("/api/identity/users/me").status_code == 200
    assert idp_server.journal.count(endpoint="token") == 2
    assert idp_server.journal.count(endpoint="resource", status_code=401) == 1


def test_wrong_pkcs12_password_is_a_clear_error(idp_server: IdPServer, api: str) -> None:
    cert = idp_server.client_cert("sdk-user", password="right")
    with pytest.raises(PlatformError, match="wrong password"):
        connect(api, bearer_token="x", pkcs12=cert.p12, pkcs12_password="wrong")


@pytest.mark.parametrize("problem", ["expired", "untrusted"])
def test_bad_certificate_fails_the_tls_handshake(
    idp_server: IdPServer, api: str, problem: str
) -> None:
    client = idp_server.add_client("sdk-user")
    cert = idp_server.client_cert(
        client, expired=problem == "expired", untrusted=problem == "untrusted"
    )
    with (
        connect(
            api,
            issuer=idp_server.issuer,
            client_id=client.client_id,
            client_secret=client.client_secret,
            pkcs12=cert.p12,
            pkcs12_password=cert.p12_password,
            ca=idp_server.ca_pem,
        ) as platform,
        pytest.raises(httpx.TransportError),
    ):
        platform.get("/api/identity/users/me")
    assert len(idp_server.journal) == 0  # refused in the handshake, before any HTTP
