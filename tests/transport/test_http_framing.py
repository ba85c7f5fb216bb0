"""Hostile HTTP/1.1 framing over a raw socket, plain and TLS.

Every framing ambiguity (the request-smuggling catalogue: CL.TE, TE.CL, TE.TE,
bad Content-Length, bad chunks, obs-fold, bare LF) is refused and the connection
closed, so nothing after it is ever read as a request (RFC 9112 §6.1, §6.3,
§7.1, §2.2, §5.2). Every refusal reaches the client as a status, not a reset:
the server closes with a lingering close (RFC 9112 §9.6). A burst of connects
never waits on the listen backlog.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import requests
from cryptography import x509

from pytest_authmock.transport.server import LoopbackServer, RequestHandler
from pytest_authmock.transport.tls import TLSMaterial

SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"


class Recorder:
    """A handler that answers 200 with the path it saw, and remembers every path."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request, cert: x509.Certificate | None) -> httpx.Response:
        body = request.content
        with self._lock:
            self.seen.append(request.url.path)
        return httpx.Response(200, content=b"path=" + request.url.path.encode() + b" body=" + body)


@pytest.fixture(scope="module", params=["plain", "tls"])
def served(
    request: pytest.FixtureRequest, tls_material: TLSMaterial
) -> Iterator[tuple[LoopbackServer, Recorder]]:
    recorder = Recorder()
    tls = tls_material.server_context() if request.param == "tls" else None
    with LoopbackServer(recorder, tls=tls, idle_timeout=10) as server:
        yield server, recorder


@pytest.fixture
def server(served: tuple[LoopbackServer, Recorder]) -> LoopbackServer:
    return served[0]


@pytest.fixture
def seen(served: tuple[LoopbackServer, Recorder]) -> list[str]:
    recorder = served[1]
    recorder.seen.clear()
    return recorder.seen


@pytest.fixture(scope="module")
def client_context(tls_material: TLSMaterial) -> ssl.SSLContext:
    return tls_material.client_context()


def _connect(server: LoopbackServer, context: ssl.SSLContext) -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=5)
    if server.url.startswith("https://"):
        return context.wrap_socket(sock, server_hostname=server.host)
    return sock


def exchange(server: LoopbackServer, context: ssl.SSLContext, data: bytes) -> bytes:
    """Send ``data``, then read until the server closes the connection.

    A server that keeps the connection open fails the test (timeout), and so
    does one that resets it: both mean the client may not read the answer.
    """
    with _connect(server, context) as sock:
        sock.sendall(data)
        chunks: list[bytes] = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                pytest.fail(f"the server kept the connection open after {b''.join(chunks)[:80]!r}")
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def responses(answer: bytes) -> list[tuple[int, bytes, bytes]]:
    """The (status, head, body) of each response in ``answer``, framed by Content-Length."""
    found = []
    while answer:
        head, separator, rest = answer.partition(b"\r\n\r\n")
        assert separator, f"an incomplete response: {answer[:200]!r}"
        match = re.match(rb"HTTP/1\.1 (\d{3}) ", head)
        assert match, f"not a status line: {head[:80]!r}"
        length = re.search(rb"\r\ncontent-length: (\d+)", head, re.IGNORECASE)
        size = int(length.group(1)) if length else 0
        found.append((int(match.group(1)), head, rest[:size]))
        answer = rest[size:]
    return found


def statuses(answer: bytes) -> list[int]:
    return [status for status, _, _ in responses(answer)]


def assert_refused(answer: bytes, status: int, seen: list[str]) -> None:
    """One answer, ``status``, the connection closed after it, the handler never called."""
    ((found, head, _),) = responses(answer)
    assert found == status, answer[:300]
    assert b"\r\nconnection: close" in head.lower(), answer[:300]
    assert seen == [], "the handler saw a request that should have been refused"
    assert b"smuggled" not in answer


def post(headers: bytes, body: bytes = b"", *, target: bytes = b"/a") -> bytes:
    return b"POST " + target + b" HTTP/1.1\r\nHost: a\r\n" + headers + b"\r\n" + body


# -- the request smuggling catalogue ---------------------------------------------------


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        # CL.TE: a front end that frames by Content-Length forwards "0\r\n\r\n" + the
        # smuggled request as one body; a back end that frames by chunks ends at "0".
        pytest.param(
            post(b"Content-Length: 40\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n" + SMUGGLED),
            400,
            id="CL.TE",
        ),
        # TE.CL: the reverse; the chunk carries the smuggled request.
        pytest.param(
            post(
                b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
                b"%x\r\n" % len(SMUGGLED) + SMUGGLED + b"\r\n0\r\n\r\n",
            ),
            400,
            id="TE.CL",
        ),
        pytest.param(
            post(
                b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"
                b"Transfer-Encoding: identity\r\n",
                b"0\r\n\r\n" + SMUGGLED,
            ),
            # Refused for its two Transfer-Encoding fields before anything else.
            501,
            id="CL.TE-with-second-TE",
        ),
    ],
)
def test_content_length_and_transfer_encoding_together_are_refused(
    server: LoopbackServer,
    client_context: ssl.SSLContext,
    seen: list[str],
    request_bytes: bytes,
    status: int,
) -> None:
    # RFC 9112 §6.1: a server MAY reject such a request and MUST close after it.
    assert_refused(exchange(server, client_context, request_bytes), status, seen)


@pytest.mark.parametrize(
    ("field_lines", "status"),
    [
        # Two Transfer-Encoding fields: the first or the last may win elsewhere.
        pytest.param(
            b"Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n", 501, id="two-fields"
        ),
        pytest.param(b"Transfer-Encoding: xchunked\r\n", 501, id="xchunked"),
        pytest.param(b"Transfer-Encoding: identity, chunked\r\n", 501, id="identity-chunked"),
        pytest.param(b"Transfer-Encoding: chunked, chunked\r\n", 501, id="chunked-twice"),
        pytest.param(b'Transfer-Encoding: "chunked"\r\n', 501, id="quoted"),
        # Whitespace other than SP/HTAB around the value (RFC 9110 §5.6.3).
        pytest.param(b"Transfer-Encoding:\x0bchunked\r\n", 400, id="vertical-tab"),
        pytest.param(b"Transfer-Encoding: chunked\x0c\r\n", 400, id="form-feed"),
        # Whitespace before the colon (RFC 9112 §5.1).
        pytest.param(b"Transfer-Encoding : chunked\r\n", 400, id="space-before-colon"),
        # The field folded onto the previous line (RFC 9112 §5.2).
        pytest.param(b"X-Pad: a\r\n Transfer-Encoding: chunked\r\n", 400, id="obs-fold"),
        pytest.param(b"X-Pad: a\r\n\tTransfer-Encoding: chunked\r\n", 400, id="obs-fold-tab"),
    ],
)
def test_obfuscated_transfer_encoding_is_refused(
    server: LoopbackServer,
    client_context: ssl.SSLContext,
    seen: list[str],
    field_lines: bytes,
    status: int,
) -> None:
    answer = exchange(server, client_context, post(field_lines, b"0\r\n\r\n" + SMUGGLED))
    assert_refused(answer, status, seen)


def test_transfer_encoding_in_http10_is_refused(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str]
) -> None:
    # RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
    request = b"POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED
    assert_refused(exchange(server, client_context, request), 400, seen)


@pytest.mark.parametrize(
    "field_lines",
    [
        pytest.param(b"Content-Length: 1\r\nContent-Length: 2\r\n", id="two-values"),
        pytest.param(b"Content-Length: 1, 2\r\n", id="list-of-two"),
        pytest.param(b"Content-Length: +2\r\n", id="plus"),
        pytest.param(b"Content-Length: -1\r\n", id="minus"),
        pytest.param(b"Content-Length: 0x2\r\n", id="hex"),
        pytest.param(b"Content-Length: 2.0\r\n", id="decimal"),
        pytest.param(b"Content-Length: 1 1\r\n", id="inner-space"),
        pytest.param(b"Content-Length:\r\n", id="empty"),
        pytest.param(b"Content-Length: 99999999999999999999999\r\n", id="huge"),
    ],
)
def test_invalid_content_length_is_refused(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str], field_lines: bytes
) -> None:
    # RFC 9112 §6.3 (5): an unrecoverable error.
    answer = exchange(server, client_context, post(field_lines, b"ab" + SMUGGLED))
    assert_refused(answer, 400, seen)


def test_identical_content_lengths_frame_the_body_once(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str]
) -> None:
    # RFC 9112 §6.3 (5): a list of identical valid values is that value.
    request = post(b"Content-Length: 2\r\nContent-Length: 2\r\n", b"ab")
    answer = exchange(
        server,
        client_context,
        request + b"GET /next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    )
    assert statuses(answer) == [200, 200]
    assert seen == ["/a", "/next"]
    assert b"path=/a body=ab" in answer


# -- chunked bodies ------------------------------------------------------------------


@pytest.mark.parametrize("size", [b"0x1d", b"+1d", b"1_d", b" 1d", b"-0", b"1d\x0b"])
def test_chunk_sizes_are_hex_digits_only(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str], size: bytes
) -> None:
    # RFC 9112 §7.1: chunk-size = 1*HEXDIG.
    body = size + b"\r\n" + b"x" * 29 + b"\r\n0\r\n\r\n"
    answer = exchange(server, client_context, post(b"Transfer-Encoding: chunked\r\n", body))
    assert_refused(answer, 400, seen)


def test_chunk_data_must_end_with_crlf(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str]
) -> None:
    body = b"4\r\nabcdXY\r\n0\r\n\r\n" + SMUGGLED
    answer = exchange(server, client_context, post(b"Transfer-Encoding: chunked\r\n", body))
    assert_refused(answer, 400, seen)


def test_a_chunk_extension_never_turns_into_data(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str]
) -> None:
    # A size line cut at a fixed length would read the tail of this extension
    # ("Q") as the chunk's data, and the "0" line as the end of the body.
    body = b"1;" + b"z" * 1022 + b"Q;x\r\n0\r\n\r\n" + SMUGGLED
    answer = exchange(server, client_context, post(b"Transfer-Encoding: chunked\r\n", body))
    assert_refused(answer, 400, seen)


def test_an_over_long_chunk_extension_is_refused(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str]
) -> None:
    body = b"1;ext=" + b"z" * 8000 + b"\r\nQ\r\n0\r\n\r\n"
    answer = exchange(server, client_context, post(b"Transfer-Encoding: chunked\r\n", body))
    assert_refused(answer, 400, seen)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"4\nabcd\r\n0\r\n\r\n", id="size-line"),
        pytest.param(b"4\r\nabcd\r\n0\r\n\n", id="last-chunk-end"),
        pytest.param(b"4\r\nabcd\r\n0\r\nX-Trailer: t\n\r\n", id="trailer"),
    ],
)
def test_bare_lf_in_chunked_framing_is_refused(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str], body: bytes
) -> None:
    answer = exchange(server, client_context, post(b"Transfer-Encoding: chunked\r\n", body))
    assert_refused(answer, 400, seen)


def test_a_well_formed_chunked_body_with_extension_and_trailer_is_served(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str]
) -> None:
    body = b"4;name=value\r\nabcd\r\n2\r\nef\r\n0\r\nX-Trailer: t\r\n\r\n"
    request = post(b"Transfer-Encoding: chunked\r\nConnection: close\r\n", body)
    answer = exchange(server, client_context, request)
    assert statuses(answer) == [200]
    assert answer.endswith(b"path=/a body=abcdef")


# -- the request head ------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_bytes",
    [
        # RFC 9112 §3.2: 400 to any HTTP/1.1 request without Host, with more than
        # one, or with an invalid one.
        pytest.param(b"GET / HTTP/1.1\r\n\r\n", id="no-host"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", id="two-hosts"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", id="same-host-twice"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", id="host-with-space"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", id="host-with-slash"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", id="host-with-userinfo"),
        # RFC 9110 §5.5: CR, LF and NUL in a field value are invalid and dangerous.
        pytest.param(b"GET / HTTP/1.1\r\nHost: a\r\nX-Value: a\x00b\r\n\r\n", id="nul"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: a\r\nX-Value: \x00\r\n\r\n", id="only-nul"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: a\r\nX-Value: a\rb\r\n\r\n", id="bare-cr"),
        pytest.param(
            b"GET / HTTP/1.1\r\nHost: a\r\nX-Value: a\rTransfer-Encoding: chunked\r\n\r\n",
            id="bare-cr-field",
        ),
        # RFC 9112 §2.2 lets a recipient accept a bare LF; a front end that does not
        # would frame the same bytes differently, so this server refuses it.
        pytest.param(b"GET / HTTP/1.1\nHost: a\n\n", id="bare-lf-all-lines"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", id="bare-lf-field-line"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: a\r\n\n", id="bare-lf-end-of-head"),
        pytest.param(b"GET / HTTP/1.1\nHost: a\r\n\r\n", id="bare-lf-request-line"),
        # RFC 9112 §5.2: reject with 400 (or replace with SP; this server rejects).
        pytest.param(b"GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n", id="obs-fold"),
    ],
)
def test_hostile_heads_are_refused(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str], request_bytes: bytes
) -> None:
    assert_refused(exchange(server, client_context, request_bytes + SMUGGLED), 400, seen)


def test_http10_without_host_is_served(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str]
) -> None:
    answer = exchange(server, client_context, b"GET /old HTTP/1.0\r\n\r\n")
    assert statuses(answer) == [200]
    assert seen == ["/old"]


# -- refusals reach the client ---------------------------------------------------------


def test_a_refusal_with_unread_input_reaches_a_raw_client(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str]
) -> None:
    # 1 MB of header: refused after the first 64 KiB, the rest still on its way.
    request = b"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer " + b"a" * 1_000_000
    answer = exchange(server, client_context, request + b"\r\n\r\n")
    assert_refused(answer, 431, seen)


def test_a_refused_body_reaches_a_raw_client(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str]
) -> None:
    request = post(b"Content-Length: 2000000\r\n", b"b" * 2_000_000)
    assert_refused(exchange(server, client_context, request), 413, seen)


def test_httpx_reads_the_431_for_a_one_megabyte_bearer_token(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str]
) -> None:
    with httpx.Client(verify=client_context) as client:
        response = client.get(
            server.url + "/api/me", headers={"Authorization": "Bearer " + "t" * 1_000_000}
        )
    assert response.status_code == 431
    assert response.headers["connection"] == "close"
    assert seen == []


def test_httpx_reads_the_413_for_an_oversized_body(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str]
) -> None:
    with httpx.Client(verify=client_context) as client:
        response = client.post(server.url + "/oauth2/token", content=b"x" * 3_000_000)
    assert response.status_code == 413
    assert seen == []


def test_requests_reads_the_431_for_a_one_megabyte_bearer_token(
    server: LoopbackServer, tls_material: TLSMaterial, seen: list[str]
) -> None:
    response = requests.get(
        server.url + "/api/me",
        headers={"Authorization": "Bearer " + "t" * 1_000_000},
        verify=str(tls_material.ca_pem),
        timeout=10,
    )
    assert response.status_code == 431
    assert seen == []


def test_http_client_reads_the_413_while_still_sending_the_body(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str]
) -> None:
    # More than the socket buffers hold: the client is still writing when the
    # server answers, so the server must keep reading until the client is done.
    if server.url.startswith("https://"):
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            server.host, server.port, context=client_context, timeout=10
        )
    else:
        connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        connection.request("POST", "/oauth2/token", body=b"x" * 4_000_000)
        response = connection.getresponse()
        assert response.status == 413
        assert response.getheader("Connection") == "close"
    finally:
        connection.close()
    assert seen == []


def test_pipelined_requests_are_answered_in_order(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str]
) -> None:
    request = (
        post(b"Content-Length: 3\r\n", b"one")
        + b"GET /two HTTP/1.1\r\nHost: a\r\n\r\n"
        + post(b"Content-Length: 5\r\nConnection: close\r\n", b"three", target=b"/three")
    )
    answer = exchange(server, client_context, request)
    assert statuses(answer) == [200, 200, 200]
    assert seen == ["/a", "/two", "/three"]


def test_a_request_sent_a_byte_at_a_time_is_served(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str]
) -> None:
    request = post(b"Content-Length: 3\r\nConnection: close\r\n", b"abc", target=b"/slow")
    with _connect(server, client_context) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for index in range(len(request)):
            sock.sendall(request[index : index + 1])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert [body for _, _, body in responses(answer)] == [b"path=/slow body=abc"]


def test_a_good_request_then_a_bad_one_answers_both_and_closes(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str]
) -> None:
    request = b"GET /first HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\n\r\n" + SMUGGLED
    answer = exchange(server, client_context, request)
    assert statuses(answer) == [200, 400]
    assert seen == ["/first"]


# -- a head read once is not read again ------------------------------------------------


def test_a_refused_head_is_refused_every_time(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str]
) -> None:
    request = post(b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n")
    for _ in range(3):
        assert_refused(exchange(server, client_context, request), 400, seen)


def test_a_repeated_head_carries_each_body(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str]
) -> None:
    # Same head three times (so read by h11 once), three different bodies.
    request = b"".join(post(b"Content-Length: 3\r\n", body) for body in (b"one", b"two", b"six"))
    answer = exchange(
        server, client_context, request + b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    )
    assert [body for _, _, body in responses(answer)] == [
        b"path=/a body=one",
        b"path=/a body=two",
        b"path=/a body=six",
        b"path=/x body=",
    ]


def test_a_head_one_byte_away_from_an_accepted_one_is_read_again(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str]
) -> None:
    good = b"GET /same HTTP/1.1\r\nHost: a\r\nX-Pad: b\r\nConnection: close\r\n\r\n"
    assert statuses(exchange(server, client_context, good)) == [200]
    seen.clear()
    bare_lf = good.replace(b"X-Pad: b\r\n", b"X-Pad: b\n")
    assert_refused(exchange(server, client_context, bare_lf), 400, seen)


def test_expect_100_continue_is_answered_on_every_request(
    server: LoopbackServer, client_context: ssl.SSLContext, seen: list[str]
) -> None:
    head = post(b"Content-Length: 4\r\nExpect: 100-continue\r\n")
    with _connect(server, client_context) as sock:
        for body in (b"abcd", b"efgh"):
            sock.sendall(head)
            assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
            sock.sendall(body)
            answer = b""
            while not answer.endswith(b"body=" + body):
                chunk = sock.recv(65536)
                assert chunk, answer
                answer += chunk
            assert statuses(answer) == [200]


# -- idle connections ---------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["plain", "tls"])
def test_an_idle_keep_alive_connection_is_closed(
    tls_material: TLSMaterial, client_context: ssl.SSLContext, scheme: str
) -> None:
    tls = tls_material.server_context() if scheme == "tls" else None
    with LoopbackServer(Recorder(), tls=tls, idle_timeout=0.3) as idle:
        with _connect(idle, client_context) as sock:
            sock.sendall(b"GET /once HTTP/1.1\r\nHost: a\r\n\r\n")
            answer = sock.recv(65536)
            assert statuses(answer) == [200]
            started = time.monotonic()
            assert sock.recv(65536) == b"", "the server answered nothing yet sent data"
            assert time.monotonic() - started < 3.0
        deadline = time.monotonic() + 3.0
        while idle.open_connections and time.monotonic() < deadline:
            time.sleep(0.01)
        assert idle.open_connections == 0


# -- many connections at once -----------------------------------------------------------


def test_a_burst_of_connects_never_waits_on_the_backlog(echo: RequestHandler) -> None:
    """300 connects back to back, all held open, then a request on each.

    A listen backlog the accept loop cannot keep up with drops SYNs, and the
    client retries a whole second later.
    """
    count = 300
    with LoopbackServer(echo) as burst:
        sockets: list[socket.socket] = []
        slowest = 0.0
        started = time.perf_counter()
        try:
            for _ in range(count):
                before = time.perf_counter()
                sockets.append(socket.create_connection((burst.host, burst.port), timeout=10))
                slowest = max(slowest, time.perf_counter() - before)
            for sock in sockets:
                sock.sendall(b"GET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            answers = []
            for sock in sockets:
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
                answers.append(answer)
        finally:
            for sock in sockets:
                sock.close()
        elapsed = time.perf_counter() - started
    assert all(answer.startswith(b"HTTP/1.1 200 ") for answer in answers)
    assert slowest < 0.5, f"one connect waited {slowest * 1000:.0f} ms (a dropped SYN)"
    assert elapsed < 5.0, f"{count} connections took {elapsed:.1f} s"
