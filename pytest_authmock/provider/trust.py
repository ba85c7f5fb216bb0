"""Keys of other parties: clients' JWKS URIs and the issuers a test trusts.

``private_key_jwt`` clients may register a ``jwks_uri`` instead of keys; the
JWT bearer grant (RFC 7523 §2.1) and token exchange (RFC 8693) accept JWTs
from issuers the test trusts with ``idp.trust_issuer()``. Both fetch JWKS over
HTTP the way a real provider does: once, cached, and again when a token names
a ``kid`` the cached set lacks (the other party rotated its keys).
"""

from __future__ import annotations

import dataclasses
import http.client
import ipaddress
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import httpx
from joserfc.jwk import Key

from pytest_authmock.provider.errors import InvalidRequest
from pytest_authmock.provider.jwtcheck import (
    MAX_ASSERTION_LIFETIME,
    ErrorType,
    audiences,
    check_times,
    import_jwks,
    peek,
    verify_with_refresh,
)
from pytest_authmock.provider.limits import load_json, shown
from pytest_authmock.provider.paths import PATHS
from pytest_authmock.provider.replay import ReplayCache

#: Seconds a JWKS fetch may take in all (connecting, and reading every byte):
#: a test's own server answers at once, and the provider waits while it fetches.
FETCH_TIMEOUT = 5.0
#: Larger JWKS documents are refused: a real one with a few keys is a few kB.
MAX_JWKS_BYTES = 256 * 1024
#: JWKS URIs remembered at once; the oldest is forgotten (and fetched again if
#: needed): any client may register a jwks_uri of its choice.
MAX_CACHED_URIS = 256


class FetchError(Exception):
    """A JWKS fetch failed; the message says how, for the error answered."""


class JwksFetcher:
    """JWKS documents fetched by URL, cached per provider (a reset forgets them).

    A fetch is bounded in time (:data:`FETCH_TIMEOUT`) and size
    (:data:`MAX_JWKS_BYTES`), follows no redirect, and a document that is not a
    JWKS is refused; every failure is the caller's OAuth error, never a 5xx.
    """

    def __init__(self, get: Callable[[str], httpx.Response] | None = None) -> None:
        self._get = get or _http_get
        self._cache: dict[str, list[Key]] = {}

    def keys(self, uri: str, *, error: ErrorType, refresh: bool = False) -> list[Key]:
        if not refresh and uri in self._cache:
            return self._cache[uri]
        try:
            response = self._get(uri)
        except (httpx.HTTPError, httpx.InvalidURL, FetchError) as exc:
            raise error(f"cannot fetch the JWKS at {uri}: {type(exc).__name__}: {exc}") from None
        if response.is_redirect:
            raise error(
                f"the JWKS at {uri} answered HTTP {response.status_code}, a redirect; "
                "this provider does not follow redirects for keys: register the final URL"
            )
        if response.status_code != 200:
            raise error(f"the JWKS at {uri} answered HTTP {response.status_code}")
        what = f"the document at {uri}"
        try:
            keys = import_jwks(load_json(response.content, what=what), what=what)
        except InvalidRequest as exc:
            raise error(exc.description) from None
        except ValueError as exc:
            raise error(str(exc)) from None
        self._cache.pop(uri, None)
        if len(self._cache) >= MAX_CACHED_URIS:
            del self._cache[next(iter(self._cache))]
        self._cache[uri] = keys
        return keys


def _http_get(uri: str) -> httpx.Response:
    scheme = uri.partition(":")[0].lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"only http and https URLs are fetched, not {scheme}:")
    if _is_loopback(uri):
        return _socket_get(uri)
    # httpx, so that a test's in-process hosts (respx routes, other in-process
    # providers) answer as they answer the test's own clients.
    deadline = time.monotonic() + FETCH_TIMEOUT
    with (
        httpx.Client(timeout=FETCH_TIMEOUT, follow_redirects=False) as http,
        http.stream("GET", uri, headers={"Accept": "application/json"}) as answer,
    ):
        # Decoded chunk by chunk, so the size bound holds for a compressed body too.
        body = _bounded(answer.iter_bytes(), deadline)
        location = answer.headers.get("location")
        headers = {"Location": location} if location is not None else None
        return httpx.Response(answer.status_code, headers=headers, content=body)


def _bounded(chunks: Iterable[bytes], deadline: float) -> bytes:
    """The body, or :class:`FetchError` once it passes the size or the time allowed."""
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > MAX_JWKS_BYTES:
            raise FetchError(f"the document is larger than {MAX_JWKS_BYTES} bytes")
        if time.monotonic() > deadline:
            raise FetchError(f"the document took longer than {FETCH_TIMEOUT:g} s to arrive")
    return bytes(body)


def _is_loopback(uri: str) -> bool:
    host = httpx.URL(uri).host
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        # The 3xx reaches the caller as it is: a redirect could lead anywhere.
        return None


def _socket_get(uri: str) -> httpx.Response:
    """GET over a real socket, past any httpx mock: a loopback URL is a real server.

    The in-process transport mocks httpx itself, and may refuse what it does
    not route; a document the test serves on 127.0.0.1 must still be reachable.
    """
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())
    request = urllib.request.Request(uri, headers={"Accept": "application/json"})  # noqa: S310
    deadline = time.monotonic() + FETCH_TIMEOUT
    try:
        with opener.open(request, timeout=FETCH_TIMEOUT) as answer:
            # read1: one receive at a time, so the deadline is checked as bytes trickle in.
            chunks = iter(lambda: answer.read1(64 * 1024), b"")
            return httpx.Response(answer.status, content=_bounded(chunks, deadline))
    except urllib.error.HTTPError as exc:
        return httpx.Response(exc.code, headers=dict(exc.headers or {}), content=b"")
    except (OSError, ValueError, http.client.HTTPException) as exc:
        raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from None


@dataclasses.dataclass(frozen=True)
class TrustedIssuer:
    """An issuer whose JWTs this provider accepts as grants and subject tokens.

    Exactly one key source: ``jwks`` (fixed keys), ``jwks_uri`` (fetched), or
    ``live_jwks`` (a callable, e.g. another fake provider's current JWKS, so
    its key rotations are seen at once).
    """

    issuer: str
    #: The ``aud`` its tokens must carry; ``None``: this provider (issuer or token endpoint).
    audience: str | None = None
    #: Claims copied from its tokens into the access tokens this provider issues.
    copy_claims: tuple[str, ...] = ()
    jwks: tuple[Key, ...] = ()
    jwks_uri: str | None = None
    live_jwks: Callable[[], Mapping[str, Any]] | None = dataclasses.field(
        default=None, compare=False
    )

    def keys(self, fetcher: JwksFetcher, *, error: ErrorType, refresh: bool = False) -> list[Key]:
        if self.live_jwks is not None:
            try:
                return import_jwks(self.live_jwks(), what=f"the JWKS of {self.issuer}")
            except ValueError as exc:
                raise error(str(exc)) from None
        if self.jwks_uri is not None:
            return fetcher.keys(self.jwks_uri, error=error, refresh=refresh)
        return list(self.jwks)


class TrustState:
    """The issuers one provider trusts, and the JWKS it fetched."""

    def __init__(self) -> None:
        self.issuers: dict[str, TrustedIssuer] = {}
        self.fetcher = JwksFetcher()


@dataclasses.dataclass(frozen=True)
class ForeignJwt:
    """A JWT from a trusted issuer, verified: its issuer entry and its claims."""

    trusted: TrustedIssuer
    claims: dict[str, Any]


def verify_trusted_jwt(
    token: str,
    trust: TrustState,
    *,
    error: ErrorType,
    what: str,
) -> ForeignJwt:
    """Signature of a JWT from a trusted issuer; the caller checks the claims."""
    header, claims = peek(token, error=error, what=what)
    issuer = claims.get("iss")
    trusted = trust.issuers.get(issuer) if isinstance(issuer, str) else None
    if trusted is None:
        known = ", ".join(sorted(trust.issuers)) or "none"
        raise error(
            f"{what} was issued by {shown(issuer, 120)}, which this provider does not trust "
            f"(trusted: {known}); call idp.trust_issuer({shown(issuer, 120)}, ...) in the test"
        )

    def load(refresh: bool) -> list[Key]:
        return trusted.keys(trust.fetcher, error=error, refresh=refresh)

    verify_with_refresh(token, header, load, error=error, what=what)
    return ForeignJwt(trusted=trusted, claims=claims)


def check_trusted_claims(
    found: ForeignJwt,
    *,
    issuer: str,
    now: float,
    error: ErrorType,
    what: str,
    replay: ReplayCache | None = None,
) -> str:
    """RFC 7523 §3 on a verified JWT from a trusted issuer; returns its ``sub``.

    ``aud`` must name the audience the trust was set up with, else this provider:
    its ``issuer`` or its token endpoint URL. ``replay`` given: a ``jti`` is
    single-use (RFC 7523 §3 lets the server refuse a reused one), and ``exp`` at
    most :data:`MAX_ASSERTION_LIFETIME` ahead (a subject token, checked without
    ``replay``, is not remembered, so it may live longer).
    """
    claims = found.claims
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise error(f"{what} has no 'sub' claim (RFC 7523 §3 requires one)")
    expected = (
        (found.trusted.audience,)
        if found.trusted.audience
        else (
            issuer,
            issuer + PATHS["token"],
        )
    )
    given = audiences(claims)
    if not any(value in expected for value in given):
        raise error(
            f"{what} aud {shown(given or None, 120)} does not name this provider; expected "
            f"{' or '.join(map(repr, expected))}"
        )
    # A replayable assertion is remembered until its exp: bound how long that is.
    lifetime = MAX_ASSERTION_LIFETIME if replay is not None else None
    exp = check_times(claims, now, error=error, what=what, max_lifetime=lifetime)
    jti = claims.get("jti")
    if (
        replay is not None
        and isinstance(jti, str)
        and exp is not None
        and not replay.use("assertion", found.trusted.issuer, jti, until=exp, now=now)
    ):
        raise error(
            f"{what} jti {shown(jti)} was already used; each assertion is good for one grant"
        )
    return sub


def copied_claims(found: ForeignJwt) -> dict[str, Any]:
    """The claims the trust copies into tokens issued here."""
    return {name: found.claims[name] for name in found.trusted.copy_claims if name in found.claims}
