"""pytest-authmock: a fake OAuth 2.0 / OpenID Connect provider for tests.

The ``idp`` fixture gives every test a fresh provider; these are the names you
type in annotations and assertions. Everything else is reachable in its module
but not part of the stable surface.

The names are imported on first use: ``import pytest_authmock.client`` in a
production CLI must not pay for the fake provider (JOSE, respx, Faker), and
``authmock serve`` must not pay for respx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pytest_authmock._version import __version__

if TYPE_CHECKING:
    from pytest_authmock.provider.bearer import BearerCheck, TokenInfo
    from pytest_authmock.provider.claims import ClaimsRequest
    from pytest_authmock.provider.clock import Clock
    from pytest_authmock.provider.config import ProviderConfig
    from pytest_authmock.provider.faults import Fault
    from pytest_authmock.provider.flow_state import ApiToken, DeviceAuthorization
    from pytest_authmock.provider.idp import FakeIdP
    from pytest_authmock.provider.journal import Journal, JournalEntry
    from pytest_authmock.provider.models import Client, User
    from pytest_authmock.provider.resource import ProtectedResource
    from pytest_authmock.transport.idp_server import IdPServer
    from pytest_authmock.transport.respx_mount import RespxMount

_LAZY = {
    "ApiToken": "pytest_authmock.provider.flow_state",
    "BearerCheck": "pytest_authmock.provider.bearer",
    "ClaimsRequest": "pytest_authmock.provider.claims",
    "Client": "pytest_authmock.provider.models",
    "Clock": "pytest_authmock.provider.clock",
    "DeviceAuthorization": "pytest_authmock.provider.flow_state",
    "FakeIdP": "pytest_authmock.provider.idp",
    "Fault": "pytest_authmock.provider.faults",
    "Journal": "pytest_authmock.provider.journal",
    "IdPServer": "pytest_authmock.transport.idp_server",
    "JournalEntry": "pytest_authmock.provider.journal",
    "ProtectedResource": "pytest_authmock.provider.resource",
    "ProviderConfig": "pytest_authmock.provider.config",
    "RespxMount": "pytest_authmock.transport.respx_mount",
    "TokenInfo": "pytest_authmock.provider.bearer",
    "User": "pytest_authmock.provider.models",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_authmock' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "ApiToken",
    "BearerCheck",
    "ClaimsRequest",
    "Client",
    "Clock",
    "DeviceAuthorization",
    "FakeIdP",
    "Fault",
    "IdPServer",
    "Journal",
    "JournalEntry",
    "ProtectedResource",
    "ProviderConfig",
    "RespxMount",
    "TokenInfo",
    "User",
    "__version__",
]
