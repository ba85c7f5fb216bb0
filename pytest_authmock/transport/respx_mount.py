"""The in-process transport: a respx router that hands the provider's requests to ``FakeIdP.handle``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, NoReturn

import httpx
import respx
from respx.models import AllMockedAssertionError, PassThrough

from pytest_authmock.provider.idp import FakeIdP
from pytest_authmock.provider.resource import ProtectedResource
from pytest_authmock.transport.in_process import in_process_handler
from pytest_authmock.transport.routing import (
    ProviderURLs,
    UnroutedRequest,
    check_unrouted,
    origin,
    unrouted_message,
)


class _ProviderRouter(respx.MockRouter):
    """A respx router that answers the provider's URLs itself, without respx routes.

    respx's routes match patterns and record every call; for a provider that
    owns whole origins, a comparison of scheme, host and port does the same
    work in a fraction of the time, on every request of every test.

    Any other request is not the provider's (:meth:`_not_ours`): when another
    router a test started (``respx_mock``'s, a ``@respx.mock``, another provider
    that owns the URL) is running, it is that router's to answer or refuse, as if
    this one were not there; otherwise it passes through to the network, or, with
    ``unrouted="fail"``, is refused with :class:`UnroutedRequest`.
    """

    def __init__(self) -> None:
        super().__init__(assert_all_called=False, assert_all_mocked=True)
        self.mount: RespxMount | None = None

    def handler(self, request: httpx.Request) -> httpx.Response:
        mount = self.mount
        if mount is not None and request.url in mount.urls:
            return mount.side_effect(request)
        self._not_ours(request)

    def _not_ours(self, request: httpx.Request) -> NoReturn:
        # Off the provider's hot path: only requests to other hosts get here.
        routers = self.Mocker.routers if self.Mocker is not None else []
        providers = [r.mount for r in routers if isinstance(r, _ProviderRouter) and r.mount]
        others = [r for r in routers if not isinstance(r, (_ProviderRouter, _StandBy))]
        if others or any(request.url in mount.urls for mount in providers):
            # respx asks the next started router; the last one's refusal is respx's own.
            raise AllMockedAssertionError(f"RESPX: {request!r} not mocked!")
        if any(mount.unrouted == "fail" for mount in providers):
            issuers = [mount.urls.issuer for mount in providers]
            raise UnroutedRequest(unrouted_message(request.method, request.url, issuers))
        raise PassThrough("no provider owns it", request=request, origin=None)  # type: ignore[arg-type]

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        # The provider never awaits: a delay is carried by the answer's body stream.
        return self.handler(request)


# Stopped routers, reused by later mounts: a respx router costs ~0.1 ms to build
# (its call list is a spec'd mock), on every test. It holds no routes or calls.
_spare: list[_ProviderRouter] = []
_spare_lock = threading.Lock()


def _provider_router(mount: RespxMount) -> _ProviderRouter:
    with _spare_lock:
        router = _spare.pop() if _spare else _ProviderRouter()
    router.mount = mount
    return router


def _release(router: _ProviderRouter) -> None:
    router.mount = None
    with _spare_lock:
        if router not in _spare:
            _spare.append(router)


class _StandBy(respx.MockRouter):
    """A router that keeps respx's patches in place and answers nothing itself.

    respx patches httpcore when its first router starts and unpatches when the
    last one stops; patching costs more than the rest of a test's provider set-up.
    Registered for the whole session, this router keeps the patches, so each
    test's mount only registers and unregisters. It hands every request on: to
    the routers a test started (``AllMockedAssertionError`` tells respx to try the
    next one), or, when no test router is running, to the network, as if respx
    had never been there.
    """

    def __init__(self) -> None:
        super().__init__(assert_all_called=False, assert_all_mocked=True)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self._hand_on(request)

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        self._hand_on(request)

    def _hand_on(self, request: httpx.Request) -> NoReturn:
        routers = self.Mocker.routers if self.Mocker is not None else []
        # Another session's stand-by (pytester runs pytest inside pytest) is no test router.
        if any(not isinstance(router, _StandBy) for router in routers):
            raise AllMockedAssertionError(f"RESPX: {request!r} not mocked!")
        raise PassThrough("no test router is running", request=request, origin=None)  # type: ignore[arg-type]


def keep_patched() -> Callable[[], None]:
    """Keep respx's patches in place until the returned function is called (once a session)."""
    router = _StandBy()
    router.start()
    return lambda: router.stop(quiet=True)


class RespxMount:
    """Routes every request to the issuer's origin, and each protected URL, to the provider.

    Other requests pass through to the real transport (a live server, an
    ``idp_server``); when another respx router is running (the ``respx_mock``
    fixture's), they are that router's, so both can be used in one test.
    ``unrouted="fail"`` refuses them instead. Given a ``router`` of your own, the
    mount adds its routes to it, and that router decides about everything else.
    """

    def __init__(
        self, idp: FakeIdP, router: respx.MockRouter | None = None, *, unrouted: str = "passthrough"
    ) -> None:
        self.idp = idp
        self.unrouted = check_unrouted(unrouted)
        # The same handler MockTransport users get: the RFC 9440 Client-Cert
        # simulation, then planned connection faults (raised, or a late answer).
        self.side_effect = in_process_handler(idp.handle)
        self.urls = ProviderURLs(idp)
        self.router: respx.MockRouter = _provider_router(self) if router is None else router
        if router is not None:
            router.route(**self._pattern(httpx.URL(idp.issuer))).mock(side_effect=self.side_effect)
            for resource in idp.resources:
                self._add_route(resource)
            idp.on_protect(self._add_route)

    @staticmethod
    def _pattern(url: httpx.URL) -> dict[str, Any]:
        # respx compares the effective port, so a default port counts as given.
        scheme, host, port = origin(url)
        return {"scheme": scheme, "host": host, "port": port}

    def _add_route(self, resource: ProtectedResource) -> None:
        pattern = self._pattern(resource.url)
        self.router.route(**pattern, path=resource.url.path).mock(side_effect=self.side_effect)

    def start(self) -> RespxMount:
        if isinstance(self.router, _ProviderRouter) and self.router.mount is not self:
            self.router = _provider_router(self)  # started again after stop()
        self.router.start()
        return self

    def stop(self) -> None:
        self.router.stop(quiet=True)
        if isinstance(self.router, _ProviderRouter) and self.router.mount is self:
            _release(self.router)

    def __enter__(self) -> RespxMount:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
