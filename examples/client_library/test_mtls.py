"""Client certificates (seed 004): tls_client_auth and bearer over mutual TLS.

A real TLS handshake needs real sockets, so this runs against ``idp_server``.
"""

from __future__ import annotations

import httpx
import pytest

from pytest_authmock.client import (
    OAuth2Auth,
    OAuthClient,
    ssl_context_from_pem,
    ssl_context_from_pkcs12,
)

pytestmark = pytest.mark.authmock(mtls=True)


def test_pkcs12_client_certificate_with_bearer(idp_server) -> None:  # type: ignore[no-untyped-def]
    sdk = idp_server.add_client(
        "platform-sdk",
        token_endpoint_auth_method="tls_client_auth",
        tls_client_auth_subject_dn="CN=platform-sdk,OU=clients,O=pytest-authmock",
    )
    bundle = idp_server.client_cert(sdk)  # .p12 + password, and PEM files
    api = f"{idp_server.url}/api/devices"
    idp_server.protect(api)
    # --8<-- [start:pkcs12]
    tls = ssl_context_from_pkcs12(bundle.p12, bundle.p12_password, ca=bundle.ca_pem)
    oauth = OAuthClient(
        idp_server.issuer,
        client_id="platform-sdk",
        auth_method="tls_client_auth",  # the certificate is the client's proof
        verify=tls,  # token requests present it (to the RFC 8705 mTLS alias, if any)
    )
    auth = OAuth2Auth.client_credentials(oauth)
    with httpx.Client(verify=tls, auth=auth) as http:  # certificate *and* bearer token
        assert http.get(api).status_code == 200
    # --8<-- [end:pkcs12]
    oauth.close()


def test_pem_certificate_and_key_with_a_secret_client(idp_server) -> None:  # type: ignore[no-untyped-def]
    service = idp_server.add_client("reporting")
    cert = idp_server.client_cert(service)
    api = f"{idp_server.url}/api/reports"
    idp_server.protect(api)
    # --8<-- [start:pem]
    tls = ssl_context_from_pem(
        cert.cert_pem, cert.key_pem, ca=cert.ca_pem
    )  # password=... if encrypted
    oauth = OAuthClient(
        idp_server.issuer,
        client_id=service.client_id,
        client_secret=service.client_secret,
        verify=tls,
    )
    with oauth, httpx.Client(verify=tls, auth=OAuth2Auth.client_credentials(oauth)) as http:
        assert http.get(api).status_code == 200
    # --8<-- [end:pem]
