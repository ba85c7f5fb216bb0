"""pytest-authmock: a fake OAuth 2.0 / OpenID Connect provider for tests.

The ``idp`` fixture gives every test a fresh provider; these are the names you
type in annotations and assertions. Everything else is reachable in its module
but not part of the stable surface.
"""

from typing import TYPE_CHECKING, Any

from pytest_authmock._version import __version__
from pytest_authmock.provider.clock import Clock
from pytest_authmock.provider.config import ProviderConfig
from pytest_authmock.provider.idp import FakeIdP
from pytest_authmock.provider.journal import Journal, JournalEntry
from pytest_authmock.provider.models import Client, User
from pytest_authmock.provider.resource import BearerCheck, ProtectedResource, TokenInfo

if TYPE_CHECKING:
    from pytest_authmock.transport.respx_mount import RespxMount


def __getattr__(name: str) -> Any:
    # RespxMount imports respx (~60 ms); `authmock serve` never needs it, so it
    # is imported when first asked for.
    if name == "RespxMount":
        from pytest_authmock.transport.respx_mount import RespxMount

        return RespxMount
    raise AttributeError(f"module 'pytest_authmock' has no attribute {name!r}")


__all__ = [
    "BearerCheck",
    "Client",
    "Clock",
    "FakeIdP",
    "Journal",
    "JournalEntry",
    "ProtectedResource",
    "ProviderConfig",
    "RespxMount",
    "TokenInfo",
    "User",
    "__version__",
]
