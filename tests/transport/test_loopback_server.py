"""The loopback server adapter over plain HTTP: framing, keep-alive, errors, shutdown."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
from typing import Any

import httpx
import pytest
import requests
from cryptography import x509

from pytest_authmock.transport.server import (
    MAX_BODY_BYTES,
    AccessRecord,
    LoopbackServer,
    RequestHandler,
)

# Plain HTTP never uses it; one shared context spares loading the CA bundle per call.
PLAIN = ssl.create_default_context()


@pytest.fixture(scope="module")
def server(echo: RequestHandler) -> Any:
    with LoopbackServer(echo) as running:
        yield running


def _json(response: http.client.HTTPResponse) -> Any:
    return json.loads(response.read())


def test_request_reaches_the_handler_with_the_full_url(server: LoopbackServer) -> None:
    response = httpx.post(
        server.url + "/oauth2/token?a=1&b=2", data={"grant_type": "x y"}, verify=PLAIN
    )
    seen = response.json()
    assert response.status_code == 200
    assert seen["url"] == server.url + "/oauth2/token?a=1&b=2"
    assert seen["method"] == "POST"
    assert seen["body"] == "grant_type=x+y"
    assert seen["peer"] is None
    assert response.headers["server"] == "pytest-authmock"
    assert "date" in response.headers


def test_url_is_public_url_plus_path(echo: RequestHandler) -> None:
    with LoopbackServer(echo, public_url="https://idp.example.com/") as proxied:
        seen = httpx.get(proxied.url + "/realms/x/token", verify=PLAIN).json()
    assert seen["url"] == "https://idp.example.com/realms/x/token"


def test_duplicate_headers_are_kept(server: LoopbackServer) -> None:
    conn = http.client.HTTPConnection(server.host, server.port)
    try:
        conn.putrequest("GET", "/h")
        conn.putheader("X-Dup", "one")
        conn.putheader("X-Dup", "two")
        conn.endheaders()
        headers = _json(conn.getresponse())["headers"]
    finally:
        conn.close()
    assert [v for k, v in headers if k == "x-dup"] == ["one", "two"]


def test_keep_alive_serves_many_requests_on_one_connection(server: LoopbackServer) -> None:
    conn = http.client.HTTPConnection(server.host, server.port)
    try:
        conn.connect()
        local = conn.sock.getsockname()
        for index in range(5):
            conn.request("POST", f"/n/{index}", body=b"x" * index)
            response = conn.getresponse()
            assert _json(response)["body"] == "x" * index
            assert response.getheader("Connection") is None
        assert conn.sock.getsockname() == local
    finally:
        conn.close()


def test_connection_close_is_honoured(server: LoopbackServer) -> None:
    conn = http.client.HTTPConnection(server.host, server.port)
    try:
        conn.request("GET", "/bye", headers={"Connection": "close"})
        response = conn.getresponse()
        assert response.getheader("Connection") == "close"
        response.read()
        assert response.will_close
    finally:
        conn.close()


def test_chunked_request_body(server: LoopbackServer) -> None:
    def parts() -> Any:
        yield b"grant_type="
        yield b"client_credentials"

    response = requests.post(server.url + "/c", data=parts(), timeout=5)
    assert response.json()["body"] == "grant_type=client_credentials"


def test_head_has_headers_but_no_body(server: LoopbackServer) -> None:
    response = httpx.head(server.url + "/h", verify=PLAIN)
    assert response.status_code == 200
    assert int(response.headers["content-length"]) > 0
    assert response.content == b""


def test_absolute_form_target(server: LoopbackServer) -> None:
    conn = http.client.HTTPConnection(server.host, server.port)
    try:
        conn.request("GET", "http://elsewhere.test/p?q=1")
        assert _json(conn.getresponse())["url"] == server.url + "/p?q=1"
    finally:
        conn.close()


def test_oversized_body_is_refused_before_the_handler(server: LoopbackServer) -> None:
    conn = http.client.HTTPConnection(server.host, server.port)
    try:
        conn.putrequest("POST", "/big")
        conn.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 413
        assert response.getheader("Connection") == "close"
    finally:
        conn.close()


def test_bad_content_length_is_400(server: LoopbackServer) -> None:
    with socket.create_connection((server.host, server.port)) as sock:
        sock.sendall(b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: nope\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 400 ")


@pytest.mark.parametrize(
    "method", [b"BREW", b"M-SEARCH", b"PROPFIND", b"TRACE", b"X!#$%&'*+.^_`|~1"]
)
def test_any_token_method_reaches_the_handler(server: LoopbackServer, method: bytes) -> None:
    # RFC 9110 §9.1: a method is a token; which ones a resource serves is its business.
    answer = _raw(server, method + b" /pot HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:80]
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["method"] == method.decode()


@pytest.mark.parametrize("method", [b"BR(EW", b'BR"EW', b"BR\\EW"])
def test_a_method_that_is_not_a_token_is_400(server: LoopbackServer, method: bytes) -> None:
    answer = _raw(server, method + b" /pot HTTP/1.1\r\nHost: a\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:80]


def test_handler_exception_becomes_500_and_is_recorded() -> None:
    def broken(request: httpx.Request, cert: x509.Certificate | None) -> httpx.Response:
        raise KeyError("secret-value-never-shown")

    with LoopbackServer(broken) as failing:
        response = httpx.get(failing.url + "/x", verify=PLAIN)
        assert response.status_code == 500
        assert "KeyError" in response.text
        assert "secret-value-never-shown" not in response.text
        assert [type(e) for e in failing.errors] == [KeyError]


def test_access_records_carry_no_headers_or_bodies(echo: RequestHandler) -> None:
    records: list[AccessRecord] = []
    with LoopbackServer(echo, on_access=records.append) as logged:
        httpx.post(logged.url + "/t?x=1", data={"client_secret": "s3cr3t"}, verify=PLAIN)
    (record,) = records
    assert (record.method, record.target, record.status) == ("POST", "/t?x=1", 200)
    assert "s3cr3t" not in repr(record)
    assert record.duration_ms >= 0


def test_ipv6_loopback(echo: RequestHandler) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 support in this Python")
    try:
        server = LoopbackServer(echo, host="::1")
    except OSError as exc:
        pytest.skip(f"::1 is not available here: {exc}")
    with server:
        assert server.url.startswith("http://[::1]:")
        assert httpx.get(server.url + "/six", verify=PLAIN).json()["url"] == server.url + "/six"


def test_stop_closes_idle_keep_alive_connections_and_joins_threads(echo: RequestHandler) -> None:
    before = set(threading.enumerate())
    server = LoopbackServer(echo).start()
    clients = [httpx.Client(verify=PLAIN) for _ in range(3)]
    try:
        for client in clients:
            assert client.get(server.url + "/k").status_code == 200
        assert server.open_connections == 3
        assert len(server.threads()) == 4  # accept loop + three idle connections
        server.stop()
        assert server.threads() == []
        assert server.open_connections == 0
        assert set(threading.enumerate()) <= before
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((server.host, server.port), timeout=1).close()
    finally:
        for client in clients:
            client.close()
    server.stop()  # idempotent
    with pytest.raises(RuntimeError, match="cannot be restarted"):
        server.start()


def test_stop_without_start_releases_the_port(echo: RequestHandler) -> None:
    server = LoopbackServer(echo)
    port = server.port
    server.stop()
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))


def test_repr_names_url_and_state(echo: RequestHandler) -> None:
    server = LoopbackServer(echo)
    assert repr(server) == f"<LoopbackServer {server.url} created>"
    server.start()
    assert "running" in repr(server)
    server.stop()
    assert "stopped" in repr(server)


def _raw(server: LoopbackServer, data: bytes) -> bytes:
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(data)
        chunks: list[bytes] = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nX: " + b"a" * 70000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 200 + b"\r\n", 431),
        (b"GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nBad Name: a\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        (b"GET noslash HTTP/1.1\r\n\r\n", 400),
        (b"GARBAGE\r\n\r\n", 400),
    ],
)
def test_malformed_requests_are_answered_and_closed(
    server: LoopbackServer, request_bytes: bytes, status: int
) -> None:
    answer = _raw(server, request_bytes)  # returns only once the server closed
    assert answer.startswith(b"HTTP/1.1 %d " % status), answer[:80]


def test_http10_closes_unless_keep_alive(server: LoopbackServer) -> None:
    answer = _raw(server, b"GET /a HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b"Connection: close" in answer
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        first = sock.recv(65536)
        sock.sendall(b"GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        second = sock.recv(65536)
    assert first.startswith(b"HTTP/1.1 200 ")
    assert second.startswith(b"HTTP/1.1 200 ")


def test_expect_100_continue_and_chunk_trailers(server: LoopbackServer) -> None:
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(
            b"POST /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"4;ext=1\r\nabcd\r\n2\r\nef\r\n0\r\nX-Trailer: t\r\n\r\n")
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b'"body": "abcdef"' in answer


def test_wildcard_binds_are_reached_on_loopback() -> None:
    from pytest_authmock.transport.server import client_host

    assert client_host("0.0.0.0") == "127.0.0.1"  # noqa: S104 - a name, not a bind
    assert client_host("::") == "::1"
    assert client_host("127.0.0.1") == "127.0.0.1"
    assert client_host("::1") == "::1"
