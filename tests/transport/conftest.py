"""Shared pieces for the transport tests: TLS material and an echoing handler."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from cryptography import x509

from pytest_authmock.transport.tls import TLSMaterial


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> TLSMaterial:
    return TLSMaterial(tmp_path_factory.mktemp("transport-pki"))


def _echo(request: httpx.Request, cert: x509.Certificate | None) -> httpx.Response:
    """Answer with what the adapter handed to the core."""
    body = {
        "method": request.method,
        "url": str(request.url),
        "headers": [[k, v] for k, v in request.headers.multi_items()],
        "body": request.content.decode("latin-1"),
        "peer": cert.subject.rfc4514_string() if cert is not None else None,
    }
    return httpx.Response(
        200, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )


Handler = Callable[[httpx.Request, "x509.Certificate | None"], httpx.Response]


@pytest.fixture(scope="session")
def echo() -> Handler:
    """A handler that answers with what the adapter handed to the core."""
    return _echo
