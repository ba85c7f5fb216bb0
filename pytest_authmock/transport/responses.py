"""HTTP/1.1 responses of the loopback server, rendered in one buffer.

Every response carries ``Content-Length`` (the server holds the whole answer
before it writes), so its framing is fixed and needs no state machine; headers
and body leave in one ``send``.
"""

from __future__ import annotations

import time
from email.utils import formatdate
from http import HTTPStatus

__all__ = ["InvalidResponse", "refusal_response", "render_response"]

# Hop-by-hop fields (RFC 9110 §7.6.1) and framing fields are the server's job.
_SKIP = frozenset(
    {b"connection", b"keep-alive", b"transfer-encoding", b"content-length", b"date", b"server"}
)
_SERVER = b"Server: pytest-authmock"


class InvalidResponse(Exception):
    """The handler's response cannot be written as HTTP/1.1."""


def render_response(
    status: int,
    reason: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    *,
    head_only: bool = False,
    close: bool = False,
) -> bytes:
    """Status line, fields and body; raises :class:`InvalidResponse` when a field
    would break the framing."""
    lines = [
        b"HTTP/1.1 %d %s" % (status, (reason or _phrase(status)).encode("latin-1")),
        _SERVER,
        _date_line(),
    ]
    lines.extend(name + b": " + value for name, value in headers if name.lower() not in _SKIP)
    # RFC 9110 §8.6: no Content-Length in a 204; a 304 describes another response.
    no_content = status in (204, 304)
    if not no_content:
        lines.append(b"Content-Length: %d" % len(body))
    if close:
        lines.append(b"Connection: close")
    head = b"\r\n".join(lines) + b"\r\n\r\n"
    # A CR, LF or NUL inside a field would end it early: response splitting.
    crlf = len(lines) + 1
    if head.count(b"\n") != crlf or head.count(b"\r") != crlf or b"\0" in head:
        raise InvalidResponse("a response field holds CR, LF or NUL")
    # RFC 9110 §9.3.2: HEAD gets the fields GET would, without the content.
    return head if head_only or no_content else head + body


def refusal_response(status: int, message: str) -> bytes:
    """A plain-text answer to a refused request; the connection ends after it."""
    return render_response(
        status,
        "",
        [(b"Content-Type", b"text/plain; charset=utf-8")],
        (message + "\n").encode("utf-8"),
        close=True,
    )


_date_cache: tuple[int, bytes] = (0, b"")


def _date_line() -> bytes:
    # RFC 9110 §6.6.1: an origin server with a clock sends Date. Its resolution
    # is a second, so it is formatted once per second, not per response.
    global _date_cache
    now = int(time.time())
    second, line = _date_cache
    if second != now:
        line = b"Date: " + formatdate(now, usegmt=True).encode("ascii")
        _date_cache = (now, line)
    return line


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
