"""The in-process transport's request handler: what respx routes and ``httpx.MockTransport`` call.

It does what the sockets of the loopback server would do around the provider:

* the TLS client certificate comes from an RFC 9440 ``Client-Cert`` header
  (:mod:`.client_cert_header`), a documented simulation of mTLS;
* connection faults the provider describes (:class:`~pytest_authmock.provider.faults.FaultAction`)
  are carried out as the exceptions the caller's HTTP library raises over a real socket.

Sync or async? respx, ``MockTransport`` and pytest-httpx call the same handler
for ``httpx.Client`` and ``httpx.AsyncClient``. A refused, dropped or timed-out
connection raises at once, which is right for both. A delay is carried by the
answer's body stream instead: httpx reads a body with ``for`` in a sync client and
``async for`` in an async one, so the stream sleeps or awaits accordingly, and
an async client's event loop is never blocked. Nothing inspects the call stack.

The adapters for other HTTP libraries (httpx2, requests) follow the same shape
with that library's request type and exceptions: a :class:`ConnectionErrors`
of their own, passed to :func:`deliver`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from types import ModuleType
from typing import Any, Generic, TypeVar

import httpx

from pytest_authmock.provider.faults import FAULT_EXTENSION, FaultAction, action_of
from pytest_authmock.transport.client_cert_header import handle_with_client_cert_header

__all__ = [
    "HTTPX_ERRORS",
    "ConnectionErrors",
    "deliver",
    "httpx_like_errors",
    "in_process_handler",
    "mock_transport_handler",
]

Handle = Callable[..., httpx.Response]
#: The calling library's request: ``httpx.Request``, ``httpx2.Request``, a requests ``PreparedRequest``.
R = TypeVar("R")


@dataclasses.dataclass(frozen=True)
class ConnectionErrors(Generic[R]):
    """How one HTTP library reports the connection faults, to raise in its callers."""

    #: The read timed out (``timeout``, or a ``delay`` longer than the read timeout).
    timeout: Callable[[R], Exception]
    #: The server closed the connection without an answer (``disconnect``).
    disconnect: Callable[[R], Exception]
    #: The connection could not be made (``refuse``).
    refuse: Callable[[R], Exception]
    #: The read timeout the caller set on the request, in seconds (``None``: none).
    read_timeout: Callable[[R], float | None]

    def for_action(self, action: FaultAction, request: R) -> Exception:
        make: Mapping[str, Callable[[R], Exception]] = {
            "timeout": self.timeout,
            "disconnect": self.disconnect,
            "refuse": self.refuse,
        }
        return make[action.kind](request)


def _extension_read_timeout(request: Any) -> float | None:
    # httpx and httpx2 carry the client's timeouts in the request's extensions.
    timeouts = request.extensions.get("timeout")
    if isinstance(timeouts, Mapping):
        value = timeouts.get("read")
        if isinstance(value, (int, float)):
            return float(value)
    return None


def httpx_like_errors(library: ModuleType) -> ConnectionErrors[Any]:
    """The exceptions and messages httpx (or its fork httpx2, same names) raises over a socket."""
    return ConnectionErrors(
        timeout=lambda request: library.ReadTimeout("timed out", request=request),
        disconnect=lambda request: library.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        ),
        refuse=lambda request: library.ConnectError(
            "[Errno 111] Connection refused", request=request
        ),
        read_timeout=_extension_read_timeout,
    )


HTTPX_ERRORS: ConnectionErrors[httpx.Request] = httpx_like_errors(httpx)


def in_process_handler(handle: Handle) -> Callable[[httpx.Request], httpx.Response]:
    """A ``MockTransport`` handler (or respx side effect, pytest-httpx callback) around ``handle``."""

    def handler(request: httpx.Request) -> httpx.Response:
        return deliver(request, handle_with_client_cert_header(handle, request), HTTPX_ERRORS)

    return handler


def mock_transport_handler(handle: Handle) -> Callable[[Any], Any]:
    """``idp.handler``: for ``httpx.MockTransport``, and for httpx2's ``MockTransport`` too."""
    httpx_handler = in_process_handler(handle)

    def handler(request: Any) -> Any:
        if isinstance(request, httpx.Request):
            return httpx_handler(request)
        # Another library's request: httpx2's, the one other MockTransport there is.
        from pytest_authmock.transport.httpx2_mount import answer

        return answer(handle, request)

    return handler


def deliver(request: R, response: httpx.Response, errors: ConnectionErrors[R]) -> httpx.Response:
    """The answer as the client should get it: as is, raised as a connection error, or late.

    ``request`` is the caller's own (it goes into the exceptions raised); the late
    body sleeps when iterated and awaits when async-iterated.
    """
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


class _LateBody(httpx.SyncByteStream, httpx.AsyncByteStream, Generic[R]):
    """A body that arrives ``seconds`` late: slept for by sync clients, awaited by async ones.

    A delay longer than the client's read timeout ends like on a socket: after
    the timeout, with the library's read-timeout error.
    """

    def __init__(
        self,
        body: httpx.SyncByteStream | httpx.AsyncByteStream,
        seconds: float,
        request: R,
        errors: ConnectionErrors[R],
    ) -> None:
        self._body = body
        self._seconds = seconds
        self._request = request
        self._errors = errors

    def _wait(self) -> tuple[float, bool]:
        """How long to wait, and whether the read times out after it."""
        limit = self._errors.read_timeout(self._request)
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
