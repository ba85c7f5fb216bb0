"""The in-process transport: a respx router whose routes call ``FakeIdP.handle``."""

from __future__ import annotations

from typing import Any

import httpx
import respx

from pytest_authmock.provider.idp import FakeIdP
from pytest_authmock.provider.resource import ProtectedResource
from pytest_authmock.transport.in_process import in_process_handler


def _origin_pattern(url: httpx.URL) -> dict[str, Any]:
    pattern: dict[str, Any] = {"scheme": url.scheme, "host": url.host}
    # respx compares the request's effective port, so a default port is given explicitly.
    pattern["port"] = url.port or (443 if url.scheme == "https" else 80)
    return pattern


class RespxMount:
    """Routes every request to the issuer's origin, and each protected URL, to the provider.

    The router refuses what it does not route (``assert_all_mocked``), which lets
    respx hand such requests on to any other started router, such as the
    ``respx_mock`` fixture's: both can be used in one test.
    """

    def __init__(self, idp: FakeIdP, router: respx.MockRouter | None = None) -> None:
        self.idp = idp
        # The same handler MockTransport users get: the RFC 9440 Client-Cert
        # simulation, then planned connection faults (raised, or a late answer).
        self._side_effect = in_process_handler(idp.handle)
        self.router = router or respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
        self.router.route(
            name=f"authmock:{idp.issuer}", **_origin_pattern(httpx.URL(idp.issuer))
        ).mock(side_effect=self._side_effect)
        for resource in idp.resources:
            self._add_resource(resource)
        idp.on_protect(self._add_resource)

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
