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

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    # respx compares the effective port, so a default port counts as given.
    return (url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme))


class _ProviderRouter(respx.MockRouter):
    """A respx router that answers the provider's URLs itself, without respx routes.

    respx's routes match patterns and record every call; for a provider that
    owns whole origins, a comparison of scheme, host and port does the same
    work in a fraction of the time, on every request of every test. Any other
    request falls through to respx (and on to other started routers, such as
    the ``respx_mock`` fixture's).
    """

    def __init__(self) -> None:
        super().__init__(assert_all_called=False, assert_all_mocked=True)
        self.mount: RespxMount | None = None

    def handler(self, request: httpx.Request) -> httpx.Response:
        mount = self.mount
        if mount is not None and mount.serves(request.url):
            return mount.side_effect(request)
        # Not ours: respx asks the next started router (respx_mock's, another mount's).
        raise AllMockedAssertionError(f"RESPX: {request!r} not mocked!")

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

    The router refuses what it does not route (``assert_all_mocked``), which lets
    respx hand such requests on to any other started router, such as the
    ``respx_mock`` fixture's: both can be used in one test. Given a ``router``
    of your own, the mount adds its routes to it instead.
    """

    def __init__(self, idp: FakeIdP, router: respx.MockRouter | None = None) -> None:
        self.idp = idp
        # The same handler MockTransport users get: the RFC 9440 Client-Cert
        # simulation, then planned connection faults (raised, or a late answer).
        self.side_effect = in_process_handler(idp.handle)
        self._origin = _origin(httpx.URL(idp.issuer))
        self._resources: set[tuple[str, str, int | None, str]] = set()
        self._own_router = router is None
        self.router: respx.MockRouter = _provider_router(self) if router is None else router
        if router is not None:
            router.route(**self._pattern(httpx.URL(idp.issuer))).mock(side_effect=self.side_effect)
        for resource in idp.resources:
            self._add_resource(resource)
        idp.on_protect(self._add_resource)

    def serves(self, url: httpx.URL) -> bool:
        origin = _origin(url)
        return origin == self._origin or (*origin, url.path) in self._resources

    @staticmethod
    def _pattern(url: httpx.URL) -> dict[str, Any]:
        scheme, host, port = _origin(url)
        return {"scheme": scheme, "host": host, "port": port}

    def _add_resource(self, resource: ProtectedResource) -> None:
        self._resources.add((*_origin(resource.url), resource.url.path))
        if not self._own_router:
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
