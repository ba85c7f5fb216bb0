"""Loopback transport: cold start of ``authmock serve``, token requests over keep-alive,
and an mTLS handshake plus token, measured in one run.

    python benchmarks/bench_loopback.py [--requests 400] [--starts 7] [--handshakes 60]
        [--burst 300]

Every number is printed with its ratio to a baseline measured in the same run,
so that a slow or busy machine shows up in both:

* cold start: ``authmock serve`` spawned until its first discovery answer is
  200, against a stdlib ``http.server`` process answering static JSON.
* token request: median of client-credentials POSTs on one keep-alive
  connection (``http.client``, the cheapest client) to ``authmock serve``,
  against the same POST to the static stdlib server. The server remembers a
  request head it has already read; "new head each time" adds a header whose
  value changes with every request, so each head is read anew.
* mTLS: a new connection per token request, with a full TLS 1.3 handshake
  presenting a client certificate (``tls_client_auth`` at the RFC 8705 alias),
  against the same handshake to a stdlib TLS server answering static JSON.
* connect burst: hundreds of connections opened back to back and held open,
  then one discovery GET on each; the slowest single connect shows whether the
  listen backlog overflowed (a dropped SYN is retried after a whole second).

Targets: cold start <= 300 ms, opaque token median <= 0.6 ms.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SERVE = [sys.executable, "-m", "pytest_authmock.cli", "serve", "--quiet"]
CLIENT = ("bench", "bench-secret")
FORM = "grant_type=client_credentials"
TARGETS = {"cold start": 300.0, "token (opaque)": 0.6}

# A stdlib server answering static JSON: what "no provider at all" costs.
STATIC_SERVER = textwrap.dedent(
    """
    import http.server, json, ssl, sys
    BODY = json.dumps({"access_token": "x" * 43, "token_type": "Bearer", "expires_in": 3600}).encode()
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Buffered writes and no Nagle: without them every answer waits 40 ms
        # for the client's delayed ACK, and the baseline would flatter us.
        wbufsize = 65536
        disable_nagle_algorithm = True
        def _answer(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)
        do_GET = do_POST = _answer
        def log_message(self, *a): pass
    class S(http.server.ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 1024
        def server_bind(self):
            import socketserver; socketserver.TCPServer.server_bind(self)
    server = S(("127.0.0.1", 0), H)
    if len(sys.argv) > 1:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[1], sys.argv[2])
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(sys.argv[3])
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    else:
        scheme = "http"
    print(f"{scheme}://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    """
)


@contextmanager
def process(argv: list[str]) -> Iterator[tuple[str, float]]:
    """Start a server process; yield (its URL from the first line, seconds to 200)."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)  # noqa: S603
    assert child.stdout is not None
    url = child.stdout.readline().strip()
    if not url:
        child.kill()
        raise SystemExit(f"{argv} printed no URL")
    yield url, started
    child.send_signal(signal.SIGINT)
    child.wait(10)
    child.stdout.close()


def _connection(url: str, context: ssl.SSLContext | None = None) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if parts.scheme == "https":
        return http.client.HTTPSConnection(host, port, context=context, timeout=10)
    return http.client.HTTPConnection(host, port, timeout=10)


def cold_start(argv: list[str], path: str) -> float:
    with process(argv) as (url, started):
        connection = _connection(url)
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        connection.close()
        if response.status != 200:
            raise SystemExit(f"{argv}: discovery answered {response.status}")
    return elapsed * 1000


def _import_floor() -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "import httpx, cryptography.x509, joserfc.jws, joserfc.jwk"],
        check=True,
    )
    return (time.perf_counter() - started) * 1000


def token_median(url: str, path: str, requests: int, *, new_heads: bool = False) -> float:
    """Median ms of a client-credentials POST on one keep-alive connection."""
    connection = _connection(url)
    basic = "Basic " + base64.b64encode(":".join(CLIENT).encode()).decode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": basic}
    samples = []
    for index in range(requests + 20):
        if new_heads:
            headers["X-Request-Id"] = str(index)
        start = time.perf_counter()
        connection.request("POST", path, body=FORM, headers=headers)
        response = connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - start
        if response.status != 200:
            raise SystemExit(f"token request answered {response.status}: {body[:200]!r}")
        if index >= 20:  # warm-up: first requests, lazy imports, caches
            samples.append(elapsed)
    connection.close()
    return statistics.median(samples) * 1000


def connect_burst(url: str, path: str, count: int) -> tuple[float, float]:
    """(ms for ``count`` connects plus one GET on each, ms of the slowest connect)."""
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    request = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n"
    started = time.perf_counter()
    slowest = 0.0
    sockets = []
    try:
        for _ in range(count):
            before = time.perf_counter()
            sockets.append(socket.create_connection(address, timeout=10))
            slowest = max(slowest, time.perf_counter() - before)
        for sock in sockets:
            sock.sendall(request.encode("ascii"))
        for sock in sockets:
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
            if not answer.startswith(b"HTTP/1.1 200 "):
                raise SystemExit(f"burst request answered {answer[:40]!r}")
    finally:
        for sock in sockets:
            sock.close()
    return (time.perf_counter() - started) * 1000, slowest * 1000


def handshake_median(url: str, path: str, body: str, context: ssl.SSLContext, n: int) -> float:
    """Median ms of connect + TLS handshake with a client certificate + one POST."""
    samples = []
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Connection": "close"}
    for index in range(n + 5):
        start = time.perf_counter()
        connection = _connection(url, context)
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        connection.close()
        elapsed = time.perf_counter() - start
        if response.status != 200:
            raise SystemExit(f"mTLS token request answered {response.status}: {answer[:200]!r}")
        if index >= 5:
            samples.append(elapsed)
    return statistics.median(samples) * 1000


def _client_context(certs: Path, ca: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca))
    context.load_cert_chain(str(certs / f"{CLIENT[0]}.pem"), str(certs / f"{CLIENT[0]}-key.pem"))
    # A fresh handshake each time, as a new process would do: no session reuse.
    context.options |= ssl.OP_NO_TICKET
    return context


def _compile_package() -> None:
    """Write the package's bytecode, as ``pip install`` does for a real install.

    Under ``PYTHONDONTWRITEBYTECODE`` (set in some CI images and in this repo's
    sandbox) an editable checkout has no ``.pyc`` files, and every start would
    compile the package from source, which is not what users pay.
    """
    import compileall

    import pytest_authmock

    compileall.compile_dir(os.path.dirname(pytest_authmock.__file__), quiet=1)


def run(
    requests: int, starts: int, handshakes: int, burst: int
) -> list[tuple[str, float, float, str]]:
    discovery = "/.well-known/openid-configuration"
    _compile_package()
    static = [sys.executable, "-c", STATIC_SERVER]
    rows: list[tuple[str, float, float, str]] = []

    cold = [cold_start(SERVE, discovery) for _ in range(starts)]
    base = [cold_start(static, discovery) for _ in range(starts)]
    floor = [_import_floor() for _ in range(starts)]
    rows.append(("cold start", statistics.median(cold), statistics.median(base), "ms, median"))
    rows.append(("cold start (best)", min(cold), min(base), "ms, min"))
    # What the dependencies alone cost: a process that imports httpx, cryptography
    # and joserfc (the provider's request/response types and its JOSE) and exits.
    rows.append(("dependency imports", statistics.median(floor), statistics.median(base), "ms"))

    with process(static) as (static_url, _):
        static_token = token_median(static_url, "/oauth2/token", requests)
        static_new_heads = token_median(static_url, "/oauth2/token", requests, new_heads=True)
        static_burst = connect_burst(static_url, discovery, burst)
    for token_format in ("opaque", "jwt"):
        argv = [*SERVE, "--token-format", token_format, "--client", ":".join(CLIENT)]
        with process(argv) as (url, _):
            median = token_median(url, "/oauth2/token", requests)
            if token_format == "opaque":
                new_heads = token_median(url, "/oauth2/token", requests, new_heads=True)
                burst_ms = connect_burst(url, discovery, burst)
        rows.append((f"token ({token_format})", median, static_token, "ms, median"))
        if token_format == "opaque":
            rows.append(("  new head each time", new_heads, static_new_heads, "ms, median"))
    rows.append((f"connect burst ({burst})", burst_ms[0], static_burst[0], "ms, total"))
    rows.append(("slowest connect in burst", burst_ms[1], static_burst[1], "ms"))

    with tempfile.TemporaryDirectory() as directory:
        certs = Path(directory)
        argv = [*SERVE, "--mtls", "--certs-dir", str(certs), "--client", ":".join(CLIENT)]
        argv += ["--token-format", "opaque"]
        with process(argv) as (url, _):
            context = _client_context(certs, certs / "ca.pem")
            metadata = _metadata(url, ssl.create_default_context(cafile=str(certs / "ca.pem")))
            alias = urlsplit(metadata["mtls_endpoint_aliases"]["token_endpoint"])
            form = f"{FORM}&client_id={CLIENT[0]}"
            mtls = handshake_median(
                f"{alias.scheme}://{alias.netloc}", alias.path, form, context, handshakes
            )
        # The same handshake against a stdlib TLS server that answers static JSON.
        server_cert, server_key = _server_material(certs)
        static_tls = [*static, str(server_cert), str(server_key), str(certs / "ca.pem")]
        baseline_context = _client_context(certs, certs / "ca.pem")  # trusts both CAs
        with process(static_tls) as (static_tls_url, _):
            base_mtls = handshake_median(static_tls_url, "/t", form, baseline_context, handshakes)
    rows.append(("mTLS handshake + token", mtls, base_mtls, "ms, median"))
    return rows


def _metadata(url: str, context: ssl.SSLContext) -> dict[str, Any]:
    connection = _connection(url, context)
    connection.request("GET", "/.well-known/openid-configuration")
    body: dict[str, Any] = json.loads(connection.getresponse().read())
    connection.close()
    return body


def _server_material(certs: Path) -> tuple[Path, Path]:
    """A server certificate from the same CA, for the stdlib TLS baseline."""
    import trustme

    # authmock serve keeps its CA key in memory only; the baseline gets its own CA
    # and the client trusts both, so both handshakes do the same work.
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1")
    cert, key = certs / "static.pem", certs / "static-key.pem"
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    bundle = (certs / "ca.pem").read_bytes() + ca.cert_pem.bytes()
    (certs / "ca.pem").write_bytes(bundle)
    return cert, key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--starts", type=int, default=7)
    parser.add_argument("--handshakes", type=int, default=60)
    parser.add_argument("--burst", type=int, default=300)
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    rows = run(args.requests, args.starts, args.handshakes, args.burst)
    width = max(len(name) for name, *_ in rows)
    print(f"{'':{width}}  {'authmock':>9}  {'baseline':>9}  {'ratio':>6}  target")
    for name, value, baseline, unit in rows:
        target = TARGETS.get(name)
        verdict = "" if target is None else f"<= {target:g} {'ok' if value <= target else 'MISSED'}"
        print(
            f"{name:{width}}  {value:9.3f}  {baseline:9.3f}  {value / baseline:5.2f}x  {verdict}"
            f"  ({unit})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
