"""RFC 9440 ``Client-Cert`` header: a *simulation* of mTLS for the in-process transport.

respx intercepts requests before any socket exists, so there is no TLS handshake
and no peer certificate. A TLS-terminating reverse proxy solves the same problem
in production by forwarding the verified client certificate to the application
in the ``Client-Cert`` header (RFC 9440 §2): a Structured Field Byte Sequence,
``:<base64 of the DER certificate>:``.

The in-process transport reads that header and hands the certificate to the
provider core as if it came from a handshake. This is a simulation: nothing
proves the client holds the private key, and nothing checks the chain. Tests of
the real checks (untrusted chain, expired certificate, no certificate at all)
belong on the loopback server (``idp_server`` with ``mtls=True``), which performs
real handshakes and ignores this header.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization

__all__ = [
    "CLIENT_CERT_HEADER",
    "bad_client_cert",
    "client_cert_header_value",
    "handle_with_client_cert_header",
    "parse_client_cert_header",
    "peer_cert_from_headers",
]

#: RFC 9440 §2.2.
CLIENT_CERT_HEADER = "Client-Cert"


def client_cert_header_value(certificate: x509.Certificate) -> str:
    """Encode ``certificate`` as an RFC 9440 ``Client-Cert`` header value."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    return ":" + base64.b64encode(der).decode("ascii") + ":"


def parse_client_cert_header(value: str) -> x509.Certificate:
    """Decode an RFC 9440 ``Client-Cert`` header value into a certificate.

    Raises :class:`ValueError` with a message naming what is wrong (never echoing
    the value, which is long and may be anything).
    """
    text = value.strip()
    # RFC 8941 §3.3.5: a Byte Sequence is base64 between colons.
    if len(text) < 3 or not (text.startswith(":") and text.endswith(":")):
        raise ValueError(
            "Client-Cert header is not an RFC 9440 byte sequence: expected "
            "':<base64 DER certificate>:' (use client_cert_header_value() to build one)"
        )
    try:
        der = base64.b64decode(text[1:-1], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("Client-Cert header: the value between the colons is not base64") from None
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        raise ValueError(
            "Client-Cert header: the decoded bytes are not a DER X.509 certificate "
            "(RFC 9440 carries the DER form, not PEM)"
        ) from None


def peer_cert_from_headers(headers: Mapping[str, str]) -> x509.Certificate | None:
    """The simulated peer certificate of an in-process request, if it carries one.

    ``headers`` is any case-insensitive mapping such as ``httpx.Headers``. Returns
    ``None`` without the header; raises :class:`ValueError` when it is malformed.
    """
    value = headers.get(CLIENT_CERT_HEADER)
    if value is None:
        return None
    return parse_client_cert_header(value)


def handle_with_client_cert_header(
    handle: Callable[..., httpx.Response], request: httpx.Request
) -> httpx.Response:
    """Call ``handle(request, peer_cert=...)`` with the simulated certificate.

    What the in-process transport does for every request. A malformed header is
    answered with 400 ``invalid_request`` (as a TLS-terminating proxy would refuse
    to forward it), naming the problem.
    """
    try:
        peer_cert = peer_cert_from_headers(request.headers)
    except ValueError as error:
        return bad_client_cert(str(error))
    return handle(request, peer_cert=peer_cert)


def bad_client_cert(description: str) -> httpx.Response:
    """The refusal of a malformed client certificate, as a TLS-terminating proxy answers (RFC 9440 §2)."""
    return httpx.Response(
        400,
        json={"error": "invalid_request", "error_description": description},
        headers={"Cache-Control": "no-store"},
    )
