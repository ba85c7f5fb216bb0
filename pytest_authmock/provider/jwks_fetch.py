"""Fetching JWKS documents others publish: a client's ``jwks_uri``, a trusted issuer's.

Any client may register a ``jwks_uri`` (registration is open by default), so the
fetch is steered by whoever registers: it is bounded in time
(:data:`FETCH_TIMEOUT` in all, however slowly the answer trickles in, headers
included), in size (:data:`MAX_JWKS_BYTES`, after decompression), follows no
redirect, fetches only ``http``/``https``, and parses with the bounded JSON
reader. Every failure is the caller's OAuth error, never a 5xx.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

import httpx
from joserfc.jwk import Key

from pytest_authmock.provider.errors import InvalidRequest
from pytest_authmock.provider.jwtcheck import ErrorType, import_jwks
from pytest_authmock.provider.limits import load_json

#: Seconds a JWKS fetch may take in all (connecting, and reading every byte):
#: a test's own server answers at once, and the provider waits while it fetches.
FETCH_TIMEOUT = 5.0
#: Larger JWKS documents are refused: a real one with a few keys is a few kB.
MAX_JWKS_BYTES = 256 * 1024
#: JWKS URIs remembered at once; the oldest is forgotten (and fetched again if
#: needed): any client may register a jwks_uri of its choice.
MAX_CACHED_URIS = 256
#: A fetch that takes this long (seconds; a test's own server answers in
#: milliseconds) puts its host in the penalty box for :data:`SLOW_HOST_PENALTY`
#: seconds: the provider answers every request while it fetches, so a host that
#: trickles its answer (anyone may register its jwks_uri) must not stall it again
#: and again, one unknown ``kid`` or one new client at a time.
SLOW_FETCH = 1.0
SLOW_HOST_PENALTY = 10.0


class FetchError(Exception):
    """A JWKS fetch failed; the message says how, for the error answered."""


class JwksFetcher:
    """JWKS documents fetched by URL, cached per provider (a reset forgets them).

    A fetch is bounded in time (:data:`FETCH_TIMEOUT`) and size
    (:data:`MAX_JWKS_BYTES`), follows no redirect, and a document that is not a
    JWKS is refused; every failure is the caller's OAuth error, never a 5xx.
    """

    def __init__(
        self,
        get: Callable[[str], httpx.Response] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._get = get or _http_get
        self._clock = clock
        self._cache: dict[str, list[Key]] = {}
        #: Hosts whose last fetch was slow, and until when they are not fetched from.
        self._slow: dict[str, float] = {}

    def keys(self, uri: str, *, error: ErrorType, refresh: bool = False) -> list[Key]:
        if not refresh and uri in self._cache:
            return self._cache[uri]
        host = _host(uri)
        now = self._clock()
        if self._slow.get(host, now) > now:
            if uri in self._cache:
                return self._cache[uri]  # the keys already known; an unknown kid stays unknown
            raise error(
                f"the JWKS host {host} took {SLOW_FETCH:g} s or more to answer less than "
                f"{SLOW_HOST_PENALTY:g} s ago; this provider fetches nothing from it until then"
            )
        try:
            response = self._get(uri)
        except (httpx.HTTPError, httpx.InvalidURL, FetchError) as exc:
            raise error(f"cannot fetch the JWKS at {uri}: {type(exc).__name__}: {exc}") from None
        finally:
            self._note_duration(host, now)
        if response.is_redirect:
            raise error(
                f"the JWKS at {uri} answered HTTP {response.status_code}, a redirect; "
                "this provider does not follow redirects for keys: register the final URL"
            )
        if response.status_code != 200:
            raise error(f"the JWKS at {uri} answered HTTP {response.status_code}")
        what = f"the document at {uri}"
        try:
            keys = import_jwks(load_json(response.content, what=what), what=what)
        except InvalidRequest as exc:
            raise error(exc.description) from None
        except ValueError as exc:
            raise error(str(exc)) from None
        self._cache.pop(uri, None)
        if len(self._cache) >= MAX_CACHED_URIS:
            del self._cache[next(iter(self._cache))]
        self._cache[uri] = keys
        return keys

    def _note_duration(self, host: str, began: float) -> None:
        now = self._clock()
        if now - began < SLOW_FETCH:
            return
        self._slow.pop(host, None)
        if len(self._slow) >= MAX_CACHED_URIS:
            del self._slow[next(iter(self._slow))]
        self._slow[host] = now + SLOW_HOST_PENALTY


def _http_get(uri: str) -> httpx.Response:
    scheme = uri.partition(":")[0].lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"only http and https URLs are fetched, not {scheme}:")
    fetch = _socket_get if _is_loopback(uri) else _httpx_get
    opened: list[socket.socket] = []
    outcome: list[httpx.Response | BaseException] = []

    def run() -> None:
        try:
            outcome.append(fetch(uri, opened))
        except BaseException as exc:  # handed to the waiting thread as it is
            outcome.append(exc)

    # Socket timeouts bound each receive, not the whole answer: a server that
    # sends its headers a byte every few seconds would hold the provider for
    # hours. The fetch runs aside; at the deadline its socket is shut down.
    worker = threading.Thread(target=run, name="authmock-jwks-fetch", daemon=True)
    worker.start()
    worker.join(FETCH_TIMEOUT)
    # Decided before the shutdown, which ends a late fetch with a truncated answer.
    late = worker.is_alive()
    for sock in opened:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    if late or not outcome:
        raise FetchError(f"no complete answer within {FETCH_TIMEOUT:g} s")
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def _httpx_get(uri: str, opened: list[socket.socket]) -> httpx.Response:
    # httpx, so that a test's in-process hosts (respx routes, other in-process
    # providers) answer as they answer the test's own clients. Its sockets are
    # not reachable to shut down: a fetch past the deadline is abandoned, and
    # ends at its next receive timeout.
    deadline = time.monotonic() + FETCH_TIMEOUT
    with (
        httpx.Client(timeout=FETCH_TIMEOUT, follow_redirects=False) as http,
        http.stream("GET", uri, headers={"Accept": "application/json"}) as answer,
    ):
        # Decoded chunk by chunk, so the size bound holds for a compressed body too.
        body = _bounded(answer.iter_bytes(), deadline)
        location = answer.headers.get("location")
        headers = {"Location": location} if location is not None else None
        return httpx.Response(answer.status_code, headers=headers, content=body)


def _bounded(chunks: Iterable[bytes], deadline: float) -> bytes:
    """The body, or :class:`FetchError` once it passes the size or the time allowed."""
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > MAX_JWKS_BYTES:
            raise FetchError(f"the document is larger than {MAX_JWKS_BYTES} bytes")
        if time.monotonic() > deadline:
            raise FetchError(f"no complete answer within {FETCH_TIMEOUT:g} s")
    return bytes(body)


def _host(uri: str) -> str:
    """The host (and port) a fetch of ``uri`` goes to, or the URI if it has none."""
    try:
        return urllib.parse.urlsplit(uri).netloc or uri
    except ValueError:  # e.g. an unclosed IPv6 bracket: the fetch refuses it anyway
        return uri


def _is_loopback(uri: str) -> bool:
    host = httpx.URL(uri).host
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        # The 3xx reaches the caller as it is: a redirect could lead anywhere.
        return None


def _socket_get(uri: str, opened: list[socket.socket]) -> httpx.Response:
    """GET over a real socket, past any httpx mock: a loopback URL is a real server.

    The in-process transport mocks httpx itself, and may refuse what it does
    not route; a document the test serves on 127.0.0.1 must still be reachable.
    Each socket opened is put in ``opened``, for the deadline to shut down.
    """

    class Connection(http.client.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            opened.append(self.sock)

    class Handler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Connection, req)

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects(), Handler)
    request = urllib.request.Request(uri, headers={"Accept": "application/json"})  # noqa: S310
    deadline = time.monotonic() + FETCH_TIMEOUT
    try:
        with opener.open(request, timeout=FETCH_TIMEOUT) as answer:
            # read1: one receive at a time, so the deadline is checked as bytes trickle in.
            chunks = iter(lambda: answer.read1(64 * 1024), b"")
            return httpx.Response(answer.status, content=_bounded(chunks, deadline))
    except urllib.error.HTTPError as exc:
        return httpx.Response(exc.code, headers=dict(exc.headers or {}), content=b"")
    except (OSError, ValueError, http.client.HTTPException) as exc:
        raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from None
