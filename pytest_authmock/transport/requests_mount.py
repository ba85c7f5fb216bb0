"""``requests`` in-process: the provider answers ``requests`` calls without a socket.

SDKs built on ``requests`` reach the provider the way httpx clients do through
respx: every ``requests`` call to the issuer's origin, or to a URL given to
``idp.protect()``, is answered by :meth:`FakeIdP.handle`. The interception is
the `responses <https://github.com/getsentry/responses>`_ library's (it patches
``requests.adapters.HTTPAdapter.send``), so adapters, sessions, retries and hooks
of the SDK under test run as they do in production.

Every request the provider does not own is handed on to whatever sent requests
before the mount started: the real adapter (a live server, an ``idp_server``),
or a ``responses``/``requests-mock`` mock started earlier; with
``unrouted="fail"`` it is refused with authmock's own message instead
(:class:`~pytest_authmock.transport.routing.UnroutedRequest`).

Connection faults planned on the provider raise what ``requests`` raises over a
real socket (``ReadTimeout``, ``ConnectionError``), and a delay longer than the
call's read timeout ends in ``ReadTimeout`` after that timeout.

A client certificate given to ``requests`` (``cert=("client.pem", "key.pem")``)
is read and presented to the provider as the TLS peer certificate, as is an
RFC 9440 ``Client-Cert`` header. Like the httpx Client-Cert simulation this
proves nothing about the private key and checks no chain: tests of real
handshakes belong on ``idp_server`` with ``mtls=True``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import httpx
import requests
import responses
from cryptography import x509
from requests.adapters import HTTPAdapter
from urllib3._collections import HTTPHeaderDict  # public in urllib3 2, here in 1.26 too

from pytest_authmock.transport.client_cert_header import bad_client_cert, peer_cert_from_headers
from pytest_authmock.transport.in_process import ConnectionErrors, deliver
from pytest_authmock.transport.routing import (
    ProviderURLs,
    UnroutedRequest,
    check_unrouted,
    unrouted_message,
)

if TYPE_CHECKING:
    from requests import PreparedRequest

    from pytest_authmock.provider.idp import FakeIdP

# responses matches a method exactly; these are all a client sends an IdP or an API.
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_ANY_URL = re.compile(".*")

Answer = tuple[int, HTTPHeaderDict, bytes]


class RequestsMount:
    """Answers ``requests`` calls to the provider's URLs with :meth:`FakeIdP.handle`.

    ``unrouted="passthrough"`` (the default) sends every other request on;
    ``"fail"`` raises :class:`UnroutedRequest` with authmock's message.
    """

    def __init__(self, idp: FakeIdP, *, unrouted: str = "passthrough") -> None:
        self.idp = idp
        self.unrouted = check_unrouted(unrouted)
        self.urls = ProviderURLs(idp)
        self._mock: responses.RequestsMock | None = None

    def start(self) -> RequestsMount:
        # Pass-through goes to what HTTPAdapter.send is *now*: another mock started
        # before this one keeps answering its own URLs.
        mock = responses.RequestsMock(
            assert_all_requests_are_fired=False,
            # Whatever it is now (typeshed spells send's signature differently).
            real_adapter_send=cast(Any, HTTPAdapter.send),
        )
        for method in _METHODS:
            mock.add_callback(
                method, _ANY_URL, callback=self._answer, content_type=None, match=[self._ours]
            )
            if self.unrouted == "fail":
                mock.add_callback(
                    method,
                    _ANY_URL,
                    callback=self._refuse,
                    content_type=None,
                    match=[self._not_ours],
                )
        if self.unrouted != "fail":
            mock.add_passthru(_ANY_URL)
        mock.start()
        self._mock = mock
        return self

    def stop(self) -> None:
        if self._mock is not None:
            self._mock.stop(allow_assert=False)
            self._mock = None

    def __enter__(self) -> RequestsMount:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- matching: the two matchers never both match, so responses never reorders them --

    def _ours(self, request: PreparedRequest) -> tuple[bool, str]:
        if httpx.URL(str(request.url)) in self.urls:
            return True, ""
        return False, f"not {self.idp.issuer} nor a protected URL"

    def _not_ours(self, request: PreparedRequest) -> tuple[bool, str]:
        matched, _ = self._ours(request)
        return not matched, ""

    # -- answering ------------------------------------------------------------------

    def _answer(self, prepared: PreparedRequest) -> Answer:
        request = to_httpx_request(prepared)
        try:
            peer_cert = _requests_client_cert(prepared) or peer_cert_from_headers(request.headers)
        except ValueError as error:
            response = bad_client_cert(str(error))
        else:
            response = self.idp.handle(request, peer_cert=peer_cert)
        # Reading a late body sleeps (responses calls back synchronously); a
        # connection fault raises requests' own exception here.
        response = deliver(prepared, response, REQUESTS_ERRORS)
        return response.status_code, _headers(response.headers.multi_items()), response.read()

    def _refuse(self, prepared: PreparedRequest) -> Answer:
        raise UnroutedRequest(
            unrouted_message(str(prepared.method), str(prepared.url), [self.idp.issuer])
        )


def to_httpx_request(prepared: PreparedRequest) -> httpx.Request:
    """The provider's view of a ``requests`` call: method, URL, headers and body."""
    body = prepared.body
    if body is None:
        content = b""
    elif isinstance(body, str):
        content = body.encode()
    elif isinstance(body, bytes):
        content = body
    else:  # a generator of chunks (chunked upload); responses already read file bodies
        content = b"".join(
            chunk.encode() if isinstance(chunk, str) else bytes(chunk) for chunk in _chunks(body)
        )
    headers = [
        (name, value if isinstance(value, str) else value.decode("latin-1"))
        for name, value in prepared.headers.items()
    ]
    return httpx.Request(str(prepared.method), str(prepared.url), headers=headers, content=content)


def _headers(items: Iterable[tuple[str, str]]) -> HTTPHeaderDict:
    # A header dict that keeps repeated fields (two Set-Cookie, two WWW-Authenticate).
    headers = HTTPHeaderDict()
    for name, value in items:
        headers.add(name, value)
    return headers


def _chunks(body: Any) -> Iterable[Any]:
    return body if isinstance(body, Iterable) else [body]


def _requests_client_cert(prepared: PreparedRequest) -> x509.Certificate | None:
    """The certificate of ``requests``' ``cert=`` argument (a PEM path or (cert, key) pair)."""
    kwargs = getattr(prepared, "req_kwargs", {}) or {}
    cert = kwargs.get("cert")
    if not cert:
        return None
    path = cert[0] if isinstance(cert, (tuple, list)) else cert
    try:
        pem = Path(path).read_bytes()
        return x509.load_pem_x509_certificate(pem)
    except (OSError, ValueError) as error:
        raise ValueError(
            f"the client certificate given to requests (cert={path!r}) is not a readable PEM "
            f"certificate: {type(error).__name__}"
        ) from None


def _read_timeout(prepared: PreparedRequest) -> float | None:
    timeout = (getattr(prepared, "req_kwargs", {}) or {}).get("timeout")
    if isinstance(timeout, (tuple, list)):
        timeout = timeout[1]
    elif timeout is not None and hasattr(timeout, "read_timeout"):  # urllib3 Timeout
        timeout = timeout.read_timeout
    return float(timeout) if isinstance(timeout, (int, float)) else None


def _pool(prepared: PreparedRequest) -> str:
    url = httpx.URL(str(prepared.url))
    kind = "HTTPSConnectionPool" if url.scheme == "https" else "HTTPConnectionPool"
    port = url.port or (443 if url.scheme == "https" else 80)
    return f"{kind}(host={url.host!r}, port={port})"


def _timed_out(prepared: PreparedRequest) -> requests.RequestException:
    return requests.ReadTimeout(
        f"{_pool(prepared)}: Read timed out. (read timeout={_read_timeout(prepared)})",
        request=prepared,
    )


#: What a real socket does to a ``requests`` call, with the messages requests and
#: urllib3 print, so a log line or an ``except`` clause tested here reads the same
#: in production. A delay longer than the read timeout ends in ``ReadTimeout``.
REQUESTS_ERRORS: ConnectionErrors[PreparedRequest] = ConnectionErrors(
    timeout=_timed_out,
    disconnect=lambda prepared: requests.ConnectionError(
        "('Connection aborted.', RemoteDisconnected('Remote end closed connection "
        "without response'))",
        request=prepared,
    ),
    refuse=lambda prepared: requests.ConnectionError(
        f"{_pool(prepared)}: Max retries exceeded with url: {prepared.path_url} "
        "(Caused by NewConnectionError('Failed to establish a new connection: "
        "[Errno 111] Connection refused'))",
        request=prepared,
    ),
    read_timeout=_read_timeout,
)


__all__ = ["REQUESTS_ERRORS", "RequestsMount", "to_httpx_request"]
