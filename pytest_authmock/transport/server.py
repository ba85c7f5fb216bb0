"""The loopback transport: a real HTTP/1.1 server in front of the provider core.

The adapter is deliberately thin. Each request becomes an ``httpx.Request`` whose
URL is the server's base URL plus the request target, the verified TLS client
certificate (if any) rides along, and the ``httpx.Response`` the core returns is
written back. No endpoint logic lives here; this module owns the listening
socket, the accept loop and a clean shutdown. Each accepted connection is
served by its own thread (:mod:`.connection`); HTTP/1.1 framing is h11's
(:mod:`.framing`).

* The accept loop only accepts: it drains every pending connection on each
  wake-up, and the listen backlog is the system's maximum, so a burst of
  connects never overflows it (a dropped SYN costs the client a whole second).
* ``stop()`` wakes the accept loop at once, closes the listener, shuts down
  every open connection (which wakes idle keep-alive threads) and joins every
  thread it started.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable
from types import TracebackType

from pytest_authmock.transport.connection import AccessRecord, Connection, RequestHandler
from pytest_authmock.transport.framing_checks import MAX_BODY_BYTES

__all__ = [
    "MAX_BODY_BYTES",
    "AccessRecord",
    "ContextFactory",
    "LoopbackServer",
    "RequestHandler",
    "client_host",
]

#: Returns the server-side context for the next connection; lets the trust store
#: follow the clients registered right now (self-signed certificates).
ContextFactory = Callable[[], ssl.SSLContext]


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
        self._connections: dict[int, Connection] = {}
        self._next_id = 0
        self._accept_thread: threading.Thread | None = None
        self._stopped = False
        self._listener = _listen(host, port)
        # stop() writes here to wake the accept loop without a polling interval.
        self._wake_read, self._wake_write = socket.socketpair()
        bound_host, bound_port = self._listener.getsockname()[:2]
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
        if self._accept_thread is None:
            self._accept_thread = threading.Thread(
                target=self._accept_loop, name=f"{self.name}-accept-{self.port}", daemon=True
            )
            self._accept_thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, close every connection and join every thread.

        Raises :class:`RuntimeError` if a thread is still alive after ``timeout``
        seconds (which would be a bug: every socket has been shut down by then).
        """
        if self._stopped:
            return
        with self._lock:
            self._stopped = True
            connections = list(self._connections.values())
        with contextlib.suppress(OSError):
            self._wake_write.send(b"x")
        deadline = time.monotonic() + timeout
        if self._accept_thread is not None:
            self._accept_thread.join(timeout)
        for sock in (self._listener, self._wake_read, self._wake_write):
            sock.close()
        for connection in connections:
            connection.abort()
        for connection in connections:
            connection.thread.join(max(0.0, deadline - time.monotonic()))
        alive = [c.thread.name for c in connections if c.thread.is_alive()]
        if self._accept_thread is not None and self._accept_thread.is_alive():
            alive.append(self._accept_thread.name)
        if alive:
            raise RuntimeError(f"loopback server threads did not stop: {', '.join(alive)}")

    @property
    def running(self) -> bool:
        return self._accept_thread is not None and not self._stopped

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._connections)

    def threads(self) -> list[threading.Thread]:
        """Every thread this server started that is still alive."""
        with self._lock:
            threads = [c.thread for c in self._connections.values()]
        if self._accept_thread is not None:
            threads.append(self._accept_thread)
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

    def _accept_loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            while not self._stopped:
                selector.select()
                self._accept_pending()

    def _accept_pending(self) -> None:
        """Accept every connection waiting in the backlog, then return."""
        while not self._stopped:
            try:
                sock, address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                # Out of file descriptors (or the listener closed): back off
                # instead of spinning; the backlog keeps the clients waiting.
                time.sleep(0.05)
                return
            sock.setblocking(True)
            with self._lock:
                if self._stopped:
                    sock.close()
                    return
                self._next_id += 1
                connection = Connection(self, self._next_id, sock, address)
                self._connections[connection.ident] = connection
            connection.thread.start()

    def _forget(self, connection: Connection) -> None:
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


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        # The kernel caps this at net.core.somaxconn; a backlog of 64 overflows
        # when a test suite opens hundreds of connections at once.
        sock.listen(socket.SOMAXCONN)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def client_host(bound: str) -> str:
    """Where a local client connects to reach a server bound to ``bound``.

    A wildcard bind (``0.0.0.0``, ``::``, in a container) is reached on loopback.
    """
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(bound, bound)  # noqa: S104
