"""httpx2 in-process: the provider answers httpx2 clients as respx makes it answer httpx ones.

httpx2 is the maintained fork of httpx, a separate package (``httpx2``,
``httpcore2``) that respx does not patch. This mount sits where pytest-httpx sits
for httpx: on ``httpx2.HTTPTransport.handle_request`` and
``httpx2.AsyncHTTPTransport.handle_async_request``. A request to the issuer's
origin or to a URL given to ``protect()`` is answered by :meth:`FakeIdP.handle`;
any other request goes on to the transport method that was there before: the
real network, or a mock below it (pytest-httpx2's ``httpx2_mock`` patches
httpcore2 through respx, one layer down, and keeps answering its own URLs).

Why a transport patch of our own rather than respx through pytest-httpx2: respx
turns httpcore2 requests into httpx (not httpx2) objects and hands back
httpcore (not httpcore2) responses, so faults would raise httpx exceptions that
``except httpx2.HTTPError`` does not catch, and async delays would depend on
finding respx's frames. Here the async method is our own (a delay is awaited),
and every exception is httpx2's.

The project's own client library stays on httpx; this is for code under test.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx
import httpx2

from pytest_authmock.provider.faults import action_of, aperform, perform
from pytest_authmock.transport.client_cert_header import handle_with_client_cert_header
from pytest_authmock.transport.dispatch import called_from
from pytest_authmock.transport.routing import UnroutedRequest, owns, unrouted_message

if TYPE_CHECKING:
    from pytest_authmock.provider.idp import FakeIdP

SyncSend = Callable[[httpx2.HTTPTransport, httpx2.Request], httpx2.Response]
AsyncSend = Callable[[httpx2.AsyncHTTPTransport, httpx2.Request], Awaitable[httpx2.Response]]


def to_httpx(request: httpx2.Request) -> httpx.Request:
    """The provider's view of an httpx2 request (the body is read already)."""
    converted = httpx.Request(
        request.method,
        str(request.url),
        headers=request.headers.multi_items(),
        content=request.content,
    )
    # The read timeout decides how a planned delay ends (provider/faults.py).
    if "timeout" in request.extensions:
        converted.extensions["timeout"] = request.extensions["timeout"]
    return converted


def to_httpx2(response: httpx.Response, request: httpx2.Request) -> httpx2.Response:
    return httpx2.Response(
        response.status_code,
        headers=response.headers.multi_items(),
        content=response.read(),
        request=request,
    )


@contextmanager
def _as_httpx2(request: httpx2.Request) -> Iterator[None]:
    # The core's transports raise httpx's exceptions; httpx2 mirrors every name.
    try:
        yield
    except httpx.TransportError as error:
        raise getattr(httpx2, type(error).__name__)(str(error), request=request) from None


def _handle(idp: FakeIdP, request: httpx2.Request) -> tuple[httpx.Request, httpx.Response]:
    converted = to_httpx(request)
    return converted, handle_with_client_cert_header(idp.handle, converted)


def answer(idp: FakeIdP, request: httpx2.Request) -> httpx2.Response:
    """Answer a read httpx2 request for a synchronous client; faults sleep or raise."""
    converted, response = _handle(idp, request)
    action = action_of(response)
    if action is not None:
        with _as_httpx2(request):
            response = perform(action, converted, response)
    return to_httpx2(response, request)


async def aanswer(idp: FakeIdP, request: httpx2.Request) -> httpx2.Response:
    """The async twin of :func:`answer`: a delay is awaited, the event loop keeps running."""
    converted, response = _handle(idp, request)
    action = action_of(response)
    if action is not None:
        with _as_httpx2(request):
            response = await aperform(action, converted, response)
    return to_httpx2(response, request)


def mock_transport_answer(idp: FakeIdP, request: Any) -> Any:
    """``idp.handler`` for ``httpx2.MockTransport``: a response, or a coroutine for async clients."""
    request.read()
    # httpx2.MockTransport awaits what the handler returns for async clients.
    if called_from([httpx2.MockTransport.handle_async_request.__code__]):
        return aanswer(idp, request)
    return answer(idp, request)


def _httpcore2_mock_active() -> bool:
    """Whether a respx router patches httpcore2 (pytest-httpx2's ``httpx2_mock``)."""
    try:
        from respx.mocks import Mocker
    except ImportError:  # pragma: no cover - respx is a dependency
        return False
    mocker = Mocker.registry.get("httpcore2")
    return bool(mocker is not None and mocker.routers)


class Httpx2Mount:
    """Answers httpx2 requests to the provider's URLs in-process; see the module docs.

    ``unrouted="fail"`` refuses other requests with
    :class:`~pytest_authmock.transport.routing.UnroutedRequest`, unless an
    httpcore2 respx mock (``httpx2_mock``) is active: then they are its to answer.
    """

    def __init__(self, idp: FakeIdP, *, unrouted: str = "passthrough") -> None:
        self.idp = idp
        self.unrouted = unrouted
        self._saved: tuple[SyncSend, AsyncSend] | None = None

    def start(self) -> Httpx2Mount:
        sync_before: SyncSend = httpx2.HTTPTransport.handle_request
        async_before: AsyncSend = httpx2.AsyncHTTPTransport.handle_async_request
        idp = self.idp

        def handle_request(
            transport: httpx2.HTTPTransport, request: httpx2.Request
        ) -> httpx2.Response:
            if owns(idp, str(request.url)):
                request.read()
                return answer(idp, request)
            self._check_unrouted(request)
            return sync_before(transport, request)

        async def handle_async_request(
            transport: httpx2.AsyncHTTPTransport, request: httpx2.Request
        ) -> httpx2.Response:
            if owns(idp, str(request.url)):
                await request.aread()
                return await aanswer(idp, request)
            self._check_unrouted(request)
            return await async_before(transport, request)

        self._saved = (sync_before, async_before)
        httpx2.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign,assignment]
        httpx2.AsyncHTTPTransport.handle_async_request = handle_async_request  # type: ignore[method-assign,assignment]
        return self

    def _check_unrouted(self, request: httpx2.Request) -> None:
        if self.unrouted == "fail" and not _httpcore2_mock_active():
            raise UnroutedRequest(
                unrouted_message(request.method, str(request.url), [self.idp.issuer])
            )

    def stop(self) -> None:
        if self._saved is not None:
            sync_before, async_before = self._saved
            httpx2.HTTPTransport.handle_request = sync_before  # type: ignore[method-assign,assignment]
            httpx2.AsyncHTTPTransport.handle_async_request = async_before  # type: ignore[method-assign,assignment]
            self._saved = None

    def __enter__(self) -> Httpx2Mount:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


__all__ = ["Httpx2Mount", "aanswer", "answer", "mock_transport_answer", "to_httpx", "to_httpx2"]
