"""A jwks_uri that fights back: redirects, endless or slow bodies, bombs, private keys.

Any client may register a ``jwks_uri`` (open dynamic registration, RFC 7591),
so the provider's fetch is attacker-steered. It must end within its time
budget, read no more than its size limit, follow no redirect, and answer an
OAuth error (never a 5xx) whatever comes back.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from pytest_authmock.client.assertion import PrivateKeyJwt
from pytest_authmock.provider import jwks_fetch
from pytest_authmock.provider.errors import InvalidClient
from pytest_authmock.provider.jwks_fetch import JwksFetcher

_PRIVATE = PrivateKeyJwt.generate("x").key.as_dict(private=True)
_CHUNK = b"x" * 65536


def _head(status: str, **headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class _Hostile(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            data = self.request.recv(4096)
            if not data:
                return
            request += data
        path = request.split(b" ")[1].decode()
        with contextlib.suppress(OSError):  # the provider hung up, as it should
            self._answer(path)

    def _send_json(self, text: str) -> None:
        body = text.encode()
        self.request.sendall(_head("200 OK", **{"Content-Length": str(len(body))}) + body)

    def _answer(self, path: str) -> None:
        sock: socket.socket = self.request
        if path == "/redirect":
            sock.sendall(
                _head("302 Found", Location="http://127.0.0.1:1/keys", **{"Content-Length": "0"})
            )
        elif path == "/endless":
            sock.sendall(_head("200 OK"))
            for _ in range(2000):  # 128 MB, far past the limit
                sock.sendall(_CHUNK)
        elif path == "/slow":
            sock.sendall(_head("200 OK", **{"Content-Length": "1000"}))
            for _ in range(1000):
                sock.sendall(b" ")
                time.sleep(0.05)
        elif path == "/drip-headers":
            # Each byte well within a socket timeout, the whole never ending.
            sock.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            for _ in range(1000):
                sock.sendall(b"x")
                time.sleep(0.05)
        elif path == "/hang":
            time.sleep(3)
        elif path == "/deep":
            self._send_json("[" * 100_000 + "]" * 100_000)
        elif path == "/html":
            self._send_json("<html>not a key set</html>")
        elif path == "/number":
            self._send_json("9" * 5000)
        elif path == "/private":
            self._send_json(json.dumps({"keys": [_PRIVATE]}))
        else:
            sock.sendall(_head("404 Not Found", **{"Content-Length": "0"}))


@pytest.fixture(scope="module")
def hostile() -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Hostile)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def short_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jwks_fetch, "FETCH_TIMEOUT", 0.5)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/redirect", "answered HTTP 302, a redirect; this provider does not follow redirects"),
        ("/endless", f"larger than {jwks_fetch.MAX_JWKS_BYTES} bytes"),
        ("/slow", "no complete answer within 0.5 s"),
        ("/hang", "cannot fetch the JWKS"),
        ("/drip-headers", "no complete answer within 0.5 s"),
        ("/deep", "nested more than 16 levels deep"),
        ("/html", "is not valid JSON"),
        ("/number", "is not valid JSON"),
        ("/private", "must hold public keys only"),
        ("/missing", "answered HTTP 404"),
    ],
)
def test_a_hostile_jwks_uri_is_an_oauth_error(hostile: str, path: str, message: str) -> None:
    began = time.monotonic()
    with pytest.raises(InvalidClient) as refused:
        JwksFetcher().keys(hostile + path, error=InvalidClient)
    assert message in refused.value.description
    # Within the budget (0.5 s), however the server behaves (slack for busy cores).
    assert time.monotonic() - began < 1.5


def test_a_redirect_is_not_followed_over_httpx() -> None:
    with respx.mock(assert_all_called=False) as router:
        final = router.get("https://keys.example/final").respond(json={"keys": []})
        router.get("https://keys.example/jwks").respond(
            302, headers={"Location": "https://keys.example/final"}
        )
        with pytest.raises(InvalidClient, match="does not follow redirects"):
            JwksFetcher().keys("https://keys.example/jwks", error=InvalidClient)
        assert not final.called


def test_a_huge_document_is_cut_off_over_httpx() -> None:
    with respx.mock() as router:
        router.get("https://keys.example/jwks").respond(
            content=b" " * (jwks_fetch.MAX_JWKS_BYTES + 1)
        )
        with pytest.raises(InvalidClient, match="larger than"):
            JwksFetcher().keys("https://keys.example/jwks", error=InvalidClient)


@pytest.mark.parametrize(
    "uri", ["file://localhost/dev/zero", "ftp://localhost/keys", "http://exa mple/keys"]
)
def test_only_http_urls_are_fetched(uri: str) -> None:
    with pytest.raises(InvalidClient, match="cannot fetch the JWKS"):
        JwksFetcher().keys(uri, error=InvalidClient)


def test_the_cache_holds_a_bounded_number_of_uris(monkeypatch: pytest.MonkeyPatch) -> None:
    jwks = {"keys": [PrivateKeyJwt.generate("x").key.as_dict(private=False)]}
    fetched: list[str] = []

    def get(uri: str) -> httpx.Response:
        fetched.append(uri)
        return httpx.Response(200, json=jwks)

    monkeypatch.setattr(jwks_fetch, "MAX_CACHED_URIS", 3)
    fetcher = JwksFetcher(get)
    for n in range(5):
        fetcher.keys(f"https://c{n}.example/jwks", error=InvalidClient)
    assert len(fetcher._cache) == 3
    fetcher.keys("https://c4.example/jwks", error=InvalidClient)  # still cached
    fetcher.keys("https://c0.example/jwks", error=InvalidClient)  # forgotten: fetched again
    assert fetched == [*(f"https://c{n}.example/jwks" for n in range(5)), "https://c0.example/jwks"]


def test_a_registered_client_with_a_hostile_jwks_uri_gets_401(idp: Any, hostile: str) -> None:
    """Over the token endpoint: dynamic registration, then a private_key_jwt request."""
    http = httpx.Client(transport=httpx.MockTransport(idp.handler))
    for path in ("/endless", "/deep", "/redirect"):
        registered = http.post(
            idp.url_for("registration"),
            json={
                "token_endpoint_auth_method": "private_key_jwt",
                "jwks_uri": hostile + path,
                "grant_types": ["client_credentials"],
            },
        )
        assert registered.status_code == 201, registered.text
        client_id = registered.json()["client_id"]
        auth = PrivateKeyJwt(client_id, PrivateKeyJwt.generate(client_id).key)
        form: dict[str, Any] = {"grant_type": "client_credentials"}
        auth.apply_for({}, form, issuer=idp.issuer, token_endpoint=idp.url_for("token"))
        answer = http.post(idp.url_for("token"), data=form)
        assert answer.status_code == 401, answer.text
        assert answer.json()["error"] == "invalid_client"
    assert idp.check() == []


def test_a_compressed_bomb_is_cut_off_over_httpx() -> None:
    bomb = gzip.compress(b" " * (8 * jwks_fetch.MAX_JWKS_BYTES))
    with respx.mock() as router:
        router.get("https://keys.example/jwks").respond(
            content=bomb, headers={"Content-Encoding": "gzip"}
        )
        with pytest.raises(InvalidClient, match="larger than"):
            JwksFetcher().keys("https://keys.example/jwks", error=InvalidClient)


def test_a_compressed_jwks_is_read_over_httpx() -> None:
    jwks = {"keys": [PrivateKeyJwt.generate("x").key.as_dict(private=False)]}
    with respx.mock() as router:
        router.get("https://keys.example/jwks").respond(
            content=gzip.compress(json.dumps(jwks).encode()), headers={"Content-Encoding": "gzip"}
        )
        (key,) = JwksFetcher().keys("https://keys.example/jwks", error=InvalidClient)
    assert key.kid == jwks["keys"][0]["kid"]


def test_a_slow_host_is_not_fetched_from_again_for_a_while() -> None:
    """The provider answers every request while it fetches: a host that took a
    second or more is left alone for SLOW_HOST_PENALTY seconds (known keys stay
    usable), so unknown kids and new clients cannot stall it one after another."""
    jwks = {"keys": [PrivateKeyJwt.generate("x").key.as_dict(private=False)]}
    clock = [1000.0]
    fetched: list[str] = []

    def slow_get(uri: str) -> httpx.Response:
        fetched.append(uri)
        clock[0] += jwks_fetch.SLOW_FETCH  # the answer trickled in
        return httpx.Response(200, json=jwks)

    fetcher = JwksFetcher(slow_get, clock=lambda: clock[0])
    keys = fetcher.keys("https://slow.example/a", error=InvalidClient)
    # An unknown kid would refetch: the known keys come back instead, nothing fetched.
    assert fetcher.keys("https://slow.example/a", error=InvalidClient, refresh=True) == keys
    # Another URI on the same host (a new client): refused at once, nothing fetched.
    with pytest.raises(InvalidClient, match="fetches nothing from it until then"):
        fetcher.keys("https://slow.example/b", error=InvalidClient)
    # Other hosts are not held back.
    fetcher.keys("https://other.example/a", error=InvalidClient)
    assert fetched == ["https://slow.example/a", "https://other.example/a"]
    clock[0] += jwks_fetch.SLOW_HOST_PENALTY
    fetcher.keys("https://slow.example/b", error=InvalidClient)
    assert fetched[-1] == "https://slow.example/b"


def test_a_slow_failure_counts_too_and_a_quick_one_does_not() -> None:
    clock = [0.0]
    delay = [jwks_fetch.SLOW_FETCH]

    def failing_get(uri: str) -> httpx.Response:
        clock[0] += delay[0]
        raise httpx.ConnectError("refused")

    fetcher = JwksFetcher(failing_get, clock=lambda: clock[0])
    with pytest.raises(InvalidClient, match="cannot fetch"):
        fetcher.keys("https://slow.example/jwks", error=InvalidClient)
    with pytest.raises(InvalidClient, match="until then"):
        fetcher.keys("https://slow.example/jwks", error=InvalidClient)
    delay[0] = 0.01  # a quick refusal (a test's server not started yet) is tried again
    for _ in range(2):
        with pytest.raises(InvalidClient, match="cannot fetch"):
            fetcher.keys("https://quick.example/jwks", error=InvalidClient)
