"""What h11 leaves to the loopback server: the checks that close smuggling gaps.

Two readers of the same bytes (a proxy in front, this server) must never
disagree on where a request ends. h11 refuses bad chunk sizes (``0x1d``,
``+1d``), a missing CRLF after chunk data, NUL, CR and LF inside field values
(RFC 9110 §5.5), conflicting or invalid ``Content-Length`` values and unknown
transfer codings. These checks refuse the rest, and the connection is closed
after every refusal:

* ``Content-Length`` and ``Transfer-Encoding`` together (RFC 9112 §6.1), and
  ``Transfer-Encoding`` in an HTTP/1.0 request (same section);
* a bare LF as a line end, in the head or the chunked framing (RFC 9112 §2.2
  allows accepting it; a front end that does not would frame differently);
* obs-fold (RFC 9112 §5.2: reject or replace; replacing changes what a proxy saw);
* a malformed ``Host`` (RFC 9112 §3.2; h11 refuses a missing or repeated one);
* chunk lines and trailer sections over :data:`MAX_CHUNK_FRAMING` bytes;
* heads over :data:`MAX_HEAD_BYTES` or with over :data:`MAX_HEADER_FIELDS`
  fields, bodies over :data:`MAX_BODY_BYTES`.
"""

from __future__ import annotations

import re

import h11

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_CHUNK_FRAMING",
    "MAX_HEADER_FIELDS",
    "MAX_HEAD_BYTES",
    "Refusal",
    "check_chunk_framing",
    "check_head",
    "check_head_limits",
    "check_request",
    "refusal_for",
]

#: Longest request head (request line and fields); longer gets 431 (414 when the
#: request line alone is longer), as from any real server.
MAX_HEAD_BYTES = 65536
MAX_HEADER_FIELDS = 128
#: No OAuth request comes near this; larger bodies get 413.
MAX_BODY_BYTES = 1024 * 1024
#: Longest chunk line (size and extensions) or trailer section of a chunked body.
MAX_CHUNK_FRAMING = 4096

# RFC 9112 §3.2: Host = uri-host [ ":" port ], uri-host from RFC 3986 §3.2.2.
_HOST = re.compile(rb"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]*)(?::[0-9]*)?")
# A bytes repr inside an h11 message (the offending line): never echoed, it may
# hold a credential.
_QUOTED_INPUT = re.compile(r":?\s*(?:bytearray\()?b['\"].*", re.DOTALL)


class Refusal(Exception):
    """A request that cannot be served; answer ``status`` and close the connection."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def check_head_limits(pending: bytes | bytearray, end: int) -> None:
    """Refuse an over-long head before h11 reads it; ``end`` is where the first
    ``b"\r\n\r\n"`` starts in ``pending``, or -1 while the head is incomplete.

    Limits come before meaning: a head with too many fields is 431 whatever
    its fields say, and h11 only notices an over-long head once it is waiting
    for more of it.
    """
    if end < 0 or end > MAX_HEAD_BYTES:
        if len(pending) <= MAX_HEAD_BYTES:
            return
        window = pending[: MAX_HEAD_BYTES + 4]
        if b"\n\n" in window:  # a head ended by a bare LF: check_head refuses it
            return
        if b"\n" not in window:
            raise Refusal(414, "request line too long")
        raise Refusal(431, f"request head over {MAX_HEAD_BYTES} bytes")
    if pending.count(b"\n", 0, end) > MAX_HEADER_FIELDS:
        raise Refusal(431, f"more than {MAX_HEADER_FIELDS} header fields")


def check_head(head: bytes) -> None:
    """The exact bytes of a head h11 accepted: every line ends in CRLF, none is folded."""
    if head.count(b"\n") != head.count(b"\r\n"):
        raise Refusal(400, "a line of the request head ends in a bare LF, not CRLF")
    if b"\r\n " in head or b"\r\n\t" in head:
        raise Refusal(400, "obsolete line folding in a header field")


def check_request(
    event: h11.Request, headers: list[tuple[bytes, bytes]]
) -> tuple[int | None, bool]:
    """Refuse what h11 accepts but this server will not frame.

    Returns the body's length (``None``: chunked) and whether the connection
    closes after the response. Any method h11 parsed (a token, RFC 9110 §9.1)
    goes on to the provider, whose endpoints answer one they do not serve with
    405 and ``Allow`` (§15.5.6), as they do in process: framing never depends
    on the method.
    """
    if event.http_version not in (b"1.1", b"1.0"):
        raise Refusal(505, "only HTTP/1.1 and HTTP/1.0 are served")
    length: int | None = None
    encoding = False
    options = b""
    for raw_name, value in headers:
        name = raw_name.lower()
        if name == b"content-length":
            length = int(value)  # h11 checked the digits and any repeats
        elif name == b"transfer-encoding":
            encoding = True  # h11 refused any coding but chunked
        elif name == b"connection":
            options += b"," + value.lower()
        elif name == b"host" and not _HOST.fullmatch(value):
            raise Refusal(400, "invalid Host field")
    if encoding:
        if length is not None:
            raise Refusal(400, "both Content-Length and Transfer-Encoding")
        if event.http_version == b"1.0":
            raise Refusal(400, "Transfer-Encoding in an HTTP/1.0 request")
    elif length is None:
        length = 0
    # RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
    tokens = {token.strip() for token in options.split(b",")} if options else set()
    if b"close" in tokens:
        return length, True
    return length, event.http_version != b"1.1" and b"keep-alive" not in tokens


def check_chunk_framing(framing: bytes) -> None:
    """Chunk lines, the CRLF after data, the last chunk and trailers, read since the last data."""
    if len(framing) > MAX_CHUNK_FRAMING:
        raise Refusal(400, f"chunk line or trailer section over {MAX_CHUNK_FRAMING} bytes")
    if framing.count(b"\n") != framing.count(b"\r\n"):
        raise Refusal(400, "a line of the chunked body ends in a bare LF, not CRLF")


def refusal_for(exc: h11.RemoteProtocolError, pending: bytes | bytearray) -> Refusal:
    """h11's refusal, with its status; ``pending`` is what it was reading."""
    status = exc.error_status_hint
    if status == 431 and b"\n" not in pending:
        return Refusal(414, "request line too long")
    message = _QUOTED_INPUT.sub("", str(exc)) or "malformed request"
    return Refusal(status, message)
