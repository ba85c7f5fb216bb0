"""RFC 9440 Client-Cert header parsing (the in-process mTLS simulation)."""

from __future__ import annotations

import base64

import httpx
import pytest

from pytest_authmock.transport.client_cert_header import (
    client_cert_header_value,
    parse_client_cert_header,
    peer_cert_from_headers,
)
from pytest_authmock.transport.tls import TLSMaterial


def test_round_trip(tls_material: TLSMaterial) -> None:
    cert = tls_material.issue_client_cert("ci-bot")
    value = client_cert_header_value(cert.certificate)
    assert value == cert.header_value()
    assert value.startswith(":")
    assert value.endswith(":")
    assert parse_client_cert_header(f"  {value} ") == cert.certificate


def test_from_headers(tls_material: TLSMaterial) -> None:
    cert = tls_material.issue_client_cert("ci-bot")
    assert peer_cert_from_headers(httpx.Headers({"client-cert": cert.header_value()})) == (
        cert.certificate
    )
    assert peer_cert_from_headers(httpx.Headers({})) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "not an RFC 9440 byte sequence"),
        ("MIIB", "not an RFC 9440 byte sequence"),
        ("-----BEGIN CERTIFICATE-----", "not an RFC 9440 byte sequence"),
        (":not base64!:", "not base64"),
        (":" + base64.b64encode(b"hello").decode() + ":", "not a DER X.509 certificate"),
    ],
)
def test_malformed_values_name_the_problem(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_client_cert_header(value)
