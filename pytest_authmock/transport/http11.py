"""HTTP/1.1 message framing for the loopback server (RFC 9112), nothing more.

``http.server`` parses headers with the ``email`` package, which costs more
than the provider spends answering a token request; this module reads the
request line and header fields as bytes, keeps them as bytes (the provider
gets exactly what the client sent, duplicates and order included), and
renders a response in one buffer so it leaves in one ``send``.

Everything malformed raises :class:`Reject` with the status to answer; the
connection is then closed, because the stream can no longer be trusted.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import BinaryIO

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_HEADER_FIELDS",
    "MAX_LINE_BYTES",
    "Reject",
    "RequestHead",
    "read_body",
    "read_head",
    "render_response",
]

#: Longest request line or header field line accepted; longer gets 414/431,
#: as from any real server, before the provider sees the request.
MAX_LINE_BYTES = 65536
MAX_HEADER_FIELDS = 128
#: No OAuth request comes near this; larger bodies get 413.
MAX_BODY_BYTES = 1024 * 1024
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# RFC 9110 §5.6.2: a field name is a token.
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class Reject(Exception):
    """A request that cannot be served; answer ``status`` and close the connection."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class RequestHead:
    method: str
    target: str
    version: str
    #: Header fields as sent: raw bytes, in order, duplicates kept.
    headers: list[tuple[bytes, bytes]]
    #: Lower-cased name -> value, for the few fields framing needs.
    fields: dict[bytes, bytes]
    #: Whether the connection closes after this exchange.
    close: bool

    @property
    def expects_continue(self) -> bool:
        return self.fields.get(b"expect", b"").lower() == b"100-continue"


def read_head(rfile: BinaryIO) -> RequestHead | None:
    """Read one request line and its header fields; ``None`` at a clean end of stream."""
    line = rfile.readline(MAX_LINE_BYTES + 1)
    # RFC 9112 §2.2: ignore at least one empty line before a request line.
    if line in (b"\r\n", b"\n"):
        line = rfile.readline(MAX_LINE_BYTES + 1)
    if not line:
        return None
    if len(line) > MAX_LINE_BYTES:
        raise Reject(414, "request line too long")
    parts = line.rstrip(b"\r\n").split(b" ")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise Reject(400, "malformed request line")
    raw_method, raw_target, raw_version = parts
    if raw_version not in (b"HTTP/1.1", b"HTTP/1.0"):
        raise Reject(505, "only HTTP/1.1 and HTTP/1.0 are served")
    try:
        method = raw_method.decode("ascii")
        target = raw_target.decode("ascii")
    except UnicodeDecodeError:
        raise Reject(400, "request line is not ASCII") from None
    if method not in METHODS:
        raise Reject(501, f"method {method[:20]!r} is not implemented")
    headers: list[tuple[bytes, bytes]] = []
    fields: dict[bytes, bytes] = {}
    while True:
        line = rfile.readline(MAX_LINE_BYTES + 1)
        if len(line) > MAX_LINE_BYTES:
            raise Reject(431, "header field line too long")
        if line in (b"\r\n", b"\n"):
            break
        if not line:
            raise Reject(400, "connection closed inside the header section")
        if line[:1] in (b" ", b"\t"):
            # RFC 9112 §5.2: obsolete line folding; rejecting it is allowed.
            raise Reject(400, "obsolete header line folding")
        name, sep, value = line.rstrip(b"\r\n").partition(b":")
        if not sep or not _TOKEN.fullmatch(name):
            # RFC 9112 §5.1: no whitespace between field name and colon.
            raise Reject(400, "malformed header field")
        value = value.strip(b" \t")
        headers.append((name, value))
        if len(headers) > MAX_HEADER_FIELDS:
            raise Reject(431, "too many header fields")
        key = name.lower()
        if key == b"content-length" and key in fields and fields[key] != value:
            raise Reject(400, "conflicting Content-Length fields")
        fields[key] = value
    version = raw_version.decode("ascii")
    connection = fields.get(b"connection", b"").lower()
    # RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
    close = b"close" in connection if version == "HTTP/1.1" else b"keep-alive" not in connection
    return RequestHead(method, target, version, headers, fields, close)


def read_body(rfile: BinaryIO, head: RequestHead) -> bytes:
    """The request content, de-chunked; raises :class:`Reject` on bad framing."""
    encoding = head.fields.get(b"transfer-encoding")
    if encoding is not None:
        if encoding.lower().split(b",")[-1].strip() != b"chunked":
            raise Reject(501, "only the chunked transfer coding is supported")
        return _read_chunked(rfile)
    length_field = head.fields.get(b"content-length")
    if length_field is None:
        return b""
    if not length_field.isdigit():
        raise Reject(400, "invalid Content-Length")
    length = int(length_field)
    if length > MAX_BODY_BYTES:
        raise Reject(413, f"request body over {MAX_BODY_BYTES} bytes")
    body = rfile.read(length)
    if len(body) != length:
        raise Reject(400, "connection closed inside the body")
    return body


def _read_chunked(rfile: BinaryIO) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        line = rfile.readline(1024)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise Reject(400, "malformed chunked body") from None
        if size < 0:
            raise Reject(400, "malformed chunked body")
        if size == 0:
            while rfile.readline(MAX_LINE_BYTES + 1) not in (b"\r\n", b"\n", b""):
                pass  # trailer fields are ignored
            return b"".join(chunks)
        total += size
        if total > MAX_BODY_BYTES:
            raise Reject(413, f"request body over {MAX_BODY_BYTES} bytes")
        chunk = rfile.read(size)
        if len(chunk) != size:
            raise Reject(400, "connection closed inside a chunk")
        chunks.append(chunk)
        rfile.readline(1024)


# Hop-by-hop headers (RFC 9110 §7.6.1) and framing headers are the server's job.
_SKIP = frozenset(
    {b"connection", b"keep-alive", b"transfer-encoding", b"content-length", b"date", b"server"}
)


def render_response(
    status: int,
    reason: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    *,
    head_only: bool = False,
    close: bool = False,
) -> bytes:
    """Status line, headers and body in one buffer (one ``send``: no Nagle delay)."""
    lines = [
        b"HTTP/1.1 %d %s" % (status, (reason or _phrase(status)).encode("latin-1")),
        b"Server: pytest-authmock",
        _date_header(),
    ]
    lines.extend(name + b": " + value for name, value in headers if name.lower() not in _SKIP)
    lines.append(b"Content-Length: %d" % len(body))
    if close:
        lines.append(b"Connection: close")
    head = b"\r\n".join(lines) + b"\r\n\r\n"
    # RFC 9110 §9.3.2: HEAD gets the headers GET would, without the content.
    return head if head_only else head + body


_date_cache: tuple[int, bytes] = (0, b"")


def _date_header() -> bytes:
    # RFC 9110 §6.6.1: an origin server with a clock sends Date. Its resolution
    # is a second, so it is formatted once per second, not per response.
    global _date_cache
    now = int(time.time())
    second, header = _date_cache
    if second != now:
        header = b"Date: " + formatdate(now, usegmt=True).encode("ascii")
        _date_cache = (now, header)
    return header


def render_plain(status: int, message: str, *, close: bool = False) -> bytes:
    return render_response(
        status,
        _phrase(status),
        [(b"Content-Type", b"text/plain; charset=utf-8")],
        (message + "\n").encode("utf-8"),
        close=close,
    )


def continue_line() -> bytes:
    """The interim answer to ``Expect: 100-continue`` (RFC 9110 §10.1.1)."""
    return _CONTINUE


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
