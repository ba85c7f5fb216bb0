"""HTTP/1.1 requests for the loopback server (RFC 9112), read by h11.

Each request is read by a fresh h11 connection fed with what the previous one
left unread (pipelined bytes), then checked by :mod:`.framing_checks` for what
h11 leaves to the server. Anything ambiguous raises :class:`Refusal`; the
connection answers it and closes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import h11

from pytest_authmock.transport.framing_checks import (
    MAX_BODY_BYTES,
    MAX_HEAD_BYTES,
    Refusal,
    check_chunk_framing,
    check_head,
    check_head_limits,
    check_request,
    refusal_for,
)
from pytest_authmock.transport.responses import render_response

__all__ = ["MAX_BODY_BYTES", "Refusal", "Request", "RequestReader"]

_RECV_BYTES = 65536
_CONTINUE = h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue")


@dataclass(frozen=True)
class _Head:
    """What the server needs of a request head that h11 and the checks accepted."""

    method: str
    target: str
    headers: tuple[tuple[bytes, bytes], ...]
    #: Length of the body; ``None`` for chunked.
    length: int | None
    #: Whether the connection closes after the response.
    close: bool


# Heads h11 and the checks accepted, by their exact bytes. A keep-alive client
# repeats its head (a token request with the same credentials, discovery, JWKS,
# polling), and reading a head costs more than the rest of the server's work on
# a request; the verdict depends on nothing but the bytes, so a repeat is not
# read twice. Only heads framed by Content-Length (or without a body) and
# without Expect are kept; a refused head never is.
_ACCEPTED: dict[bytes, _Head] = {}
_REMEMBERED_HEADS = 256
_REMEMBERED_HEAD_BYTES = 8192


@dataclass
class Request:
    method: str
    target: str
    #: Header fields as sent (names in their case, order and repeats kept).
    headers: list[tuple[bytes, bytes]]
    body: bytes


class RequestReader:
    """One connection's HTTP/1.1 stream: reads requests, renders their responses.

    ``recv`` and ``send`` are the socket's (``sock.recv``, ``sock.sendall``);
    ``send`` is only used for the interim ``100 Continue``.
    """

    def __init__(self, recv: Callable[[int], bytes], send: Callable[[bytes], object]) -> None:
        self._recv = recv
        self._send = send
        self._unread = b""
        self._head_only = False
        #: Whether the connection ends after the response to the last request.
        self.must_close = False

    def next_request(self) -> Request | None:
        """The next whole request; ``None`` when the client closed between requests.

        Raises :class:`Refusal` for anything this server will not frame.
        """
        data = self._unread
        stripped = False
        while True:
            if data[:2] == b"\r\n" and not stripped:
                # RFC 9112 §2.2: ignore at least one empty line before a request
                # line (some clients send CRLF after a POST body).
                data, stripped = data[2:], True
            if data:
                break
            data = self._recv(_RECV_BYTES)
            if not data:  # the client closed between requests
                return None
        end = data.find(b"\r\n\r\n")
        remembered = 0 <= end <= _REMEMBERED_HEAD_BYTES - 4
        head = _ACCEPTED.get(data[: end + 4]) if remembered else None
        if head is not None and head.length is not None:  # never chunked: see _ACCEPTED
            body = self._read_sized(data[end + 4 :], head.length)
        else:
            head, body = self._read(data)
        self._head_only = head.method == "HEAD"
        self.must_close = head.close
        return Request(head.method, head.target, list(head.headers), body)

    def respond(
        self, status: int, reason: str, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> bytes:
        """The response to the last request, as bytes for one ``send``.

        Raises :class:`~.responses.InvalidResponse` when a field would break the framing.
        """
        return render_response(
            status, reason, headers, body, head_only=self._head_only, close=self.must_close
        )

    # -- reading ---------------------------------------------------------------------

    def _next_event(self, conn: h11.Connection, pending: bytes | bytearray) -> object:
        try:
            return conn.next_event()
        except h11.RemoteProtocolError as exc:
            raise refusal_for(exc, pending) from None

    def _read(self, data: bytes) -> tuple[_Head, bytes]:
        """Read a request with h11 from ``data`` on; remember its head if it may recur."""
        conn = _connection(data)
        event, raw_head = self._read_head(conn, data)
        headers = event.headers.raw_items()
        length, close = check_request(event, headers)
        head = _Head(
            event.method.decode("ascii"),
            event.target.decode("ascii"),
            tuple(headers),
            length,
            close,
        )
        if length is None:
            body = self._read_chunked(conn)
            self._unread = conn.trailing_data[0]
            return head, body
        expects_continue = conn.they_are_waiting_for_100_continue
        if expects_continue and len(conn.trailing_data[0]) < length:
            # RFC 9110 §10.1.1: the client waits for this before sending the body.
            self._send(conn.send(_CONTINUE))
        body = self._read_sized(conn.trailing_data[0], length)
        if raw_head is not None and not expects_continue:
            if len(_ACCEPTED) >= _REMEMBERED_HEADS:
                _ACCEPTED.clear()
            _ACCEPTED[raw_head] = head
        return head, body

    def _read_head(self, conn: h11.Connection, data: bytes) -> tuple[h11.Request, bytes | None]:
        """The request head, ``data`` being all that ``conn`` holds so far.

        Also returns the head's exact bytes when it can be remembered.
        """
        # What conn holds, kept here too and searched only where it grew: a
        # client sending its head a byte at a time costs linear time, not square.
        pending = bytearray(data)
        searched = 0
        while True:
            end = pending.find(b"\r\n\r\n", max(0, searched - 3))
            searched = len(pending)
            check_head_limits(pending, end)
            event = self._next_event(conn, pending)
            if event is h11.NEED_DATA:
                more = self._recv(_RECV_BYTES)
                conn.receive_data(more)  # b"": the peer closed
                pending += more
            elif isinstance(event, h11.Request):
                # The head is what h11 just consumed: up to the first empty line,
                # or, if a bare LF ended it earlier, all of it (which is refused).
                raw_head = bytes(pending[: end + 4] if end >= 0 else pending)
                check_head(raw_head)
                return event, raw_head if end + 4 <= _REMEMBERED_HEAD_BYTES else None
            else:
                # ConnectionClosed cannot come: the buffer held data, so an early
                # end is h11's "peer unexpectedly closed" error instead.
                raise Refusal(400, "malformed request")

    def _read_sized(self, data: bytes, length: int) -> bytes:
        """The body framed by Content-Length: ``length`` bytes from ``data`` on.

        h11 has validated the field (digits only, no conflicting repeats) and
        the request has no Transfer-Encoding; copying the bytes here instead of
        through h11's Data and EndOfMessage events saves a fifth of its cost.
        """
        if length > MAX_BODY_BYTES:
            raise Refusal(413, f"request body over {MAX_BODY_BYTES} bytes")
        if len(data) < length:
            parts = [data]
            size = len(data)
            while size < length:
                chunk = self._recv(_RECV_BYTES)
                if not chunk:
                    raise Refusal(400, "connection closed inside the body")
                parts.append(chunk)
                size += len(chunk)
            data = b"".join(parts)
        self._unread = data[length:]
        return data[:length]

    def _read_chunked(self, conn: h11.Connection) -> bytes:
        parts: list[bytes] = []
        size = 0
        # Chunked framing consumed since the last data: chunk lines, the CRLF
        # after data, the last chunk and the trailer section.
        framing = b""
        while True:
            before = conn.trailing_data[0]
            event = self._next_event(conn, before)
            after = conn.trailing_data[0]
            consumed = before[: len(before) - len(after)]
            if isinstance(event, h11.Data):  # the data comes last
                consumed = consumed[: len(consumed) - len(event.data)]
            framing += consumed
            if event is h11.NEED_DATA:
                # What is pending is framing too: h11 hands out chunk data as
                # soon as it has any.
                check_chunk_framing(framing + after)
                if conn.they_are_waiting_for_100_continue:
                    self._send(conn.send(_CONTINUE))
                conn.receive_data(self._recv(_RECV_BYTES))
                continue
            check_chunk_framing(framing)
            if isinstance(event, h11.Data):
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
