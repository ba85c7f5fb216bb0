"""mTLS in-process: the RFC 9440 ``Client-Cert`` header, a documented simulation.

respx answers before any socket exists, so there is no TLS handshake. A
TLS-terminating proxy has the same problem and forwards the verified client
certificate in ``Client-Cert``; the in-process ``idp`` reads that header.
Nothing proves possession of the key here: the real checks (untrusted chain,
expired certificate, no certificate) need ``idp_server`` with ``mtls=True``.
"""

from __future__ import annotations

import httpx

from pytest_authmock import FakeIdP
from pytest_authmock.transport.tls import TLSMaterial

API = "https://api.platform.test/devices"


def test_certificate_bound_token_in_process(idp: FakeIdP, authmock_pki: TLSMaterial) -> None:
    # --8<-- [start:header]
    cert = authmock_pki.issue_client_cert("edge-device")
    idp.add_client("edge-device", tls_client_auth_subject_dn=cert.subject_dn)
    idp.protect(API)

    # What a TLS-terminating proxy would forward (RFC 9440 §2).
    with httpx.Client(headers={"Client-Cert": cert.header_value()}) as http:
        token = http.post(
            idp.url_for("token"),
            data={"grant_type": "client_credentials", "client_id": "edge-device"},
        ).json()["access_token"]
        assert http.get(API, headers={"Authorization": f"Bearer {token}"}).status_code == 200

    # The token is bound to the certificate: without the header it is refused.
    refused = httpx.get(API, headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    # --8<-- [end:header]


def test_malformed_header_is_a_400(idp: FakeIdP) -> None:
    response = httpx.post(
        idp.url_for("token"),
        data={"grant_type": "client_credentials", "client_id": "x"},
        headers={"Client-Cert": "-----BEGIN CERTIFICATE-----"},
    )
    assert response.status_code == 400
    assert "RFC 9440" in response.json()["error_description"]
