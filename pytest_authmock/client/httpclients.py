"""The HTTP clients an :class:`~pytest_authmock.client.oauth.OAuthClient` talks through.

Who owns what: a client passed in is used and never closed here. Otherwise one
``httpx.Client`` is made on first use, shared by every thread (it is
thread-safe) and closed by :meth:`HttpClients.close`; and one
``httpx.AsyncClient`` per event loop, because an async client's connections
belong to the loop that opened them. It is reused by every async call on that
loop and closed by :meth:`HttpClients.aclose`, or, failing that, when the loop
shuts down (``asyncio.run`` does, on its way out).
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import threading
import weakref
from collections.abc import AsyncGenerator

import httpx

__all__ = ["HttpClients", "default_ssl_context", "system_ssl_context"]


def system_ssl_context() -> ssl.SSLContext:
    """A new context trusting the system's and certifi's roots (as httpx does)."""
    context = ssl.create_default_context()
    try:
        import certifi

        context.load_verify_locations(certifi.where())
    except ImportError:  # pragma: no cover - httpx depends on certifi
        pass
    return context


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """:func:`system_ssl_context`, built once per process.

    Loading a CA bundle takes tens of milliseconds; httpx would do it for every
    client made with ``verify=True``, and a CLI makes a few per run. A context
    is safe to share between clients and threads once configured.
    """
    return system_ssl_context()


async def _close_when_done(http: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    """Closes ``http`` when it is closed itself: by ``aclose()``, or by its loop.

    An event loop closes the async generators started in it when it shuts down
    (``loop.shutdown_asyncgens()``, which ``asyncio.run`` calls), still inside
    the loop, where the client's connections can be closed properly. It is the
    one hook asyncio offers for "this loop is ending".
    """
    try:
        yield
    finally:
        await http.aclose()


class _LoopClient:
    __slots__ = ("closer", "http")

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.closer = _close_when_done(http)


class HttpClients:
    """The sync client and the per-loop async clients of one OAuth client."""

    def __init__(
        self,
        http_client: httpx.Client | None,
        async_http_client: httpx.AsyncClient | None,
        verify: ssl.SSLContext | bool,
        timeout: float,
    ) -> None:
        self._http = http_client
        self._owns_http = http_client is None
        self._async_http = async_http_client
        self._verify = verify
        self._timeout = timeout
        self._lock = threading.Lock()
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClient] = (
            weakref.WeakKeyDictionary()
        )

    def _verify_arg(self) -> ssl.SSLContext | bool:
        if self._verify is True:
            self._verify = default_ssl_context()
        return self._verify

    def sync(self) -> httpx.Client:
        if self._http is None:
            with self._lock:  # two threads must not each make (and leak) one
                if self._http is None:
                    self._http = httpx.Client(verify=self._verify_arg(), timeout=self._timeout)
        return self._http

    async def for_loop(self) -> httpx.AsyncClient:
        if self._async_http is not None:
            return self._async_http
        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._loops.get(loop)
            if entry is not None and not entry.http.is_closed:
                return entry.http
            http = httpx.AsyncClient(verify=self._verify_arg(), timeout=self._timeout)
            entry = self._loops[loop] = _LoopClient(http)
        await entry.closer.asend(None)  # started in this loop, so the loop will close it
        return http

    def close(self) -> None:
        if self._owns_http and self._http is not None:
            self._http.close()
            self._http = None

    async def aclose(self) -> None:
        with self._lock:
            entry = self._loops.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await entry.closer.aclose()
