"""One accepted connection of the loopback server, served in its own thread.

The thread runs the TLS handshake (so a client that stalls in it holds up no
one else), then reads requests with :class:`~.framing.RequestReader`, hands
each to the server's handler as an ``httpx.Request`` and writes the answer in
one ``send``: headers and body in separate segments would meet Nagle's
algorithm and the peer's delayed ACK, and cost 40 ms per request on Linux.

Planned connection faults (delay, timeout, refuse) are carried out here, on
the socket; the provider only says which one applies.
"""

from __future__ import annotations

import contextlib
import functools
import select
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from cryptography import x509

from pytest_authmock.provider.faults import FaultAction, action_of
from pytest_authmock.transport.framing import Refusal, Request, RequestReader
from pytest_authmock.transport.responses import InvalidResponse, refusal_response

__all__ = ["AccessRecord", "Connection", "ConnectionOwner", "RequestHandler", "linger_close"]

#: What the server calls for every request: the core's ``handle`` with the peer
#: certificate passed along (``lambda request, cert: idp.handle(request, peer_cert=cert)``).
RequestHandler = Callable[[httpx.Request, "x509.Certificate | None"], httpx.Response]

# A handshake that takes longer than this on loopback is a client that hangs.
_HANDSHAKE_TIMEOUT = 10.0
# How long a closing connection keeps reading what the client still sends.
_LINGER_SECONDS = 2.0


@dataclass(frozen=True)
class AccessRecord:
    """One line of the access log. Carries no header or body, so no secret.

    ``target`` is the raw request target, query string included: whoever prints
    it redacts first (``authmock serve`` does).
    """

    client: str
    method: str
    target: str
    status: int
    duration_ms: float
    #: Subject of the verified TLS client certificate, if one was presented.
    peer_subject: str | None = None
    #: Set instead of method/target/status when the TLS handshake failed.
    tls_error: str | None = None


class ConnectionOwner(Protocol):
    """What a connection needs from its server (:class:`~.server.LoopbackServer`)."""

    handler: RequestHandler
    public_url: str
    idle_timeout: float
    name: str
    port: int
    on_access: Callable[[AccessRecord], None] | None
    errors: list[BaseException]

    def _context(self) -> ssl.SSLContext | None: ...
    def _emit(self, record: AccessRecord) -> None: ...
    def _forget(self, connection: Connection) -> None: ...


class Connection:
    """An accepted socket and the thread that serves it until either side closes."""

    def __init__(
        self, server: ConnectionOwner, ident: int, sock: socket.socket, address: Any
    ) -> None:
        self.server = server
        self.ident = ident
        self.sock = sock
        self.client = f"{address[0]}:{address[1]}"
        self.thread = threading.Thread(
            target=self.run, name=f"{server.name}-conn-{server.port}-{ident}", daemon=True
        )
        self._closing = False

    def run(self) -> None:
        try:
            with contextlib.suppress(OSError):
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            ready, peer_cert = self._handshake()
            if ready:
                _idle_timeout(self.sock, self.server.idle_timeout)
                self._serve(peer_cert)
        except (OSError, ValueError):
            # The peer went away or stop() shut the socket down under us.
            pass
        finally:
            with contextlib.suppress(OSError):
                self.sock.close()
            self.server._forget(self)

    def abort(self) -> None:
        self._closing = True
        # socket.socket.shutdown, not SSLSocket.shutdown: the latter unwraps the
        # TLS layer, which races with the reading thread. A TCP shutdown just
        # makes the blocked read return.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(self.sock, socket.SHUT_RDWR)

    def _handshake(self) -> tuple[bool, x509.Certificate | None]:
        """Whether the connection is ready for requests, and the verified client
        certificate (``None`` without TLS or without one)."""
        context = self.server._context()
        if context is None:
            return True, None
        self.sock.settimeout(_HANDSHAKE_TIMEOUT)
        tls_sock = context.wrap_socket(self.sock, server_side=True, do_handshake_on_connect=False)
        self.sock = tls_sock
        try:
            tls_sock.do_handshake()
        except (ssl.SSLError, OSError) as exc:
            if not self._closing:
                self.server._emit(
                    AccessRecord(self.client, "", "", 0, 0.0, tls_error=_tls_reason(exc))
                )
                # The client still sends (TLS 1.3 clients send their request right
                # after their certificate): without lingering it reads a reset,
                # not our alert.
                linger_close(tls_sock)
            return False, None
        if self._closing:  # stop() raced with the handshake
            return False, None
        der = tls_sock.getpeercert(binary_form=True)
        return True, x509.load_der_x509_certificate(der) if der else None

    def _serve(self, peer_cert: x509.Certificate | None) -> None:
        """Answer requests on this connection until either side closes it."""
        subject = peer_cert.subject.rfc4514_string() if peer_cert is not None else None
        sock = self.sock
        reader = RequestReader(sock.recv, sock.sendall)
        server = self.server
        while not self._closing:
            try:
                request = reader.next_request()
                if request is None:
                    return
                started = time.perf_counter()
                response = self._exchange(request, peer_cert)
            except Refusal as refusal:
                self._refuse(refusal.status, refusal.message, subject)
                return
            if response is None:  # a planned fault: nothing is sent
                return
            try:
                payload = reader.respond(*response)
            except InvalidResponse as exc:
                server.errors.append(exc)
                self._refuse(500, "the fake provider sent an invalid header field", subject)
                return
            sock.sendall(payload)
            if server.on_access is not None:
                server._emit(
                    AccessRecord(
                        client=self.client,
                        method=request.method,
                        target=request.target,
                        status=response[0],
                        duration_ms=(time.perf_counter() - started) * 1000.0,
                        peer_subject=subject,
                    )
                )
            if reader.must_close:
                linger_close(sock)
                return

    def _refuse(self, status: int, message: str, subject: str | None) -> None:
        """Answer ``status`` and close, reading what the client still sends.

        RFC 9112 §9.6: closing with unread input makes the kernel send a reset,
        which can destroy the answer before the client reads it.
        """
        self.sock.sendall(refusal_response(status, message))
        self.server._emit(AccessRecord(self.client, "-", "-", status, 0.0, peer_subject=subject))
        linger_close(self.sock)

    def _exchange(
        self, request: Request, peer_cert: x509.Certificate | None
    ) -> tuple[int, str, list[tuple[bytes, bytes]], bytes] | None:
        """The handler's answer (status, reason, fields, content); ``None`` for a fault."""
        owner = self.server
        try:
            url = _url(owner.public_url, request.target)
        except (httpx.InvalidURL, ValueError):
            raise Refusal(400, "request target is not a valid URL path") from None
        # A ByteStream plus read() is cheaper than content=, which re-encodes.
        core_request = httpx.Request(
            request.method, url, headers=request.headers, stream=httpx.ByteStream(request.body)
        )
        core_request.read()
        try:
            response = owner.handler(core_request, peer_cert)
            content = response.read()
        except Exception as exc:
            # The core promises never to raise; if it does, the client gets a
            # generic 500 and the fixture fails the test with the exception.
            owner.errors.append(exc)
            message = f"the fake provider raised {type(exc).__name__}\n".encode()
            return 500, "", [(b"Content-Type", b"text/plain; charset=utf-8")], message
        action = action_of(response)
        if action is not None and not self._carry_out(action):
            return None
        return response.status_code, response.reason_phrase, response.headers.raw, content

    def _carry_out(self, action: FaultAction) -> bool:
        """Delay, stall or drop the connection; ``True`` if the answer is still to be sent."""
        if action.kind == "delay":
            # Waits on the socket rather than sleeping: a client that gives up
            # (read timeout) or stop() ends the wait, and nothing is sent then.
            return not self._wait_for_peer(action.seconds)
        if action.kind == "timeout":
            # Never answer: hold the connection until the client hangs up.
            self._wait_for_peer(action.seconds)
        elif action.kind == "refuse":
            # RST instead of FIN: the closest an accepted connection gets to refused.
            with contextlib.suppress(OSError):
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return False

    def _wait_for_peer(self, seconds: float) -> bool:
        """Wait up to ``seconds``; ``True`` as soon as the peer closes (or stop() runs)."""
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self._closing:
                return True
            try:
                readable, _, _ = select.select([self.sock], [], [], min(remaining, 0.1))
            except (OSError, ValueError):
                return True
            if readable:
                return True


def linger_close(sock: socket.socket) -> None:
    """Half-close, then read and drop what the peer still sends, for a while.

    The peer reads everything sent before our FIN; closing with unread input
    instead would send it a reset. Reads the raw socket: under TLS the bytes
    are dropped undecrypted. The caller closes the socket.
    """
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_WR)
        deadline = time.monotonic() + _LINGER_SECONDS
        while (remaining := deadline - time.monotonic()) > 0:
            sock.settimeout(remaining)
            if not socket.socket.recv(sock, 65536):
                return


def _idle_timeout(sock: socket.socket, seconds: float) -> None:
    """Idle keep-alive connections close after ``seconds`` (so does a client that
    stops reading our answer).

    On a plain socket the kernel keeps the timeout (SO_RCVTIMEO, SO_SNDTIMEO)
    and the socket stays in blocking mode: a Python-level timeout would poll()
    before every recv and send, two more system calls per request. A read or
    write that times out raises ``OSError`` (EAGAIN), which ends the connection.
    Python's TLS layer retries a read that the kernel timed out, so a TLS socket
    keeps Python's timeout.
    """
    if isinstance(sock, ssl.SSLSocket):
        sock.settimeout(seconds)
        return
    whole = int(seconds)
    value = struct.pack("ll", whole, int((seconds - whole) * 1_000_000))
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
    except OSError:  # a platform without them: Python's timeout does the same
        sock.settimeout(seconds)
    else:
        sock.settimeout(None)


@functools.lru_cache(maxsize=512)
def _url(base: str, target: str) -> httpx.URL:
    """Base URL + request target, parsed once per distinct target (URLs are immutable)."""
    if not target.startswith("/"):
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("request target must be an absolute path")
        # Absolute-form target (RFC 9112 §3.2.2): keep path and query only.
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return httpx.URL(base + target)


def _tls_reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"client certificate rejected: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    return f"{type(exc).__name__}: {exc}"
