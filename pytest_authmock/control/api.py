"""The control API: authenticate, route, answer; and the dispatch in front of the provider."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

from pytest_authmock.control import accounts, journal, scenario, setting_routes, trust_routes
from pytest_authmock.control.auth import authorize, check_admin_token
from pytest_authmock.control.http import ControlError, error_response, json_response
from pytest_authmock.control.openapi import document
from pytest_authmock.control.routes import (
    PREFIX,
    Call,
    ControlContext,
    PrepareClient,
    Route,
    find,
)

if TYPE_CHECKING:
    from cryptography import x509

    from pytest_authmock.control.baseline import Baseline
    from pytest_authmock.provider.idp import FakeIdP

#: ``(request, peer certificate) -> response``: the loopback server's handler type.
Handle = Callable[[httpx.Request, "x509.Certificate | None"], httpx.Response]


def _openapi(call: Call) -> httpx.Response:
    url = call.request.url
    origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
    return json_response(200, document(ROUTES, origin))


ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        f"{PREFIX}/openapi.json",
        _openapi,
        "openapi",
        "This document",
        answer={"type": "object"},
    ),
    *accounts.ROUTES,
    *scenario.ROUTES,
    *setting_routes.ROUTES,
    *trust_routes.ROUTES,
    *journal.ROUTES,
)


class ControlAPI:
    """JSON over HTTP under ``/_authmock/``, for test suites in any language.

    It drives ``idp`` only through the provider's public methods. ``baseline``
    is what a reset returns to (without one, a reset leaves nothing registered);
    ``prepare_client`` lets the server issue a certificate for a new client.
    """

    routes = ROUTES

    def __init__(
        self,
        idp: FakeIdP,
        admin_token: str,
        *,
        baseline: Baseline | None = None,
        prepare_client: PrepareClient | None = None,
    ) -> None:
        self.admin_token = check_admin_token(admin_token)
        self.context = ControlContext(idp, baseline, prepare_client)
        #: Tracebacks of requests the API failed on (a bug: it answered 500).
        self.errors: list[str] = []
        # One control call at a time: a reset must not interleave with a setup call.
        self._lock = threading.Lock()

    def handle(
        self, request: httpx.Request, peer_cert: x509.Certificate | None = None
    ) -> httpx.Response:
        """Answer one control request; never raises."""
        try:
            authorize(request, self.admin_token)
            route, params = find(self.routes, request.method, request.url.path)
            with self._lock:
                return route.handler(Call(self.context, request, params))
        except ControlError as error:
            return error_response(error)
        except Exception as exc:
            self.errors.append(traceback.format_exc())
            return error_response(
                ControlError(
                    500, "server_error", f"pytest-authmock control API bug ({type(exc).__name__})"
                )
            )


def with_control(handle: Handle, control: ControlAPI, pages: Handle | None = None) -> Handle:
    """``handle`` with ``/_authmock/*`` answered by ``control`` (and the pages by ``pages``).

    Everything else reaches the provider untouched, on the same listener.
    """
    from pytest_authmock.control.pages_paths import is_page

    def dispatch(request: httpx.Request, peer_cert: x509.Certificate | None) -> httpx.Response:
        path = request.url.path
        if pages is not None and is_page(path):
            return pages(request, peer_cert)
        if path == PREFIX or path.startswith(PREFIX + "/"):
            return control.handle(request, peer_cert)
        return handle(request, peer_cert)

    return dispatch
