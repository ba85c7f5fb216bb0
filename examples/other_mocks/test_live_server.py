"""Scenario: the app under test runs as a live server on 127.0.0.1 while ``idp`` is active.

``idp`` takes over its issuer's origin and the URLs given to ``protect()``; every
other request, such as the test's calls to the live app, goes to the real
transport. ``unrouted="fail"`` turns stray requests into failures instead.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import httpx
import pytest

from pytest_authmock import FakeIdP


class _App(http.server.BaseHTTPRequestHandler):
    """A stand-in for your app: answers every GET with a small JSON body."""

    def do_GET(self) -> None:
        body = b'{"status": "up"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def live_app() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _App)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


# --8<-- [start:passthrough]
def test_the_live_app_and_the_fake_idp_side_by_side(idp: FakeIdP, live_app: str) -> None:
    client = idp.add_client()
    token = httpx.post(  # the issuer's origin: answered in-process
        idp.url_for("token"),
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
    )
    assert token.status_code == 200
    assert httpx.get(f"{live_app}/health").json() == {"status": "up"}  # a real socket


# --8<-- [end:passthrough]


# --8<-- [start:fail]
@pytest.mark.authmock(unrouted="fail")  # or, for the suite, ini: authmock_unrouted = fail
def test_a_stray_request_fails_the_test(idp: FakeIdP, live_app: str) -> None:
    assert httpx.get(idp.url_for("jwks")).status_code == 200
    with pytest.raises(AssertionError, match=r"the host '127\.0\.0\.1' is neither an issuer"):
        httpx.get(f"{live_app}/health")


# --8<-- [end:fail]
