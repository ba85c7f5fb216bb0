"""The documented default client-certificate subject is what tls_client_auth matches."""

from __future__ import annotations

import httpx

from pytest_authmock import FakeIdP
from pytest_authmock.transport.tls import TLSMaterial


def test_documented_default_subject_authenticates(idp: FakeIdP, authmock_pki: TLSMaterial) -> None:
    cert = authmock_pki.issue_client_cert("ci-bot")
    assert cert.subject_dn == "O=pytest-authmock,OU=clients,CN=ci-bot"
    idp.add_client("ci-bot", tls_client_auth_subject_dn="O=pytest-authmock,OU=clients,CN=ci-bot")
    response = httpx.post(
        idp.url_for("token"),
        data={"grant_type": "client_credentials", "client_id": "ci-bot"},
        headers={"Client-Cert": cert.header_value()},
    )
    assert response.status_code == 200, response.text
    bearer = f"Bearer {response.json()['access_token']}"
    # Issued over (simulated) mTLS, so bound to the certificate (RFC 8705 §3).
    assert idp.check_bearer(bearer, peer_cert=cert.certificate).ok
    assert not idp.check_bearer(bearer).ok
