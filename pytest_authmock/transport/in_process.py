"""The in-process transport's request handler: what respx routes and ``httpx.MockTransport`` call.

It does what the sockets of the loopback server would do around the provider:

* the TLS client certificate comes from an RFC 9440 ``Client-Cert`` header
  (:mod:`.client_cert_header`), a documented simulation of mTLS;
* connection faults the provider describes (:class:`~pytest_authmock.provider.faults.FaultAction`)
  are carried out as the exceptions httpx raises over a real socket.

Sync or async? respx and ``MockTransport`` call the same handler for
``httpx.Client`` and ``httpx.AsyncClient``. A refused, dropped or timed-out
connection raises at once, which is right for both. A delay is carried by the
answer's body stream instead: httpx reads a body with ``for`` in a sync client and
``async for`` in an async one, so the stream sleeps or awaits accordingly, and
an async client's event loop is never blocked. Nothing inspects the call stack.

An adapter for another HTTP library (httpx2, requests) follows the same shape
with that library's exceptions: see :data:`HTTPX_ERRORS`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping

import httpx

from pytest_authmock.provider.faults import FAULT_EXTENSION, FaultAction, action_of
from pytest_authmock.transport.client_cert_header import handle_with_client_cert_header

__all__ = ["HTTPX_ERRORS", "ConnectionErrors", "in_process_handler"]

Handle = Callable[..., httpx.Response]


@dataclasses.dataclass(frozen=True)
class ConnectionErrors:
    """How one HTTP library reports the connection faults, to raise in its callers."""

    #: The read timed out (``timeout``, or a ``delay`` longer than the read timeout).
    timeout: Callable[[httpx.Request], Exception]
    #: The server closed the connection without an answer (``disconnect``).
    disconnect: Callable[[httpx.Request], Exception]
    #: The connection could not be made (``refuse``).
    refuse: Callable[[httpx.Request], Exception]

    def for_action(self, action: FaultAction, request: httpx.Request) -> Exception:
        make: Mapping[str, Callable[[httpx.Request], Exception]] = {
            "timeout": self.timeout,
            "disconnect": self.disconnect,
            "refuse": self.refuse,
        }
        return make[action.kind](request)


#: The exceptions and messages httpx itself raises over a real socket.
HTTPX_ERRORS = ConnectionErrors(
    timeout=lambda request: httpx.ReadTimeout("timed out", request=request),
    disconnect=lambda request: httpx.RemoteProtocolError(
        "Server disconnected without sending a response.", request=request
    ),
    refuse=lambda request: httpx.ConnectError("[Errno 111] Connection refused", request=request),
)


def in_process_handler(
    handle: Handle, errors: ConnectionErrors = HTTPX_ERRORS
) -> Callable[[httpx.Request], httpx.Response]:
    """A ``MockTransport`` handler (or respx side effect) around the provider's ``handle``."""

    def handler(request: httpx.Request) -> httpx.Response:
        return deliver(request, handle_with_client_cert_header(handle, request), errors)

    return handler


def deliver(
    request: httpx.Request, response: httpx.Response, errors: ConnectionErrors = HTTPX_ERRORS
) -> httpx.Response:
    """The answer as the client should get it: as is, raised as a connection error, or late."""
    action = action_of(response)
    if action is None:
        return response
    response.extensions.pop(FAULT_EXTENSION, None)
    if action.kind != "delay":
        raise errors.for_action(action, request)
    late = httpx.Response(
        response.status_code,
        headers=response.headers,
        stream=_LateBody(response.stream, action.seconds, request, errors),
        extensions=response.extensions,
    )
    return late


def _read_timeout(request: httpx.Request) -> float | None:
    timeouts = request.extensions.get("timeout")
    if isinstance(timeouts, Mapping):
        value = timeouts.get("read")
        if isinstance(value, (int, float)):
            return float(value)
    return None


class _LateBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that arrives ``seconds`` late: slept for by sync clients, awaited by async ones.

    A delay longer than the client's read timeout ends like on a socket: after
    the timeout, with the library's read-timeout error.
    """

    def __init__(
        self,
        body: httpx.SyncByteStream | httpx.AsyncByteStream,
        seconds: float,
        request: httpx.Request,
        errors: ConnectionErrors,
    ) -> None:
        self._body = body
        self._seconds = seconds
        self._request = request
        self._errors = errors

    def _wait(self) -> tuple[float, bool]:
        """How long to wait, and whether the read times out after it."""
        limit = _read_timeout(self._request)
        if limit is not None and self._seconds > limit:
            return limit, True
        return self._seconds, False

    def __iter__(self) -> Iterator[bytes]:
        seconds, times_out = self._wait()
        time.sleep(seconds)
        if times_out:
            raise self._errors.timeout(self._request)
        assert isinstance(self._body, httpx.SyncByteStream)  # noqa: S101 - the core's bodies are both
        yield from self._body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seconds, times_out = self._wait()
        await asyncio.sleep(seconds)
        if times_out:
            raise self._errors.timeout(self._request)
        assert isinstance(self._body, httpx.AsyncByteStream)  # noqa: S101
        async for chunk in self._body:
            yield chunk
