"""Shared fixtures: one behaviour, both transports.

``provider`` is the fake provider reached over a transport, and ``http`` an httpx
client that reaches it. Tests written against these run over every transport in
``TRANSPORTS``.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

TRANSPORTS = ["inprocess", "loopback"]


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def provider(request: pytest.FixtureRequest, transport: str) -> Any:
    if transport == "inprocess":
        return request.getfixturevalue("idp")
    return request.getfixturevalue("idp_server")


@functools.cache
def _default_context() -> ssl.SSLContext:
    # Building a context loads the system CA bundle (~50-80 ms); the in-process
    # transport never uses it, so one per session is plenty.
    return ssl.create_default_context()


@pytest.fixture
def http(provider: Any) -> Iterator[httpx.Client]:
    verify = getattr(provider, "httpx_verify", None) or _default_context()
    with httpx.Client(verify=verify) as client:
        yield client
