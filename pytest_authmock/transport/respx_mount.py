"""The in-process transport: a respx router that hands the provider's requests to ``FakeIdP.handle``."""

from __future__ import annotations

from typing import Any

import httpx
import respx

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

    def __init__(self, mount: RespxMount) -> None:
        super().__init__(assert_all_called=False, assert_all_mocked=True)
        self._mount = mount

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self._mount.serves(request.url):
            return self._mount.side_effect(request)
        return super().handler(request)

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        # The provider never awaits: a delay is carried by the answer's body stream.
        if self._mount.serves(request.url):
            return self._mount.side_effect(request)
        return await super().async_handler(request)


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
        self.router: respx.MockRouter = _ProviderRouter(self) if router is None else router
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
        self.router.start()
        return self

    def stop(self) -> None:
        self.router.stop(quiet=True)

    def __enter__(self) -> RespxMount:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
