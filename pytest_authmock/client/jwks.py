"""The provider's signing keys (its JWKS), and verifying a signed JWT with them.

RFC 8725 §3.1: the algorithm a signature is checked with comes from the key,
never from the token. The token's ``kid`` picks the key in the provider's
JWKS; that key's ``alg`` (or, when the JWK has none, the one algorithm its
type and curve imply) is the only algorithm accepted, so a token cannot make
us check an RSA signature as an HMAC keyed with the public key, or skip the
check with ``alg: none``.

The JWKS is fetched once and cached; a token signed with a key we do not know
(the provider rotated its keys) makes us fetch it again, but not more often
than ``min_refetch_interval``, so a stream of tokens with made-up ``kid``\\ s
cannot turn us into a flood of requests to the provider.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from pytest_authmock.client.errors import InvalidToken, ProviderError
from pytest_authmock.client.oauth import OAuthClient
from pytest_authmock.client.redact import fingerprint
from pytest_authmock.client.responses import fetched_document

if TYPE_CHECKING:
    from joserfc.jwk import Key

# joserfc is imported where it is used: ``import pytest_authmock.client`` stays
# light for a command-line tool that never checks a signature.

__all__ = ["JwksCache", "algorithms_for", "read_header", "verify_signature"]

logger = logging.getLogger("pytest_authmock.client")

_JSON = {"Accept": "application/json"}
#: A JOSE header is a few hundred bytes; a huge one is an attack on the parser.
_MAX_HEADER = 8192

_BY_CURVE = {
    "P-256": ("ES256",),
    "P-384": ("ES384",),
    "P-521": ("ES512",),
    "secp256k1": ("ES256K",),
    "Ed25519": ("EdDSA", "Ed25519"),
    "Ed448": ("EdDSA", "Ed448"),
}


def algorithms_for(key: Key) -> tuple[str, ...]:
    """The signature algorithms ``key`` may verify: its ``alg``, else what its type implies.

    An RSA JWK without ``alg`` is taken as RS256, the algorithm OIDC Core §3.1.3.7
    and RFC 9068 §4 make the default. Symmetric (``oct``) keys never verify
    anything here: a public JWKS has no business publishing one.
    """
    if key.key_type == "oct":
        return ()
    alg = key.get("alg")
    if isinstance(alg, str):
        return (alg,) if alg.lower() != "none" and not alg.startswith("HS") else ()
    if key.key_type == "RSA":
        return ("RS256",)
    curve = key.get("crv")
    return _BY_CURVE.get(curve, ()) if isinstance(curve, str) else ()


def read_header(token: str) -> dict[str, Any]:
    """The JOSE header of a compact JWS, or :class:`InvalidToken` (never anything else)."""
    parts = token.split(".")
    if len(parts) != 3 or len(parts[0]) > _MAX_HEADER:
        raise InvalidToken(f"the token {fingerprint(token)} is not a signed JWT (JWS compact form)")
    try:
        raw = base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4))
        header = json.loads(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        header = None
    if not isinstance(header, dict):
        raise InvalidToken(f"the token {fingerprint(token)} has no JSON object as its JOSE header")
    return header


class JwksCache:
    """The signing keys of ``oauth``'s issuer, from its ``jwks_uri``, cached.

    Thread-safe; one cache can serve many validators. ``max_age`` bounds how
    long a fetched JWKS is used at all; ``min_refetch_interval`` how often an
    unknown ``kid`` may trigger a new fetch (both in seconds of ``oauth.clock``).
    """

    def __init__(
        self, oauth: OAuthClient, *, min_refetch_interval: float = 60.0, max_age: float = 3600.0
    ) -> None:
        if min_refetch_interval < 0 or max_age <= 0:
            raise ValueError("min_refetch_interval must be >= 0 and max_age > 0")
        self.oauth = oauth
        self.min_refetch_interval = min_refetch_interval
        self.max_age = max_age
        self._keys: list[Key] = []
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"JwksCache(issuer={self.oauth.issuer!r}, keys={len(self._keys)})"

    # -- fetching ---------------------------------------------------------------------

    def _uri(self, jwks_uri: str | None) -> str:
        if jwks_uri is None:
            raise ProviderError(
                f"the provider {self.oauth.issuer} publishes no jwks_uri in its metadata, so"
                " signed tokens cannot be checked locally; use introspection instead"
            )
        return jwks_uri

    def _install(self, response: httpx.Response, url: str) -> None:
        document = fetched_document(response, f"the provider's JWKS at {url}")
        entries = document.get("keys") if isinstance(document, Mapping) else None
        if not isinstance(entries, list):
            raise ProviderError(f"the document at {url} is not a JWKS (no 'keys' list)")
        from joserfc.errors import JoseError
        from joserfc.jwk import JWKRegistry

        keys = []
        for entry in entries:
            if not isinstance(entry, Mapping) or entry.get("use", "sig") != "sig":
                continue
            try:
                keys.append(JWKRegistry.import_key(dict(entry)))
            except (JoseError, ValueError, TypeError, KeyError) as error:
                # One key of a type we cannot use must not cost us the others.
                logger.info("skipping a key of %s that cannot be used (%s)", url, error)
        with self._lock:
            self._keys = keys
            self._fetched_at = self.oauth.clock()

    def refresh(self) -> None:
        """Fetch the JWKS now."""
        url = self._uri(self.oauth.metadata().jwks_uri)
        response = self.oauth.retry.send(
            lambda: self.oauth.http.get(url, headers=_JSON), what="fetching the provider's keys"
        )
        self._install(response, url)

    async def arefresh(self) -> None:
        url = self._uri((await self.oauth.ametadata()).jwks_uri)
        http = await self.oauth.async_http()
        response = await self.oauth.retry.asend(
            lambda: http.get(url, headers=_JSON), what="fetching the provider's keys"
        )
        self._install(response, url)

    # -- looking keys up --------------------------------------------------------------

    def _needs(self, kid: str | None) -> str | None:
        """Why the JWKS must be fetched before looking ``kid`` up, or ``None``."""
        now = self.oauth.clock()
        with self._lock:
            fetched = self._fetched_at
            known = self._find(kid) is not None
        if fetched is None:
            return "first use"
        if now - fetched >= self.max_age:
            return "cached keys too old"
        if not known and now - fetched >= self.min_refetch_interval:
            return f"unknown key {kid!r}"
        return None

    def _find(self, kid: str | None) -> Key | None:
        if kid is None:
            signing = [k for k in self._keys if algorithms_for(k)]
            return signing[0] if len(signing) == 1 else None
        return next((k for k in self._keys if k.kid == kid), None)

    def _lookup(self, kid: str | None, token: str) -> Key:
        with self._lock:
            key = self._find(kid)
            count = len(self._keys)
        if key is not None:
            return key
        if kid is None:
            raise InvalidToken(
                f"the token {fingerprint(token)} names no key (no 'kid') and the provider"
                f" publishes {count} signing keys; cannot tell which one signed it"
            )
        raise InvalidToken(
            f"the token {fingerprint(token)} is signed with key {kid!r}, which the provider"
            " does not publish (any more); it was not issued by this provider, or its key"
            " was retired"
        )

    def key_for(self, kid: str | None, token: str) -> Key:
        """The key named ``kid``, fetching the JWKS when needed (rate limited)."""
        reason = self._needs(kid)
        if reason is not None:
            logger.debug("fetching the provider's keys (%s)", reason)
            self.refresh()
        return self._lookup(kid, token)

    async def akey_for(self, kid: str | None, token: str) -> Key:
        reason = self._needs(kid)
        if reason is not None:
            logger.debug("fetching the provider's keys (%s)", reason)
            await self.arefresh()
        return self._lookup(kid, token)


def verify_signature(token: str, header: Mapping[str, Any], key: Key) -> dict[str, Any]:
    """The claims of ``token`` once its signature verifies with ``key`` and the key's algorithm."""
    allowed = algorithms_for(key)
    alg = header.get("alg")
    if alg not in allowed:
        # RFC 8725 §3.1: the key decides the algorithm, whatever the token says.
        raise InvalidToken(
            f"the token {fingerprint(token)} says alg {alg!r}, but its key {key.kid!r} is for"
            f" {', '.join(allowed) or 'no signature algorithm'}; refused (RFC 8725 §3.1)"
        )
    from joserfc import jws
    from joserfc.errors import JoseError

    try:
        signature = jws.deserialize_compact(token, key, algorithms=[alg])
        claims = json.loads(signature.payload)
    except (JoseError, ValueError, TypeError, KeyError, RecursionError) as error:
        raise InvalidToken(
            f"the token {fingerprint(token)} does not verify with the provider's key"
            f" {key.kid!r} ({type(error).__name__})"
        ) from None
    if not isinstance(claims, dict):
        raise InvalidToken(f"the token {fingerprint(token)} carries no JSON object of claims")
    return claims
