"""DPoP (RFC 9449): proof-of-possession for access and refresh tokens.

Give :class:`~pytest_authmock.client.OAuthClient` a :class:`DPoPKey` and every
token request carries a proof; the provider binds the tokens to the key
(``token_type: DPoP``), refreshes need the same key, and
:class:`~pytest_authmock.client.OAuth2Auth` sends such tokens with the ``DPoP``
authorization scheme and a fresh proof (with ``ath``) per request. Server
nonces (RFC 9449 §8, §9) are remembered per origin and a ``use_dpop_nonce``
answer is retried once with the new nonce.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import secrets
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx

from pytest_authmock.client.challenge import parse_challenge
from pytest_authmock.client.tokens import Clock, wall_clock

if TYPE_CHECKING:
    from joserfc.jwk import Key

    from pytest_authmock.client.grants import Grant
    from pytest_authmock.client.jose import SigningKey
    from pytest_authmock.client.retry import RetryPolicy

__all__ = ["DPoPKey", "access_token_hash", "is_nonce_challenge"]

PROOF_TYPE = "dpop+jwt"


def access_token_hash(access_token: str) -> str:
    """RFC 9449 §4.2 ``ath``: base64url of the SHA-256 of the token's ASCII."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode('ascii')}"


# A client makes its proofs for the same few URLs: parse each once.
@functools.lru_cache(maxsize=256)
def _target(url: str) -> tuple[str, str]:
    """The origin (for its nonce) and the ``htu`` (RFC 9449 §4.2: no query, no fragment)."""
    parsed = httpx.URL(url)
    return _origin(parsed), str(parsed.copy_with(query=None, fragment=None))


def is_nonce_challenge(response: httpx.Response) -> bool:
    """True when the answer asks for a (new) server nonce in the proof.

    The token endpoint answers 400 ``{"error": "use_dpop_nonce"}`` (RFC 9449 §8),
    a resource 401 with ``WWW-Authenticate: DPoP error="use_dpop_nonce"`` (§9);
    both carry the nonce in ``DPoP-Nonce``.
    """
    if "dpop-nonce" not in response.headers:
        return False
    if response.status_code == 401:
        challenge = parse_challenge(response.headers.get("www-authenticate", ""), "DPoP")
        return challenge.get("error") == "use_dpop_nonce"
    if response.status_code == 400:
        try:
            body = response.json()
        except ValueError:
            return False
        return isinstance(body, dict) and body.get("error") == "use_dpop_nonce"
    return False


class DPoPKey:
    """The key a client proves possession of, and the server nonces it was given.

    ``key`` is a private key (PEM, ``cryptography`` key, JWK dict or joserfc key);
    :meth:`generate` makes one (``ES256`` by default). Keep the same key for a
    session: tokens, refresh tokens included, are bound to its thumbprint.
    """

    def __init__(
        self, key: SigningKey, *, alg: str | None = None, clock: Clock = wall_clock
    ) -> None:
        # joserfc loads with the first key, not with the client library.
        from pytest_authmock.client.jose import algorithm_for, load_private_key, public_jwk

        self._key = load_private_key(key, what="DPoP key")
        self.alg = algorithm_for(self._key, alg)
        self.clock = clock
        self._nonces: dict[str, str] = {}
        self._lock = threading.Lock()
        self._jwk = {k: v for k, v in public_jwk(self._key).items() if k not in ("kid", "alg")}

    @classmethod
    def generate(cls, alg: str = "ES256", *, clock: Clock = wall_clock) -> DPoPKey:
        from pytest_authmock.client.jose import generate_key

        return cls(generate_key(alg), alg=alg, clock=clock)

    @property
    def key(self) -> Key:
        return self._key

    @property
    def jkt(self) -> str:
        """The key's RFC 7638 thumbprint: what tokens are bound to (``cnf.jkt``)."""
        return self._key.thumbprint()

    def __repr__(self) -> str:
        return f"DPoPKey(alg={self.alg!r}, jkt={self.jkt!r})"

    def proof(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        access_token: str | None = None,
        nonce: str | None = None,
    ) -> str:
        """A new proof for one request (RFC 9449 §4.2); the origin's nonce if none given."""
        origin, htu = _target(str(url))
        if nonce is None:
            with self._lock:
                nonce = self._nonces.get(origin)
        claims: dict[str, Any] = {
            "jti": secrets.token_urlsafe(16),
            "htm": method.upper(),
            "htu": htu,
            "iat": int(self.clock()),
        }
        if access_token is not None:
            claims["ath"] = access_token_hash(access_token)
        if nonce is not None:
            claims["nonce"] = nonce
        header = {"typ": PROOF_TYPE, "alg": self.alg, "jwk": self._jwk}
        from pytest_authmock.client.jose import sign_jwt

        return sign_jwt(header, claims, self._key)

    def observe(self, url: str | httpx.URL, response: httpx.Response) -> bool:
        """Remember a ``DPoP-Nonce`` the answer carries; True if it asks to retry with it."""
        nonce = response.headers.get("dpop-nonce")
        if nonce:
            with self._lock:
                self._nonces[_target(str(url))[0]] = nonce
        return is_nonce_challenge(response)

    def authorize(self, request: httpx.Request, access_token: str) -> None:
        """Set ``Authorization: DPoP <token>`` and a proof for ``request`` (RFC 9449 §7.1)."""
        request.headers["Authorization"] = f"DPoP {access_token}"
        request.headers["DPoP"] = self.proof(request.method, request.url, access_token=access_token)


def send_with_nonce(
    retry: RetryPolicy,
    post: Callable[[], httpx.Response],
    dpop: DPoPKey | None,
    url: str,
    grant: Grant,
) -> httpx.Response:
    """Send a token request; once more if the provider asks for its DPoP nonce (§8).

    ``post`` builds a new proof each call, so the second one carries the nonce.
    """
    what, idempotent = f"the {grant.grant_type} token request", grant.idempotent
    response = retry.send(post, what=what, idempotent=idempotent)
    if dpop is not None and dpop.observe(url, response):
        response = retry.send(post, what=what, idempotent=idempotent)
        dpop.observe(url, response)
    return response


async def asend_with_nonce(
    retry: RetryPolicy,
    post: Callable[[], Awaitable[httpx.Response]],
    dpop: DPoPKey | None,
    url: str,
    grant: Grant,
) -> httpx.Response:
    """The async twin of :func:`send_with_nonce`."""
    what, idempotent = f"the {grant.grant_type} token request", grant.idempotent
    response = await retry.asend(post, what=what, idempotent=idempotent)
    if dpop is not None and dpop.observe(url, response):
        response = await retry.asend(post, what=what, idempotent=idempotent)
        dpop.observe(url, response)
    return response
