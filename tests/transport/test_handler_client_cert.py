"""``idp.handler`` (no patching) simulates mTLS exactly like the respx mount does."""

from __future__ import annotations

import httpx

from pytest_authmock import FakeIdP
from pytest_authmock.transport.tls import TLSMaterial


def test_mock_transport_reads_the_client_cert_header(authmock_pki: TLSMaterial) -> None:
    idp = FakeIdP()
    cert = authmock_pki.issue_client_cert("ci-bot")
    idp.add_client("ci-bot", tls_client_auth_subject_dn=cert.subject_dn)
    with httpx.Client(transport=httpx.MockTransport(idp.handler)) as http:
        response = http.post(
            idp.url_for("token"),
            data={"grant_type": "client_credentials", "client_id": "ci-bot"},
            headers={"Client-Cert": cert.header_value()},
        )
        refused = http.post(
            idp.url_for("token"), data={"grant_type": "client_credentials", "client_id": "ci-bot"}
        )
    assert response.status_code == 200, response.text
    bearer = f"Bearer {response.json()['access_token']}"
    assert idp.check_bearer(bearer, peer_cert=cert.certificate).ok  # bound (RFC 8705 §3)
    assert not idp.check_bearer(bearer).ok
    assert refused.status_code == 401
    assert "no TLS client certificate" in refused.json()["error_description"]
