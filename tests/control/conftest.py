"""A provider behind a real loopback server with the control API in front of it.

One server per session (its signing key is generated once); every test starts
from the start-up state, restored through the same :class:`Baseline` that
``POST /_authmock/reset`` uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pytest_authmock.control import Baseline, ControlAPI, with_control
from pytest_authmock.control.pages import Pages
from pytest_authmock.control.urls import debugger_callback
from pytest_authmock.provider.idp import FakeIdP
from pytest_authmock.transport.server import LoopbackServer

ADMIN_TOKEN = "test-admin-token-0123456789"
DEMO_CLIENT = ("demo-client", "demo-secret")
DEMO_USER = ("demo", "demo-password")


class ControlServer:
    """The running server: ``call()`` talks to the control API, ``http`` to anything."""

    def __init__(self) -> None:
        self._dispatch: Any = None
        self.server = LoopbackServer(lambda request, cert: self._dispatch(request, cert))
        self.url = self.server.url
        self.idp = FakeIdP(issuer=self.url)
        self.idp.add_client(*DEMO_CLIENT, redirect_uris=[debugger_callback(self.url)])
        self.idp.add_client("demo-cli", public=True, redirect_uris=["http://127.0.0.1/callback"])
        self.idp.add_user(*DEMO_USER)
        self.idp.protect(self.url + "/api/me")
        self.baseline = Baseline(self.idp)
        self.api = ControlAPI(self.idp, ADMIN_TOKEN, baseline=self.baseline)
        self.pages = Pages(self.idp, ADMIN_TOKEN, demo=[("user", "demo / demo-password")])
        self._dispatch = with_control(
            lambda request, cert: self.idp.handle(request, peer_cert=cert),
            self.api,
            self.pages.handle,
        )
        self.http = httpx.Client(base_url=self.url, timeout=30)
        self.server.start()

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = ADMIN_TOKEN,
        **kw: Any,
    ) -> httpx.Response:
        headers = dict(kw.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            kw["json"] = body
        return self.http.request(method, "/_authmock" + path, headers=headers, **kw)

    def token(self, form: dict[str, str], auth: Any = DEMO_CLIENT) -> httpx.Response:
        """A token request to the provider (the demo client's credentials by default)."""
        return self.http.post("/oauth2/token", data=form, auth=auth)

    def close(self) -> None:
        self.http.close()
        self.server.stop()


@pytest.fixture(scope="session", name="control_server")
def _control_server() -> Iterator[ControlServer]:
    server = ControlServer()
    yield server
    server.close()


@pytest.fixture
def control(control_server: ControlServer) -> Iterator[ControlServer]:
    control_server.baseline.restore(control_server.idp)
    control_server.http.cookies.clear()  # no debugger session from an earlier test
    yield control_server
    assert control_server.api.errors == [], control_server.api.errors[-1]
    assert control_server.server.errors == []
    assert control_server.pages.errors == [], control_server.pages.errors[-1]
