"""Keys of other parties: clients' JWKS URIs and the issuers a test trusts.

``private_key_jwt`` clients may register a ``jwks_uri`` instead of keys; the
JWT bearer grant (RFC 7523 §2.1) and token exchange (RFC 8693) accept JWTs
from issuers the test trusts with ``idp.trust_issuer()``. Both fetch JWKS over
HTTP the way a real provider does: once, cached, and again when a token names
a ``kid`` the cached set lacks (the other party rotated its keys).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any

from joserfc.jwk import Key

from pytest_authmock.provider.jwks_fetch import JwksFetcher
from pytest_authmock.provider.jwtcheck import (
    MAX_ASSERTION_LIFETIME,
    ErrorType,
    audiences,
    check_times,
    import_jwks,
    peek,
    verify_with_refresh,
)
from pytest_authmock.provider.limits import shown
from pytest_authmock.provider.paths import PATHS
from pytest_authmock.provider.replay import ReplayCache


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
            f"{what} was issued by {shown(issuer, 120)}, which this provider does not trust "
            f"(trusted: {known}); trust it with idp.trust_issuer({shown(issuer, 120)}, ...), a "
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
