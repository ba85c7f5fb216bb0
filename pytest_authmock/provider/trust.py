"""Keys of other parties: clients' JWKS URIs and the issuers a test trusts.

``private_key_jwt`` clients may register a ``jwks_uri`` instead of keys; the
JWT bearer grant (RFC 7523 §2.1) and token exchange (RFC 8693) accept JWTs
from issuers the test trusts with ``idp.trust_issuer()``. Both fetch JWKS over
HTTP the way a real provider does: once, cached, and again when a token names
a ``kid`` the cached set lacks (the other party rotated its keys).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from joserfc.jwk import Key

from pytest_authmock.provider.jwtcheck import (
    ErrorType,
    audiences,
    check_times,
    import_jwks,
    peek,
    verify_with_refresh,
)
from pytest_authmock.provider.paths import PATHS
from pytest_authmock.provider.replay import ReplayCache

#: Seconds to wait for a JWKS document; a test's own server answers at once.
FETCH_TIMEOUT = 5.0


class JwksFetcher:
    """JWKS documents fetched by URL, cached per provider (a reset forgets them)."""

    def __init__(self, get: Callable[[str], httpx.Response] | None = None) -> None:
        self._get = get or _http_get
        self._cache: dict[str, list[Key]] = {}

    def keys(self, uri: str, *, error: ErrorType, refresh: bool = False) -> list[Key]:
        if not refresh and uri in self._cache:
            return self._cache[uri]
        try:
            response = self._get(uri)
        except httpx.HTTPError as exc:
            raise error(f"cannot fetch the JWKS at {uri}: {type(exc).__name__}: {exc}") from None
        if response.status_code != 200:
            raise error(f"the JWKS at {uri} answered HTTP {response.status_code}")
        try:
            keys = import_jwks(response.json(), what=f"the document at {uri}")
        except ValueError as exc:
            raise error(str(exc)) from None
        self._cache[uri] = keys
        return keys


def _http_get(uri: str) -> httpx.Response:
    if _is_loopback(uri):
        return _socket_get(uri)
    # httpx, so that a test's in-process hosts (respx routes, other in-process
    # providers) answer as they answer the test's own clients.
    with httpx.Client(timeout=FETCH_TIMEOUT) as http:
        return http.get(uri, headers={"Accept": "application/json"})


def _is_loopback(uri: str) -> bool:
    host = httpx.URL(uri).host
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _socket_get(uri: str) -> httpx.Response:
    """GET over a real socket, past any httpx mock: a loopback URL is a real server.

    The in-process transport mocks httpx itself, and may refuse what it does
    not route; a document the test serves on 127.0.0.1 must still be reachable.
    """
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(uri, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with opener.open(request, timeout=FETCH_TIMEOUT) as answer:
            return httpx.Response(answer.status, content=answer.read())
    except urllib.error.HTTPError as exc:
        return httpx.Response(exc.code, content=exc.read())
    except (OSError, ValueError) as exc:
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
    #: The last live JWKS document (as JSON) and its imported keys: importing, an
    #: RSA key above all, costs far more than comparing documents, and a key
    #: rotation changes the document.
    _live_cache: list[tuple[str, list[Key]]] = dataclasses.field(
        default_factory=list, compare=False, repr=False
    )

    def keys(self, fetcher: JwksFetcher, *, error: ErrorType, refresh: bool = False) -> list[Key]:
        if self.live_jwks is not None:
            document = self.live_jwks()
            text = json.dumps(document, sort_keys=True, default=repr)
            cache = self._live_cache
            if cache and cache[0][0] == text:
                return list(cache[0][1])
            try:
                keys = import_jwks(document, what=f"the JWKS of {self.issuer}")
            except ValueError as exc:
                raise error(str(exc)) from None
            cache[:] = [(text, keys)]
            return list(keys)
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
    peeked: tuple[dict[str, Any], dict[str, Any]] | None = None,
) -> ForeignJwt:
    """Signature of a JWT from a trusted issuer; the caller checks the claims.

    ``peeked``: the token's header and claims, when the caller has read them already.
    """
    header, claims = peeked or peek(token, error=error, what=what)
    issuer = claims.get("iss")
    trusted = trust.issuers.get(issuer) if isinstance(issuer, str) else None
    if trusted is None:
        known = ", ".join(sorted(trust.issuers)) or "none"
        raise error(
            f"{what} was issued by {issuer!r}, which this provider does not trust "
            f"(trusted: {known}); trust it with idp.trust_issuer({issuer!r}, ...), a "
            "[[trusted_issuers]] table or authmock serve --trust-issuer"
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
    single-use (RFC 7523 §3 lets the server refuse a reused one).
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
            f"{what} aud {given or None!r} does not name this provider; expected "
            f"{' or '.join(map(repr, expected))}"
        )
    exp = check_times(claims, now, error=error, what=what)
    jti = claims.get("jti")
    if (
        replay is not None
        and isinstance(jti, str)
        and exp is not None
        and not replay.use("assertion", found.trusted.issuer, jti, until=exp, now=now)
    ):
        raise error(f"{what} jti {jti!r} was already used; each assertion is good for one grant")
    return sub


def copied_claims(found: ForeignJwt) -> dict[str, Any]:
    """The claims the trust copies into tokens issued here."""
    return {name: found.claims[name] for name in found.trusted.copy_claims if name in found.claims}
