"""Mutual TLS (RFC 8705): certificate-bound tokens at the mTLS endpoints."""

from __future__ import annotations

import base64
import hashlib

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from pytest_authmock.contract.checks import Choices, Provider, jwt_header, said
from pytest_authmock.contract.jwts import verify_jwt


def test_bound_token_with_a_client_certificate(
    provider: Provider, mtls_http: httpx.Client, choices: Choices
) -> None:
    metadata = provider.metadata()
    aliases = metadata.get("mtls_endpoint_aliases") or {}
    url = aliases.get("token_endpoint") or metadata["token_endpoint"]
    choices.record("mtls_endpoint_aliases", bool(aliases), None, field="mtls_endpoint_aliases")
    response = mtls_http.post(
        url, data={"grant_type": "client_credentials", "client_id": provider.settings.client_id}
    )
    if response.status_code != 200:
        pytest.fail(f"the tls_client_auth token request answered {said(response)} (RFC 8705 §2)")
    token = response.json()["access_token"]
    assert provider.settings.client_cert is not None
    cert = x509.load_pem_x509_certificate(provider.settings.client_cert.read_bytes())
    thumbprint = base64.urlsafe_b64encode(hashlib.sha256(cert.public_bytes(Encoding.DER)).digest())
    expected = thumbprint.rstrip(b"=").decode()
    if jwt_header(token) is not None:
        claims = verify_jwt(token, provider.jwks(), what="the certificate-bound token")
        bound = claims.get("cnf", {}).get("x5t#S256")
        choices.record("certificate_bound_access_tokens", bool(bound), response, field="cnf")
        if bound:
            assert bound == expected, (
                "cnf x5t#S256 is not the presented certificate's thumbprint (RFC 8705 §3.1)"
            )
