"""The respx mount's last route: what happens to a request the provider does not own.

``idp`` takes over its issuer's origin and the URLs given to ``protect()``,
nothing else (:mod:`pytest_authmock.transport.routing`). Everything else:

* when another respx router is active in the test (``respx_mock``, a
  ``@respx.mock`` decorator), it is that router's to answer or refuse, exactly as
  if ``idp`` were not there; a URL of another in-process provider (``idp_factory``)
  is that provider's;
* otherwise it passes through to the real transport: a live app server on
  127.0.0.1, an ``idp_server``, any other host;
* with ``unrouted="fail"`` it is refused instead, with :class:`UnroutedRequest`
  naming the host and the option.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import respx

from pytest_authmock.transport.routing import (
    UNROUTED_CHOICES,
    UnroutedRequest,
    owns,
    unrouted_message,
)

if TYPE_CHECKING:
    from pytest_authmock.provider.idp import FakeIdP

# The providers behind each started authmock router, to tell them from other routers.
_PROVIDERS: weakref.WeakKeyDictionary[respx.Router, FakeIdP] = weakref.WeakKeyDictionary()


def add_fallback(
    router: respx.MockRouter,
    idp: FakeIdP,
    handler: Callable[[httpx.Request], Any],
    *,
    unrouted: str = "passthrough",
) -> None:
    """Add the catch-all route; call it after the provider's own routes."""
    if unrouted not in UNROUTED_CHOICES:
        raise ValueError(f"unrouted must be one of {', '.join(UNROUTED_CHOICES)}; got {unrouted!r}")
    _PROVIDERS[router] = idp

    def fallback(request: httpx.Request) -> Any:
        # A URL protect()ed after the mount started: its own route sits after this one.
        if owns(idp, request.url):
            return handler(request)
        active = _active_routers(router)
        if any(other not in _PROVIDERS or owns(_PROVIDERS[other], request.url) for other in active):
            return None  # no match here: respx asks the other router next
        if unrouted == "fail":
            issuers = [_PROVIDERS[other].issuer for other in active if other in _PROVIDERS]
            raise UnroutedRequest(unrouted_message(request.method, request.url, issuers))
        return request  # respx: pass through to the real transport

    router.route(name=f"authmock:unrouted:{idp.issuer}").mock(side_effect=fallback)


def _active_routers(router: respx.MockRouter) -> list[respx.Router]:
    mocker = getattr(router, "Mocker", None)
    routers: list[respx.Router] = list(getattr(mocker, "routers", ()) or ())
    return routers or [router]


__all__ = ["add_fallback"]
