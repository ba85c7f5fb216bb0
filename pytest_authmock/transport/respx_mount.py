"""The in-process transport: a respx router whose routes call ``FakeIdP.handle``."""

from __future__ import annotations

from typing import Any

import httpx
import respx

from pytest_authmock.provider.idp import FakeIdP
from pytest_authmock.provider.resource import ProtectedResource
from pytest_authmock.transport.passthrough import add_fallback


def _origin_pattern(url: httpx.URL) -> dict[str, Any]:
    pattern: dict[str, Any] = {"scheme": url.scheme, "host": url.host}
    # respx compares the request's effective port, so a default port is given explicitly.
    pattern["port"] = url.port or (443 if url.scheme == "https" else 80)
    return pattern


class RespxMount:
    """Routes every request to the issuer's origin, and each protected URL, to the provider.

    Other requests pass through to the real transport; when another respx router
    is active (the ``respx_mock`` fixture's), they are that router's, so both can
    be used in one test.
    """

    def __init__(
        self, idp: FakeIdP, router: respx.MockRouter | None = None, *, unrouted: str = "passthrough"
    ) -> None:
        self.idp = idp
        # The same handler MockTransport users get: the RFC 9440 Client-Cert
        # simulation, then planned connection faults (raised or awaited).
        self._side_effect = idp.handler
        self.router = router or respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
        self.router.route(
            name=f"authmock:{idp.issuer}", **_origin_pattern(httpx.URL(idp.issuer))
        ).mock(side_effect=self._side_effect)
        for resource in idp.resources:
            self._add_resource(resource)
        idp.on_protect(self._add_resource)
        # The last route: requests the provider does not own pass through, go to another
        # respx router, or fail with unrouted="fail" (transport/passthrough.py).
        add_fallback(self.router, idp, self._side_effect, unrouted=unrouted)

    def _add_resource(self, resource: ProtectedResource) -> None:
        pattern = _origin_pattern(resource.url)
        pattern["path"] = resource.url.path
        self.router.route(**pattern).mock(side_effect=self._side_effect)

    def start(self) -> RespxMount:
        self.router.start()
        return self

    def stop(self) -> None:
        self.router.stop(quiet=True)

    def __enter__(self) -> RespxMount:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
