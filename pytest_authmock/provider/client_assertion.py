"""JWT client authentication (RFC 7523 §2.2 and §3, OIDC Core §9).

``private_key_jwt`` signs the assertion with a key the client registered (a
JWKS, or a JWKS URI); ``client_secret_jwt`` MACs it with the client secret.
The checks: ``iss`` and ``sub`` are the client id, ``aud`` names this server,
``exp`` is in the future, the ``jti`` is used once, and the algorithm is the
one the key is for. Every failure is ``invalid_client`` (RFC 6749 §5.2).
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from joserfc.errors import SecurityWarning
from joserfc.jwk import Key, OctKey

from pytest_authmock.provider.errors import InvalidClient, InvalidRequest
from pytest_authmock.provider.jwtcheck import (
    MAX_ASSERTION_LIFETIME,
    audiences,
    check_times,
    peek,
    verify_with_refresh,
)
from pytest_authmock.provider.limits import shown
from pytest_authmock.provider.replay import ReplayCache

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
JWT_METHODS = ("private_key_jwt", "client_secret_jwt")
#: draft-ietf-oauth-rfc7523bis: an explicitly typed assertion must name the issuer alone.
EXPLICIT_TYPE = "client-authentication+jwt"
WHAT = "the client assertion"


@dataclasses.dataclass(frozen=True)
class Assertion:
    """A client assertion read from the request, before it is verified."""

    value: str = dataclasses.field(repr=False)
    header: dict[str, Any]
    claims: dict[str, Any]

    @property
    def method(self) -> str:
        """``client_secret_jwt`` for an HMAC, else ``private_key_jwt`` (OIDC Core §9)."""
        alg = self.header.get("alg")
        return (
            "client_secret_jwt"
            if isinstance(alg, str) and alg.startswith("HS")
            else ("private_key_jwt")
        )

    @property
    def client_id(self) -> str | None:
        """Who the assertion says it is (checked against the signature later)."""
        sub = self.claims.get("sub")
        return sub if isinstance(sub, str) and sub else None


def read_assertion(params: dict[str, str]) -> Assertion | None:
    """The client assertion of a form, or ``None`` when the client used another method."""
    kind = params.get("client_assertion_type")
    value = params.get("client_assertion")
    if kind is None and value is None:
        return None
    if kind != ASSERTION_TYPE:
        raise InvalidRequest(
            f"client_assertion_type must be {ASSERTION_TYPE!r} (RFC 7523 §2.2); got {shown(kind)}"
        )
    if not value:
        raise InvalidRequest("client_assertion_type is set but client_assertion is missing")
    header, claims = peek(value, error=InvalidClient, what=WHAT)
    return Assertion(value, header, claims)


# Imported once per secret rather than per request; a changed secret is a new entry.
@functools.lru_cache(maxsize=64)
def secret_key(secret: str) -> OctKey:
    """OIDC Core §9: the MAC key is the octets of the UTF-8 client secret."""
    with warnings.catch_warnings():
        # A short test secret is the test's choice; joserfc warns under 112 bits.
        warnings.simplefilter("ignore", SecurityWarning)
        key: OctKey = OctKey.import_key(secret.encode())
        return key


def verify_assertion(
    assertion: Assertion,
    *,
    client_id: str,
    keys: Callable[[bool], Sequence[Key]],
    registered_alg: str | None,
    issuer: str,
    endpoints: Sequence[str],
    now: float,
    replay: ReplayCache,
) -> None:
    """Check one client assertion for ``client_id``, or raise ``invalid_client``.

    ``keys(refresh)`` gives the client's keys; with ``refresh`` it fetches them
    again (a ``jwks_uri`` client that rotated its keys).
    """
    claims = assertion.claims
    for name in ("iss", "sub"):
        if claims.get(name) != client_id:
            raise InvalidClient(
                f"{WHAT} {name!r} is {shown(claims.get(name))}; RFC 7523 §3 requires the client id "
                f"{client_id!r} in both iss and sub"
            )
    verify_with_refresh(
        assertion.value,
        assertion.header,
        keys,
        error=InvalidClient,
        what=WHAT,
        registered_alg=registered_alg,
    )
    _check_audience(assertion, issuer=issuer, endpoints=endpoints)
    exp = check_times(
        claims, now, error=InvalidClient, what=WHAT, max_lifetime=MAX_ASSERTION_LIFETIME
    )
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise InvalidClient(f"{WHAT} has no 'jti' claim (OIDC Core §9 requires one)")
    if not replay.use("client_assertion", client_id, jti, until=exp or now, now=now):
        raise InvalidClient(
            f"{WHAT} jti {shown(jti)} was already used; an assertion authenticates one request "
            "(RFC 7523 §3): make a new one, with a new jti, for each request"
        )


def _check_audience(assertion: Assertion, *, issuer: str, endpoints: Sequence[str]) -> None:
    given = audiences(assertion.claims)
    if assertion.header.get("typ") == EXPLICIT_TYPE:
        if assertion.claims.get("aud") != issuer:
            raise InvalidClient(
                f"{WHAT} is typed {EXPLICIT_TYPE!r}, so its aud must be the issuer "
                f"{issuer!r} alone, as a string; got {shown(assertion.claims.get('aud'))}"
            )
        return
    # RFC 7523 §3 and OIDC Core §9: the issuer identifier, the token endpoint
    # URL, or the URL of the endpoint the assertion is presented at.
    accepted = (issuer, *endpoints)
    if not any(value in accepted for value in given):
        raise InvalidClient(
            f"{WHAT} aud {shown(given or None, 120)} does not name this server; use the issuer "
            f"{issuer!r} (or the endpoint URL {endpoints[0]!r})"
        )
