"""RFC 8705 over both transports: real handshakes on loopback, the RFC 9440
Client-Cert simulation in-process. Same tests, same expectations."""

from __future__ import annotations

import base64
import functools
import json
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pytest_authmock import FakeIdP
from pytest_authmock.transport.tls import ClientCertificate, TLSMaterial

pytestmark = pytest.mark.authmock(mtls=True)


@pytest.fixture
def pki(authmock_pki: TLSMaterial) -> TLSMaterial:
    """The session CA: the loopback server trusts it; in-process nothing checks it."""
    return authmock_pki


@functools.cache
def _unused_context() -> ssl.SSLContext:
    return ssl.create_default_context()


class Presenter:
    """Sends requests presenting a client certificate the way each transport can."""

    def __init__(self, provider: FakeIdP, transport: str) -> None:
        self.provider = provider
        self.transport = transport
        self._clients: list[httpx.Client] = []

    def client(self, cert: ClientCertificate | None) -> httpx.Client:
        if self.transport == "inprocess":
            headers = {"Client-Cert": cert.header_value()} if cert is not None else {}
            # respx answers before any connection: the context is never used, and
            # sharing one saves loading the system CA bundle for every client.
            client = httpx.Client(headers=headers, verify=_unused_context())
        else:
            verify = cert.ssl_context() if cert is not None else self.provider.ssl_context  # type: ignore[attr-defined]
            client = httpx.Client(verify=verify)
        self._clients.append(client)
        return client

    def metadata(self) -> dict[str, Any]:
        discovery = self.provider.issuer + "/.well-known/openid-configuration"
        body: dict[str, Any] = self.client(None).get(discovery).json()
        return body

    def token_endpoint(self) -> str:
        """RFC 8705 §5: a client using mTLS prefers the alias when one is advertised."""
        metadata = self.metadata()
        aliases = metadata.get("mtls_endpoint_aliases", {})
        return str(aliases.get("token_endpoint", metadata["token_endpoint"]))

    def close(self) -> None:
        for client in self._clients:
            client.close()


@pytest.fixture
def tls(provider: FakeIdP, transport: str) -> Iterator[Presenter]:
    presenter = Presenter(provider, transport)
    yield presenter
    presenter.close()


def _claims(jwt: str) -> dict[str, Any]:
    payload = jwt.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def _token(tls: Presenter, cert: ClientCertificate | None, client_id: str) -> httpx.Response:
    return tls.client(cert).post(
        tls.token_endpoint(), data={"grant_type": "client_credentials", "client_id": client_id}
    )


def test_tls_client_auth_by_subject_issues_a_bound_token(
    provider: FakeIdP, tls: Presenter, pki: TLSMaterial
) -> None:
    cert = pki.issue_client_cert("ci-bot")
    provider.add_client("ci-bot", tls_client_auth_subject_dn=cert.subject_dn)
    response = _token(tls, cert, "ci-bot")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert _claims(body["access_token"])["cnf"] == {"x5t#S256": cert.thumbprint}


def test_tls_client_auth_by_san_dns(provider: FakeIdP, tls: Presenter, pki: TLSMaterial) -> None:
    cert = pki.issue_client_cert("svc", san_dns=["svc.clients.example"])
    provider.add_client("svc", tls_client_auth_san_dns="svc.clients.example")
    assert _token(tls, cert, "svc").status_code == 200


def test_self_signed_tls_client_auth(provider: FakeIdP, tls: Presenter, pki: TLSMaterial) -> None:
    cert = pki.self_signed_client_cert("solo")
    provider.add_client("solo", self_signed_certificates=[cert.certificate])
    response = _token(tls, cert, "solo")
    assert response.status_code == 200, response.text
    other = pki.issue_client_cert("solo")  # CA-issued, but not the registered one
    refused = _token(tls, other, "solo")
    assert refused.status_code == 401
    assert "not one registered" in refused.json()["error_description"]


def test_subject_mismatch_is_invalid_client(
    provider: FakeIdP, tls: Presenter, pki: TLSMaterial
) -> None:
    provider.add_client("ci-bot", tls_client_auth_subject_dn="CN=ci-bot,O=Elsewhere")
    response = _token(tls, pki.issue_client_cert("ci-bot"), "ci-bot")
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "invalid_client"
    assert "does not match the subject registered" in body["error_description"]


def test_no_certificate_is_invalid_client(provider: FakeIdP, tls: Presenter) -> None:
    provider.add_client("ci-bot", tls_client_auth_subject_dn="CN=ci-bot")
    # The issuer's own token endpoint (certificate optional), not the alias.
    response = tls.client(None).post(
        provider.url_for("token"), data={"grant_type": "client_credentials", "client_id": "ci-bot"}
    )
    assert response.status_code == 401
    assert "no TLS client certificate was presented" in response.json()["error_description"]


def test_bound_token_needs_the_same_certificate_at_the_resource(
    provider: FakeIdP, tls: Presenter, pki: TLSMaterial
) -> None:
    cert = pki.issue_client_cert("ci-bot")
    provider.add_client("ci-bot", tls_client_auth_subject_dn=cert.subject_dn)
    api = provider.issuer + "/api/me"
    provider.protect(api)
    token = _token(tls, cert, "ci-bot").json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}

    assert tls.client(cert).get(api, headers=bearer).status_code == 200

    without = tls.client(None).get(api, headers=bearer)
    assert without.status_code == 401
    assert 'error="invalid_token"' in without.headers["www-authenticate"]
    assert "none was presented" in without.json()["error_description"]

    stranger = pki.issue_client_cert("ci-bot")
    other = tls.client(stranger).get(api, headers=bearer)
    assert other.status_code == 401
    assert "different client certificate" in other.json()["error_description"]


def test_introspection_returns_cnf(provider: FakeIdP, tls: Presenter, pki: TLSMaterial) -> None:
    cert = pki.issue_client_cert("ci-bot")
    provider.add_client("ci-bot", tls_client_auth_subject_dn=cert.subject_dn)
    token = _token(tls, cert, "ci-bot").json()["access_token"]
    metadata = tls.metadata()
    endpoint = metadata.get("mtls_endpoint_aliases", metadata)["introspection_endpoint"]
    answer = tls.client(cert).post(endpoint, data={"token": token, "client_id": "ci-bot"}).json()
    assert answer["active"] is True
    assert answer["cnf"] == {"x5t#S256": cert.thumbprint}


@pytest.mark.authmock(mtls=True, token_format="opaque")
def test_secret_client_presenting_a_certificate_gets_a_bound_opaque_token(
    provider: FakeIdP, tls: Presenter, pki: TLSMaterial
) -> None:
    """Seed 004: client id + secret for the token, then bearer + certificate together."""
    client = provider.add_client()
    assert client.client_secret is not None
    cert = pki.issue_client_cert(client.client_id)
    http = tls.client(cert)
    response = http.post(
        provider.url_for("token"),
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert token.count(".") == 0  # opaque
    api = provider.issuer + "/api/items"
    provider.protect(api)
    assert http.get(api, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert (
        tls.client(None).get(api, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )


def test_self_signed_certificate_cannot_pose_as_a_ca_issued_one(
    provider: FakeIdP, tls: Presenter, pki: TLSMaterial
) -> None:
    """A registered self-signed certificate passes the handshake, but only for its client."""
    solo = pki.self_signed_client_cert("solo", subject_dn="CN=payments")
    provider.add_client("solo", self_signed_certificates=[solo.certificate])
    provider.add_client("payments", tls_client_auth_subject_dn="CN=payments")
    response = _token(tls, solo, "payments")
    assert response.status_code == 401
    assert "self-signed" in response.json()["error_description"]
