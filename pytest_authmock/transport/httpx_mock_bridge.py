"""``idp`` beside pytest-httpx: the provider's URLs become callbacks of ``httpx_mock``.

pytest-httpx replaces httpx's transports, so while its ``httpx_mock`` fixture is
active no httpx request reaches respx (nor the provider behind it): the token
request would end in pytest-httpx's "No response can be found". When a test
uses both fixtures, ``idp`` registers its issuer's origin and each protected URL
with ``httpx_mock`` as optional, reusable callbacks, so the two work together
without user code; every other URL stays ``httpx_mock``'s to answer or refuse.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import httpx

from pytest_authmock.transport.in_process import in_process_handler

if TYPE_CHECKING:
    from pytest_authmock.provider.idp import FakeIdP
    from pytest_authmock.provider.resource import ProtectedResource


def _origin_regex(url: httpx.URL) -> str:
    default = {"http": 80, "https": 443}.get(url.scheme)
    port = url.port or default
    # httpx prints no port when it is the scheme's default (RFC 3986 §6.2.3).
    port_part = f"(?::{port})?" if port == default else f":{port}"
    return f"{re.escape(url.scheme)}://{re.escape(url.host)}{port_part}"


def origin_pattern(url: str | httpx.URL) -> re.Pattern[str]:
    """Every URL of ``url``'s origin."""
    return re.compile(f"^{_origin_regex(httpx.URL(url))}(?:[/?#]|$)")


def resource_pattern(url: httpx.URL) -> re.Pattern[str]:
    """``url`` with any query, as ``ProtectedResource.matches`` compares it."""
    return re.compile(f"^{_origin_regex(url)}{re.escape(url.path)}(?:[?#]|$)")


def connect(idp: FakeIdP, httpx_mock: Any) -> None:
    """Register the provider with a pytest-httpx ``HTTPXMock`` for the rest of the test."""
    # The respx mount's handler: pytest-httpx calls one callback for sync and async
    # clients, and hands the answer's body, late or not, to the client unread.
    callback = in_process_handler(idp.handle)

    def add(pattern: re.Pattern[str]) -> None:
        httpx_mock.add_callback(callback, url=pattern, is_optional=True, is_reusable=True)

    add(origin_pattern(idp.issuer))
    for resource in idp.resources:
        add(resource_pattern(resource.url))

    def on_protect(resource: ProtectedResource) -> None:
        add(resource_pattern(resource.url))

    idp.on_protect(on_protect)


__all__ = ["connect", "origin_pattern", "resource_pattern"]
