"""Fixtures for the breadth features: a loopback host for documents a test publishes.

A ``jwks_uri`` (a client's keys, a trusted issuer's keys) must be fetched by
the provider over HTTP, as a real one would; :class:`DocumentHost` serves
JSON documents on a real loopback socket, which both transports reach.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography import x509

from pytest_authmock.transport.server import LoopbackServer


class DocumentHost:
    """JSON documents served at paths on ``http://127.0.0.1:<port>``; counts the fetches."""

    def __init__(self) -> None:
        self._documents: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.fetches: dict[str, int] = {}
        self.server = LoopbackServer(self._answer, name="documents").start()

    def _answer(self, request: httpx.Request, peer: x509.Certificate | None) -> httpx.Response:
        path = request.url.path
        with self._lock:
            self.fetches[path] = self.fetches.get(path, 0) + 1
            document = self._documents.get(path)
        if document is None:
            return httpx.Response(404, json={"error": "not_found"})
        return httpx.Response(200, json=document)

    def publish(self, path: str, document: Any) -> str:
        """Serve ``document`` at ``path`` (replacing what was there); returns its URL."""
        with self._lock:
            self._documents[path] = document
        return self.server.url + path

    def close(self) -> None:
        self.server.stop()


@pytest.fixture
def documents() -> Iterator[DocumentHost]:
    host = DocumentHost()
    try:
        yield host
    finally:
        host.close()
