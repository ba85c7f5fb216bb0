"""HTTP/1.1 message framing for the loopback server (RFC 9112), on h11.

h11 reads request heads and bodies and writes responses; it refuses most
malformed input by itself. This module adds the few checks h11 leaves to the
server, each of which closes a request-smuggling gap: two readers of the same
bytes (a proxy in front, this server) must never disagree on where a request
ends. So every ambiguity is refused, and the connection closed after it:

* ``Content-Length`` and ``Transfer-Encoding`` together (RFC 9112 §6.1), and
  ``Transfer-Encoding`` in an HTTP/1.0 request (same section);
* a bare LF as a line end, in the head or the chunked framing (RFC 9112 §2.2
  allows accepting it; a front end that does not would frame differently);
* obs-fold (RFC 9112 §5.2: reject or replace; replacing changes what a proxy saw);
* a missing, repeated or malformed ``Host`` in HTTP/1.1 (RFC 9112 §3.2);
* chunk lines and trailer sections over :data:`MAX_CHUNK_FRAMING` bytes;
* heads over :data:`MAX_HEAD_BYTES`, bodies over :data:`MAX_BODY_BYTES`.

h11 itself refuses bad chunk sizes (``0x1d``, ``+1d``), a missing CRLF after
chunk data, NUL, CR and LF inside field values (RFC 9110 §5.5), conflicting or
invalid ``Content-Length`` values and unknown transfer codings.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus

import h11

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_CHUNK_FRAMING",
    "MAX_HEADER_FIELDS",
    "MAX_HEAD_BYTES",
    "Refusal",
    "Request",
    "RequestReader",
    "refusal_response",
]

#: Longest request head (request line and fields); longer gets 431 (414 when the
#: request line alone is longer), as from any real server.
MAX_HEAD_BYTES = 65536
MAX_HEADER_FIELDS = 128
#: No OAuth request comes near this; larger bodies get 413.
MAX_BODY_BYTES = 1024 * 1024
#: Longest chunk line (size and extensions) or trailer section of a chunked body.
MAX_CHUNK_FRAMING = 4096
METHODS = frozenset({b"GET", b"HEAD", b"POST", b"PUT", b"PATCH", b"DELETE", b"OPTIONS"})
_RECV_BYTES = 65536

# RFC 9112 §3.2: Host = uri-host [ ":" port ], uri-host from RFC 3986 §3.2.2.
_HOST = re.compile(rb"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]*)(?::[0-9]*)?")
# A bytes repr inside an h11 message (the offending line): never echoed, it may
# hold a credential.
_QUOTED_INPUT = re.compile(r":?\s*(?:bytearray\()?b['\"].*", re.DOTALL)
# Hop-by-hop fields (RFC 9110 §7.6.1) and framing fields are the server's job.
_SKIP = frozenset(
    {b"connection", b"keep-alive", b"transfer-encoding", b"content-length", b"date", b"server"}
)
_SERVER = (b"Server", b"pytest-authmock")


class Refusal(Exception):
    """A request that cannot be served; answer ``status`` and close the connection."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Request:
    method: str
    target: str
    #: Header fields as sent (names in their case, order and repeats kept).
    headers: list[tuple[bytes, bytes]]
    body: bytes


class RequestReader:
    """One connection's HTTP/1.1 state: reads requests, renders their responses.

    ``recv`` and ``send`` are the socket's (``sock.recv``, ``sock.sendall``);
    ``send`` is only used for the interim ``100 Continue``.
    """

    def __init__(self, recv: Callable[[int], bytes], send: Callable[[bytes], object]) -> None:
        self._recv = recv
        self._send = send
        self._h11 = _connection()
        self._head_request = False

    @property
    def must_close(self) -> bool:
        """Whether the connection ends after the response just rendered."""
        return self._h11.our_state is not h11.DONE or self._h11.their_state is not h11.DONE

    def next_request(self) -> Request | None:
        """The next whole request; ``None`` when the client closed between requests.

        Raises :class:`Refusal` for anything this server will not frame.
        """
        if self._h11.our_state is h11.DONE:
            self._h11.start_next_cycle()
        event = self._read_head()
        if event is None:
            return None
        body = self._read_body(event)
        self._head_request = event.method == b"HEAD"
        return Request(
            event.method.decode("ascii"),
            event.target.decode("ascii"),
            event.headers.raw_items(),
            body,
        )

    def respond(
        self, status: int, reason: str, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> bytes:
        """The response to the last request, as bytes for one ``send``.

        Raises ``h11.LocalProtocolError`` if a header field is not valid HTTP;
        the connection must then be closed after :func:`refusal_response`.
        """
        fields = [_SERVER, _date_field()]
        fields.extend(field for field in headers if field[0].lower() not in _SKIP)
        # RFC 9110 §8.6: no Content-Length in a 204; a 304 describes another response.
        if status not in (204, 304):
            fields.append((b"Content-Length", b"%d" % len(body)))
        conn = self._h11
        out = conn.send(
            h11.Response(status_code=status, headers=fields, reason=reason or _phrase(status))
        )
        # RFC 9110 §9.3.2: HEAD gets the fields GET would, without the content.
        if body and not self._head_request and status not in (204, 304):
            out += conn.send(h11.Data(data=body))
        out += conn.send(h11.EndOfMessage())
        return out

    # -- reading ---------------------------------------------------------------------

    def _feed(self) -> None:
        self._h11.receive_data(self._recv(_RECV_BYTES))  # b"": the peer closed

    def _read_head(self) -> h11.Request | None:
        conn = self._h11
        stripped = False
        while True:
            before = conn.trailing_data[0]
            if not stripped and before[:2] == b"\r\n":
                # RFC 9112 §2.2: ignore at least one empty line before a request line
                # (some clients send CRLF after a POST body).
                conn = self._h11 = _connection(before[2:])
                stripped = True
                continue
            if len(before) > MAX_HEAD_BYTES:
                _check_head_size(before)
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise _refusal(exc, before) from None
            if event is h11.NEED_DATA:
                self._feed()
                continue
            if isinstance(event, h11.ConnectionClosed):
                return None
            if not isinstance(event, h11.Request):  # pragma: no cover - h11's contract
                raise Refusal(400, "malformed request")
            _check_head(before[: len(before) - len(conn.trailing_data[0])])
            _check_request(event)
            return event

    def _read_body(self, request: h11.Request) -> bytes:
        conn = self._h11
        chunked = False
        for name, value in request.headers:
            if name == b"content-length" and int(value) > MAX_BODY_BYTES:
                raise Refusal(413, f"request body over {MAX_BODY_BYTES} bytes")
            if name == b"transfer-encoding":
                chunked = True
        parts: list[bytes] = []
        size = 0
        # Chunked framing consumed since the last data: chunk lines, the CRLF
        # after data, the last chunk and the trailer section.
        framing = b""
        while True:
            before = conn.trailing_data[0] if chunked else b""
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise _refusal(exc, before) from None
            if chunked:
                after = conn.trailing_data[0]
                consumed = before[: len(before) - len(after)]
                if isinstance(event, h11.Data):  # the data comes last
                    consumed = consumed[: len(consumed) - len(event.data)]
                framing += consumed
                # Waiting for more: what is pending is framing too (h11 hands out
                # chunk data as soon as it has any).
                _check_chunk_framing(framing + after if event is h11.NEED_DATA else framing)
            if event is h11.NEED_DATA:
                if conn.they_are_waiting_for_100_continue:
                    # RFC 9110 §10.1.1: the client waits for this before sending.
                    self._send(
                        conn.send(
                            h11.InformationalResponse(
                                status_code=100, headers=[], reason=b"Continue"
                            )
                        )
                    )
                self._feed()
            elif isinstance(event, h11.Data):
                framing = b""
                size += len(event.data)
                if size > MAX_BODY_BYTES:
                    raise Refusal(413, f"request body over {MAX_BODY_BYTES} bytes")
                parts.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return b"".join(parts)
            else:  # pragma: no cover - h11's contract
                raise Refusal(400, "malformed request body")


def _connection(data: bytes = b"") -> h11.Connection:
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
    if data:
        conn.receive_data(data)
    return conn


def _check_head_size(pending: bytes) -> None:
    """Refuse a head that does not end within :data:`MAX_HEAD_BYTES`, before h11
    reads it (h11 only notices once it is waiting for more)."""
    window = pending[: MAX_HEAD_BYTES + 4]
    if b"\r\n\r\n" in window or b"\n\n" in window:
        return
    if b"\n" not in window:
        raise Refusal(414, "request line too long")
    raise Refusal(431, f"request head over {MAX_HEAD_BYTES} bytes")


def _check_head(head: bytes) -> None:
    if head.count(b"\n") != head.count(b"\r\n"):
        raise Refusal(400, "a line of the request head ends in a bare LF, not CRLF")
    if b"\r\n " in head or b"\r\n\t" in head:
        raise Refusal(400, "obsolete line folding in a header field")


def _check_request(event: h11.Request) -> None:
    if event.http_version not in (b"1.1", b"1.0"):
        raise Refusal(505, "only HTTP/1.1 and HTTP/1.0 are served")
    if event.method not in METHODS:
        raise Refusal(501, f"method {event.method[:20].decode('ascii')!r} is not implemented")
    headers = event.headers
    if len(headers) > MAX_HEADER_FIELDS:
        raise Refusal(431, f"more than {MAX_HEADER_FIELDS} header fields")
    length = encoding = False
    for name, value in headers:
        if name == b"host" and not _HOST.fullmatch(value):
            raise Refusal(400, "invalid Host field")
        length = length or name == b"content-length"
        encoding = encoding or name == b"transfer-encoding"
    if encoding and length:
        raise Refusal(400, "both Content-Length and Transfer-Encoding")
    if encoding and event.http_version == b"1.0":
        raise Refusal(400, "Transfer-Encoding in an HTTP/1.0 request")


def _check_chunk_framing(framing: bytes) -> None:
    if len(framing) > MAX_CHUNK_FRAMING:
        raise Refusal(400, f"chunk line or trailer section over {MAX_CHUNK_FRAMING} bytes")
    if framing.count(b"\n") != framing.count(b"\r\n"):
        raise Refusal(400, "a line of the chunked body ends in a bare LF, not CRLF")


def _refusal(exc: h11.RemoteProtocolError, pending: bytes) -> Refusal:
    status = exc.error_status_hint
    if status == 431 and b"\n" not in pending:
        return Refusal(414, "request line too long")
    message = _QUOTED_INPUT.sub("", str(exc)) or "malformed request"
    return Refusal(status, message)


def refusal_response(status: int, message: str) -> bytes:
    """A plain-text answer that closes the connection, outside h11's state.

    Used where h11 cannot write (the request was refused before or during its
    head, or the handler's response was invalid); the connection ends after it.
    """
    body = (message + "\n").encode("utf-8")
    return b"".join(
        (
            b"HTTP/1.1 %d %s\r\n" % (status, _phrase(status).encode("ascii")),
            b"Server: pytest-authmock\r\n",
            b"Date: " + _date_field()[1] + b"\r\n",
            b"Content-Type: text/plain; charset=utf-8\r\n",
            b"Content-Length: %d\r\n" % len(body),
            b"Connection: close\r\n\r\n",
            body,
        )
    )


_date_cache: tuple[int, tuple[bytes, bytes]] = (0, (b"Date", b""))


def _date_field() -> tuple[bytes, bytes]:
    # RFC 9110 §6.6.1: an origin server with a clock sends Date. Its resolution
    # is a second, so it is formatted once per second, not per response.
    global _date_cache
    now = int(time.time())
    second, field = _date_cache
    if second != now:
        field = (b"Date", formatdate(now, usegmt=True).encode("ascii"))
        _date_cache = (now, field)
    return field


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
