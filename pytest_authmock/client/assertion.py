"""JWT client authentication: ``private_key_jwt`` and ``client_secret_jwt``.

RFC 7523 §2.2 and OIDC Core §9: instead of sending a secret, the client sends
a short-lived JWT (``client_assertion``) that it signs with its private key or
MACs with its secret. A new assertion, with a new ``jti``, is made for every
request, retries included, because providers refuse a replayed one.

The audience is the issuer identifier by default, as the update of RFC 7523
(draft-ietf-oauth-rfc7523bis) and FAPI 2.0 require; ``audience="token_endpoint"``
sends the token endpoint URL for providers that only accept that (OIDC Core §9).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from pytest_authmock.client.errors import ConfigurationError
from pytest_authmock.client.grants import ClientAuth
from pytest_authmock.client.redact import fingerprint
from pytest_authmock.client.tokens import Clock, wall_clock

if TYPE_CHECKING:
    from joserfc.jwk import Key

    from pytest_authmock.client.jose import SigningKey

# joserfc (pytest_authmock.client.jose) is imported when a JWT method is made:
# importing the client library must stay light for the CLIs that use it.

__all__ = [
    "ASSERTION_TYPE",
    "ClientSecretJwt",
    "JwtClientAuth",
    "PrivateKeyJwt",
    "apply_client_auth",
]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_HMAC_ALGS = ("HS256", "HS384", "HS512")


@runtime_checkable
class JwtClientAuth(Protocol):
    """A client authentication that needs to know where it is sent (for ``aud``)."""

    def apply_for(
        self,
        headers: dict[str, str],
        form: dict[str, str],
        *,
        issuer: str,
        token_endpoint: str | None,
    ) -> None: ...


def apply_client_auth(
    auth: ClientAuth,
    headers: dict[str, str],
    form: dict[str, str],
    *,
    issuer: str,
    token_endpoint: str | None = None,
) -> None:
    """Add ``auth``'s credentials to a request to ``issuer``'s endpoints."""
    if isinstance(auth, JwtClientAuth):
        auth.apply_for(headers, form, issuer=issuer, token_endpoint=token_endpoint)
    else:
        auth.apply(headers, form)


class _AssertionAuth:
    """What both JWT methods share: the claims, the audience and the form fields."""

    method: ClassVar[str]
    uses_mtls: ClassVar[bool] = False
    confidential: ClassVar[bool] = True

    def __init__(
        self, client_id: str, key: Key, alg: str, audience: str, lifetime: int, clock: Clock
    ) -> None:
        if not client_id:
            raise ConfigurationError("client_id must be a non-empty string")
        if lifetime <= 0:
            raise ConfigurationError(
                f"lifetime must be a positive number of seconds; got {lifetime}"
            )
        self._client_id = client_id
        self._key = key
        self.alg = alg
        self.audience = audience
        self.lifetime = lifetime
        self.clock = clock

    @property
    def client_id(self) -> str:
        return self._client_id

    def assertion(self, audience: str, *, subject: str | None = None) -> str:
        """A new signed assertion for ``audience`` (a new ``jti`` each call).

        With ``subject``, it is a JWT bearer grant (RFC 7523 §2.1) for that
        subject, issued by the client: ``JwtBearerGrant(auth.assertion(issuer,
        subject="ada"))``, the service-account pattern.
        """
        now = int(self.clock())
        claims: dict[str, Any] = {
            "iss": self.client_id,
            "sub": subject or self.client_id,
            "aud": audience,
            "jti": secrets.token_urlsafe(16),
            "iat": now,
            "exp": now + self.lifetime,
        }
        header: dict[str, Any] = {"alg": self.alg, "typ": "JWT"}
        if self._key.kid:
            header["kid"] = self._key.kid
        from pytest_authmock.client.jose import sign_jwt

        return sign_jwt(header, claims, self._key)

    def _audience(self, issuer: str | None, token_endpoint: str | None) -> str:
        if self.audience == "issuer":
            if issuer is None:
                raise ConfigurationError(
                    f"{self.method} needs the issuer for the assertion's aud; use it through "
                    "OAuthClient, or pass audience=<URL>"
                )
            return issuer
        if self.audience == "token_endpoint":
            if token_endpoint is None:
                raise ConfigurationError(
                    f"{self.method} needs the token endpoint for the assertion's aud; use it "
                    "through OAuthClient, or pass audience=<URL>"
                )
            return token_endpoint
        return self.audience

    def apply_for(
        self,
        headers: dict[str, str],
        form: dict[str, str],
        *,
        issuer: str,
        token_endpoint: str | None,
    ) -> None:
        self._fill(form, issuer, token_endpoint)

    def apply(self, headers: dict[str, str], form: dict[str, str]) -> None:
        """For an explicit ``audience`` URL only; :class:`OAuthClient` calls :meth:`apply_for`."""
        self._fill(form, None, None)

    def _fill(self, form: dict[str, str], issuer: str | None, token_endpoint: str | None) -> None:
        form["client_id"] = self.client_id
        form["client_assertion_type"] = ASSERTION_TYPE
        form["client_assertion"] = self.assertion(self._audience(issuer, token_endpoint))


def _check_audience(audience: str) -> str:
    if audience in ("issuer", "token_endpoint") or audience.startswith(("https://", "http://")):
        return audience
    raise ConfigurationError(
        f"audience must be 'issuer', 'token_endpoint' or an absolute URL; got {audience!r}"
    )


class PrivateKeyJwt(_AssertionAuth):
    """``private_key_jwt``: assertions signed with the client's private key.

    ``key`` is a PEM private key (text or bytes), a ``cryptography`` private key,
    a JWK dict or a joserfc key; its ``kid`` goes into the header so the
    provider finds the key in the client's registered JWKS. The algorithm
    follows the key (``RS256`` for RSA, ``ES256``/``ES384``/``ES512`` by curve,
    ``EdDSA`` for Ed25519) unless ``alg`` says otherwise.
    """

    method: ClassVar[str] = "private_key_jwt"

    def __init__(
        self,
        client_id: str,
        key: SigningKey,
        *,
        alg: str | None = None,
        audience: str = "issuer",
        lifetime: int = 60,
        clock: Clock = wall_clock,
    ) -> None:
        from pytest_authmock.client.jose import algorithm_for, load_private_key

        loaded = load_private_key(key, what="private_key_jwt key")
        chosen = algorithm_for(loaded, alg)
        if chosen in _HMAC_ALGS or chosen == "none":
            raise ConfigurationError(
                f"private_key_jwt signs with an asymmetric algorithm, not {chosen}; "
                "use ClientSecretJwt for HMAC"
            )
        super().__init__(client_id, loaded, chosen, _check_audience(audience), lifetime, clock)

    @classmethod
    def generate(
        cls, client_id: str, *, alg: str = "ES256", kid: str | None = None
    ) -> PrivateKeyJwt:
        """A client with a new key pair; register :meth:`jwks` with the provider."""
        from pytest_authmock.client.jose import generate_key

        return cls(client_id, generate_key(alg, kid=kid), alg=alg)

    @property
    def key(self) -> Key:
        """The private key (a joserfc key)."""
        return self._key

    def jwks(self) -> dict[str, Any]:
        """The public key as a JWKS document, to register with the provider."""
        from pytest_authmock.client.jose import public_jwk

        return {"keys": [public_jwk(self._key)]}

    def __repr__(self) -> str:
        return (
            f"PrivateKeyJwt(client_id={self.client_id!r}, alg={self.alg!r}, "
            f"kid={self._key.kid!r}, audience={self.audience!r})"
        )


class ClientSecretJwt(_AssertionAuth):
    """``client_secret_jwt``: assertions MACed with the client secret (``HS256`` by default).

    OIDC Core §9: the MAC key is the UTF-8 octets of the secret. The secret itself
    never travels.
    """

    method: ClassVar[str] = "client_secret_jwt"

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        alg: str = "HS256",
        audience: str = "issuer",
        lifetime: int = 60,
        clock: Clock = wall_clock,
    ) -> None:
        if not client_secret:
            raise ConfigurationError("client_secret_jwt needs the client secret")
        if alg not in _HMAC_ALGS:
            raise ConfigurationError(
                f"client_secret_jwt MACs with {', '.join(_HMAC_ALGS)}; got {alg!r}"
            )
        self._secret_label = fingerprint(client_secret)
        from pytest_authmock.client.jose import hmac_key

        key = hmac_key(client_secret)
        super().__init__(client_id, key, alg, _check_audience(audience), lifetime, clock)

    def __repr__(self) -> str:
        return (
            f"ClientSecretJwt(client_id={self.client_id!r}, client_secret={self._secret_label}, "
            f"alg={self.alg!r}, audience={self.audience!r})"
        )
