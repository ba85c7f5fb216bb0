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
``except httpx2.HTTPError`` does not catch. Here every exception is httpx2's,
carried out by :mod:`.in_process` like the httpx transport's: a delay rides on
the answer's body, slept for by sync clients and awaited by async ones.

The project's own client library stays on httpx; this is for code under test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING

import httpx
import httpx2

from pytest_authmock.transport.client_cert_header import handle_with_client_cert_header
from pytest_authmock.transport.in_process import Handle, deliver, httpx_like_errors
from pytest_authmock.transport.routing import (
    ProviderURLs,
    UnroutedRequest,
    check_unrouted,
    unrouted_message,
)

if TYPE_CHECKING:
    from pytest_authmock.provider.idp import FakeIdP

SyncSend = Callable[[httpx2.HTTPTransport, httpx2.Request], httpx2.Response]
AsyncSend = Callable[[httpx2.AsyncHTTPTransport, httpx2.Request], Awaitable[httpx2.Response]]

#: The exceptions httpx2 raises over a real socket (httpx2 mirrors httpx's names).
HTTPX2_ERRORS = httpx_like_errors(httpx2)
#: The started mounts, bottom first: each patch calls the one started before it.
_started: list[Httpx2Mount] = []


def to_httpx(request: httpx2.Request) -> httpx.Request:
    """The provider's view of an httpx2 request (the body is read already)."""
    return httpx.Request(
        request.method,
        str(request.url),
        headers=request.headers.multi_items(),
        content=request.content,
    )


class _Body(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """An httpx answer's body as an httpx2 stream, read the way the client reads it.

    A late body (a planned delay) sleeps when a sync client iterates it and
    awaits when an async client does, so the stream is handed on unread.
    """

    def __init__(self, body: httpx.SyncByteStream | httpx.AsyncByteStream) -> None:
        self._body = body

    def __iter__(self) -> Iterator[bytes]:
        assert isinstance(self._body, httpx.SyncByteStream)  # noqa: S101 - the core's bodies are both
        yield from self._body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        assert isinstance(self._body, httpx.AsyncByteStream)  # noqa: S101
        async for chunk in self._body:
            yield chunk


def answer(handle: Handle, request: httpx2.Request) -> httpx2.Response:
    """The provider's answer to a read httpx2 request, faults carried out with httpx2's exceptions."""
    response = handle_with_client_cert_header(handle, to_httpx(request))
    response = deliver(request, response, HTTPX2_ERRORS)
    return httpx2.Response(
        response.status_code,
        headers=response.headers.multi_items(),
        stream=_Body(response.stream),
        request=request,
    )


def _httpcore2_mock_active() -> bool:
    """Whether a respx router patches httpcore2 (pytest-httpx2's ``httpx2_mock``)."""
    from respx.mocks import Mocker

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
        self.unrouted = check_unrouted(unrouted)
        self.urls = ProviderURLs(idp)
        self._saved: tuple[SyncSend, AsyncSend] | None = None

    def start(self) -> Httpx2Mount:
        sync_before: SyncSend = httpx2.HTTPTransport.handle_request
        async_before: AsyncSend = httpx2.AsyncHTTPTransport.handle_async_request
        handle = self.idp.handle
        urls = self.urls

        def handle_request(
            transport: httpx2.HTTPTransport, request: httpx2.Request
        ) -> httpx2.Response:
            if request.url in urls:
                request.read()
                return answer(handle, request)
            self._check_unrouted(request)
            return sync_before(transport, request)

        async def handle_async_request(
            transport: httpx2.AsyncHTTPTransport, request: httpx2.Request
        ) -> httpx2.Response:
            if request.url in urls:
                await request.aread()
                return answer(handle, request)
            self._check_unrouted(request)
            return await async_before(transport, request)

        self._saved = (sync_before, async_before)
        _started.append(self)
        httpx2.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign,assignment]
        httpx2.AsyncHTTPTransport.handle_async_request = handle_async_request  # type: ignore[method-assign,assignment]
        return self

    def _check_unrouted(self, request: httpx2.Request) -> None:
        if self.unrouted != "fail" or _httpcore2_mock_active():
            return
        if any(request.url in mount.urls for mount in _started):
            return  # another provider's, a mount further down answers it
        issuers = [mount.urls.issuer for mount in _started]
        raise UnroutedRequest(unrouted_message(request.method, str(request.url), issuers))

    def stop(self) -> None:
        if self._saved is not None:
            sync_before, async_before = self._saved
            httpx2.HTTPTransport.handle_request = sync_before  # type: ignore[method-assign,assignment]
            httpx2.AsyncHTTPTransport.handle_async_request = async_before  # type: ignore[method-assign,assignment]
            self._saved = None
            _started.remove(self)

    def __enter__(self) -> Httpx2Mount:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


__all__ = ["HTTPX2_ERRORS", "Httpx2Mount", "answer", "to_httpx"]
