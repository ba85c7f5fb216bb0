"""The loopback transport: a real HTTP/1.1 server in front of the provider core.

The adapter is deliberately thin. Each request becomes an ``httpx.Request`` whose
URL is the server's base URL plus the request target, the verified TLS client
certificate (if any) rides along, and the ``httpx.Response`` the core returns is
written back. No endpoint logic lives here; what this module owns is sockets,
TLS handshakes, HTTP/1.1 framing and keep-alive, and a clean shutdown.

Design notes:

* One thread per connection (``http.server`` style), so a keep-alive client
  costs nothing between requests and a slow client never blocks another.
* The TLS handshake runs in the connection's thread, not in the accept loop: a
  client that stalls or fails its handshake cannot hold up anyone else.
* The whole response is written with one ``send``: headers and body in separate
  segments would meet Nagle's algorithm and the peer's delayed ACK and cost
  40 ms per request on Linux.
* ``stop()`` closes the listener, shuts down every open connection (which wakes
  idle keep-alive threads) and joins every thread it started.
"""

from __future__ import annotations

import contextlib
import functools
import select
import socket
import socketserver
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography import x509

from pytest_authmock.provider.faults import FaultAction, action_of
from pytest_authmock.transport import http11
from pytest_authmock.transport.http11 import MAX_BODY_BYTES

__all__ = [
    "MAX_BODY_BYTES",
    "AccessRecord",
    "ContextFactory",
    "LoopbackServer",
    "RequestHandler",
]

#: What the server calls for every request: the core's ``handle`` with the peer
#: certificate passed along (``lambda request, cert: idp.handle(request, peer_cert=cert)``).
RequestHandler = Callable[[httpx.Request, "x509.Certificate | None"], httpx.Response]
#: Returns the server-side context for the next connection; lets the trust store
#: follow the clients registered right now (self-signed certificates).
ContextFactory = Callable[[], ssl.SSLContext]

# A handshake that takes longer than this on loopback is a client that hangs.
_HANDSHAKE_TIMEOUT = 10.0


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


class LoopbackServer:
    """A threaded HTTP/1.1 (optionally HTTPS) server on a loopback address.

    ``handler`` answers every request. ``tls`` is a server ``ssl.SSLContext`` or a
    callable returning one per connection; ``None`` serves plain HTTP.
    ``public_url`` is the origin the provider believes it is served from
    (``authmock serve --issuer`` behind a proxy); it defaults to the bound URL.

    The socket is bound and listening when the constructor returns, so ``port``
    and ``url`` are known at once; :meth:`start` begins serving.
    """

    def __init__(
        self,
        handler: RequestHandler,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: ssl.SSLContext | ContextFactory | None = None,
        public_url: str | None = None,
        on_access: Callable[[AccessRecord], None] | None = None,
        idle_timeout: float = 30.0,
        name: str = "authmock",
    ) -> None:
        self.handler = handler
        self.on_access = on_access
        self.idle_timeout = idle_timeout
        self.name = name
        self._tls = tls
        #: Exceptions that escaped ``handler`` (the core promises never to raise);
        #: the fixtures fail the test with them.
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._connections: dict[int, _Connection] = {}
        self._next_id = 0
        self._serve_thread: threading.Thread | None = None
        self._stopped = False
        self._httpd = _Listener(self, host, port)
        bound_host, bound_port = self._httpd.server_address[:2]
        self.host: str = str(bound_host)
        self.port: int = int(bound_port)
        scheme = "https" if tls is not None else "http"
        connect_host = client_host(self.host)
        netloc = f"[{connect_host}]" if ":" in connect_host else connect_host
        #: The URL clients connect to, e.g. ``https://127.0.0.1:43117``.
        self.url = f"{scheme}://{netloc}:{self.port}"
        self.public_url = (public_url or self.url).rstrip("/")

    # -- life cycle ---------------------------------------------------------------

    def start(self) -> LoopbackServer:
        if self._stopped:
            raise RuntimeError("a stopped LoopbackServer cannot be restarted; create a new one")
        if self._serve_thread is None:
            self._serve_thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"{self.name}-accept-{self.port}",
                daemon=True,
            )
            self._serve_thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, close every connection and join every thread.

        Raises :class:`RuntimeError` if a thread is still alive after ``timeout``
        seconds (which would be a bug: every socket has been shut down by then).
        """
        if self._stopped:
            return
        self._stopped = True
        if self._serve_thread is not None:
            self._httpd.shutdown()
            self._serve_thread.join(timeout)
        self._httpd.server_close()
        with self._lock:
            connections = list(self._connections.values())
        for connection in connections:
            connection.abort()
        deadline = time.monotonic() + timeout
        for connection in connections:
            connection.thread.join(max(0.0, deadline - time.monotonic()))
        alive = [c.thread.name for c in connections if c.thread.is_alive()]
        if self._serve_thread is not None and self._serve_thread.is_alive():
            alive.append(self._serve_thread.name)
        if alive:
            raise RuntimeError(f"loopback server threads did not stop: {', '.join(alive)}")

    @property
    def running(self) -> bool:
        return self._serve_thread is not None and not self._stopped

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._connections)

    def threads(self) -> list[threading.Thread]:
        """Every thread this server started that is still alive."""
        with self._lock:
            threads = [c.thread for c in self._connections.values()]
        if self._serve_thread is not None:
            threads.append(self._serve_thread)
        return [thread for thread in threads if thread.is_alive()]

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped" if self._stopped else "created"
        return f"<LoopbackServer {self.url} {state}>"

    # -- connections ----------------------------------------------------------------

    def _accept(self, sock: socket.socket, address: Any) -> None:
        with self._lock:
            if self._stopped:
                _close_quietly(sock)
                return
            self._next_id += 1
            connection = _Connection(self, self._next_id, sock, address)
            self._connections[connection.ident] = connection
        connection.thread.start()

    def _forget(self, connection: _Connection) -> None:
        with self._lock:
            self._connections.pop(connection.ident, None)

    def _context(self) -> ssl.SSLContext | None:
        if self._tls is None or isinstance(self._tls, ssl.SSLContext):
            return self._tls
        return self._tls()

    def _emit(self, record: AccessRecord) -> None:
        if self.on_access is not None:
            try:
                self.on_access(record)
            except Exception as exc:  # a broken log hook must not break the server
                self.errors.append(exc)


class _Listener(socketserver.TCPServer):
    """The accept loop (``serve_forever``); connections are handed to the owner."""

    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, owner: LoopbackServer, host: str, port: int) -> None:
        self.owner = owner
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # No RequestHandlerClass: process_request below takes over every connection.
        super().__init__((host, port), socketserver.BaseRequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.owner._accept(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Errors are handled per connection; never print a traceback to stderr.
        pass


class _Connection:
    def __init__(
        self, server: LoopbackServer, ident: int, sock: socket.socket, address: Any
    ) -> None:
        self.server = server
        self.ident = ident
        self.sock = sock
        self.address = address
        self.client = f"{address[0]}:{address[1]}"
        self.thread = threading.Thread(
            target=self.run, name=f"{server.name}-conn-{server.port}-{ident}", daemon=True
        )
        self._closing = False

    def run(self) -> None:
        try:
            with contextlib.suppress(OSError):
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            context = self.server._context()
            peer_cert: x509.Certificate | None = None
            if context is not None:
                self.sock.settimeout(_HANDSHAKE_TIMEOUT)
                tls_sock = context.wrap_socket(
                    self.sock, server_side=True, do_handshake_on_connect=False
                )
                self.sock = tls_sock
                try:
                    tls_sock.do_handshake()
                except (ssl.SSLError, OSError) as exc:
                    if not self._closing:
                        self.server._emit(
                            AccessRecord(self.client, "", "", 0, 0.0, tls_error=_tls_reason(exc))
                        )
                        _linger(tls_sock)
                    return
                if self._closing:  # stop() raced with the handshake
                    return
                der = tls_sock.getpeercert(binary_form=True)
                if der:
                    peer_cert = x509.load_der_x509_certificate(der)
            # Idle keep-alive connections close after idle_timeout seconds.
            self.sock.settimeout(self.server.idle_timeout)
            self._serve(peer_cert)
        except (OSError, ValueError):
            # The peer went away or stop() shut the socket down under us.
            pass
        finally:
            _close_quietly(self.sock)
            self.server._forget(self)

    def _serve(self, peer_cert: x509.Certificate | None) -> None:
        """Answer requests on this connection until either side closes it."""
        subject = peer_cert.subject.rfc4514_string() if peer_cert is not None else None
        with self.sock.makefile("rb") as rfile:
            while not self._closing:
                try:
                    head = http11.read_head(rfile)
                    if head is None:
                        return
                    if head.expects_continue:
                        self.sock.sendall(http11.continue_line())
                    body = http11.read_body(rfile, head)
                except http11.Reject as reject:
                    self.sock.sendall(
                        http11.render_plain(reject.status, reject.message, close=True)
                    )
                    self.server._emit(
                        AccessRecord(
                            self.client, "-", "-", reject.status, 0.0, peer_subject=subject
                        )
                    )
                    return
                started = time.perf_counter()
                payload, status = self._exchange(head, body, peer_cert)
                if payload is not None:
                    self.sock.sendall(payload)
                if self.server.on_access is not None:
                    self.server._emit(
                        AccessRecord(
                            client=self.client,
                            method=head.method,
                            target=head.target,
                            status=status,
                            duration_ms=(time.perf_counter() - started) * 1000.0,
                            peer_subject=subject,
                        )
                    )
                if head.close or payload is None:
                    return

    def _exchange(
        self, head: http11.RequestHead, body: bytes, peer_cert: x509.Certificate | None
    ) -> tuple[bytes | None, int]:
        """The core's answer to one request, rendered, and its status.

        ``None`` (status 0) when a planned connection fault means nothing is sent
        and the connection closes.
        """
        owner = self.server
        try:
            url = _url(owner.public_url, head.target)
        except (httpx.InvalidURL, ValueError):
            head.close = True
            return http11.render_plain(
                400, "request target is not a valid URL path", close=True
            ), 400
        # A ByteStream plus read() is ~25 us cheaper than content=, which re-encodes.
        request = httpx.Request(
            head.method, url, headers=head.headers, stream=httpx.ByteStream(body)
        )
        request.read()
        try:
            response = owner.handler(request, peer_cert)
            content = response.read()
        except Exception as exc:
            # The core promises never to raise; if it does, the client gets a
            # generic 500 and the fixture fails the test with the exception.
            owner.errors.append(exc)
            message = f"the fake provider raised {type(exc).__name__}"
            return http11.render_plain(500, message, close=head.close), 500
        # Planned connection faults (pytest_authmock/provider/faults.py, issue 6):
        # the core says what to do, the socket work is done here.
        action = action_of(response)
        if action is not None and not self._carry_out(action):
            return None, 0
        payload = http11.render_response(
            response.status_code,
            response.reason_phrase,
            list(response.headers.raw),
            content,
            head_only=head.method == "HEAD",
            close=head.close,
        )
        return payload, response.status_code

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

    def abort(self) -> None:
        self._closing = True
        # socket.socket.shutdown, not SSLSocket.shutdown: the latter unwraps the
        # TLS layer, which races with the reading thread. A TCP shutdown just
        # makes the blocked read return.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(self.sock, socket.SHUT_RDWR)


def client_host(bound: str) -> str:
    """Where a local client connects to reach a server bound to ``bound``.

    A wildcard bind (``0.0.0.0``, ``::``, in a container) is reached on loopback.
    """
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(bound, bound)  # noqa: S104


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


def _linger(sock: socket.socket) -> None:
    """Half-close and drain before closing, so the peer reads our TLS alert.

    Closing a socket with unread data makes the kernel send RST, and a client
    that is still sending (TLS 1.3 clients send their request right after their
    certificate) then sees "connection reset" instead of "unknown ca".
    """
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_WR)
        sock.settimeout(0.5)
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and socket.socket.recv(sock, 4096):
            pass


def _close_quietly(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()
