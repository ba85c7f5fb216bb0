"""Validating a JWT access token locally, from the provider's keys (RFC 9068).

For when the provider will not introspect its JWT access tokens, or a
resource server should not ask it about every request: the token is checked
against the issuer's JWKS and the claims RFC 9068 §4 names, with no request
to the provider once the keys are cached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pytest_authmock.client.errors import InvalidToken, TokenExpired
from pytest_authmock.client.identity import TokenIdentity, identity_from_claims
from pytest_authmock.client.jwks import JwksCache, read_header, verify_signature
from pytest_authmock.client.oauth import OAuthClient
from pytest_authmock.client.redact import fingerprint

__all__ = ["DEFAULT_LEEWAY", "AccessTokenValidator", "check_time_claims"]

#: Seconds of clock difference tolerated between the provider and us, for
#: ``exp``, ``nbf`` and ``iat``: a minute, the usual choice (RFC 7519 §4.1.4
#: allows "some small leeway ... usually no more than a few minutes").
DEFAULT_LEEWAY = 60.0

#: RFC 9068 §4: the ``typ`` header of a JWT access token (media types ignore case).
_ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidToken(f"the token's {name!r} claim is not a number of seconds: {value!r}")
    return float(value)


def check_time_claims(
    claims: Mapping[str, Any], *, now: float, leeway: float, what: str, require_iat: bool = True
) -> float:
    """Check ``exp`` (required), ``nbf`` and ``iat`` against ``now``; returns ``exp``.

    ``leeway`` absorbs clock differences in both directions: a token is still
    accepted ``leeway`` seconds after ``exp``, and from ``leeway`` seconds
    before ``nbf``/``iat``.
    """
    exp = _number(claims, "exp")
    if exp is None:
        raise InvalidToken(f"{what} has no 'exp' claim; a token that never expires is refused")
    if now >= exp + leeway:
        raise TokenExpired(
            f"{what} expired {now - exp:.0f} s ago (allowing {leeway:g} s of clock"
            " difference); get a new one"
        )
    nbf = _number(claims, "nbf")
    if nbf is not None and now + leeway < nbf:
        raise InvalidToken(
            f"{what} is not valid before {nbf - now:.0f} s from now ('nbf'); check the"
            " clocks of this machine and the provider"
        )
    iat = _number(claims, "iat")
    if iat is None and require_iat:
        raise InvalidToken(f"{what} has no 'iat' (issued at) claim")
    if iat is not None and now + leeway < iat:
        raise InvalidToken(
            f"{what} claims to be issued {iat - now:.0f} s in the future ('iat'); check the"
            " clocks of this machine and the provider"
        )
    return exp


def _audiences(claims: Mapping[str, Any]) -> tuple[str, ...]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return (aud,)
    if isinstance(aud, list):
        return tuple(a for a in aud if isinstance(a, str))
    return ()


class AccessTokenValidator:
    """Checks JWT access tokens of ``oauth``'s issuer without asking the provider.

    ``audience``: the identifier(s) of this resource server; the token's
    ``aud`` must contain one of them (RFC 9068 §4). ``leeway``: seconds of clock
    difference allowed for ``exp``, ``nbf`` and ``iat`` (default
    :data:`DEFAULT_LEEWAY`). ``jwks``: a :class:`JwksCache` to share between
    validators (one is made otherwise).

    Checked, in order: the ``typ`` header is ``at+jwt``; the signature, with
    the key named by ``kid`` and that key's algorithm only (RFC 8725 §3.1);
    ``iss`` is the issuer; ``aud``; ``exp`` (required), ``nbf`` and ``iat``.
    A failure raises :class:`InvalidToken` (:class:`TokenExpired` for ``exp``);
    an unreachable provider, while the keys are fetched, :class:`ProviderUnavailable`.
    """

    def __init__(
        self,
        oauth: OAuthClient,
        *,
        audience: str | Sequence[str],
        leeway: float = DEFAULT_LEEWAY,
        jwks: JwksCache | None = None,
    ) -> None:
        audiences = (audience,) if isinstance(audience, str) else tuple(audience)
        if not audiences or not all(isinstance(a, str) and a for a in audiences):
            raise ValueError(
                "audience must name this resource server (RFC 9068 §4), e.g."
                " audience='https://api.example.com/'"
            )
        if leeway < 0:
            raise ValueError(f"leeway must not be negative, got {leeway}")
        self.oauth = oauth
        self.audiences = audiences
        self.leeway = leeway
        self.jwks = jwks if jwks is not None else JwksCache(oauth)

    def __repr__(self) -> str:
        return f"AccessTokenValidator(issuer={self.oauth.issuer!r}, audience={self.audiences!r})"

    def _header(self, token: str) -> tuple[dict[str, Any], str | None]:
        header = read_header(token)
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in _ACCESS_TOKEN_TYPES:
            # RFC 9068 §4: keeps an ID token (typ JWT) from passing as an access token.
            raise InvalidToken(
                f"the token {fingerprint(token)} has typ {typ!r}, not 'at+jwt': it is not a"
                " JWT access token (RFC 9068 §4; an ID token is not an access token)"
            )
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise InvalidToken(f"the token {fingerprint(token)} has a malformed 'kid'")
        return header, kid

    def _claims(self, token: str, claims: dict[str, Any], issuer: str) -> TokenIdentity:
        what = f"the access token {fingerprint(token)}"
        if claims.get("iss") != issuer:
            raise InvalidToken(
                f"{what} was issued by {claims.get('iss')!r}, not {issuer!r}; refused"
            )
        audiences = _audiences(claims)
        if not set(audiences) & set(self.audiences):
            raise InvalidToken(
                f"{what} is for {list(audiences)!r}, not for this resource server"
                f" ({list(self.audiences)!r}); ask for a token with resource= or audience="
                " naming it"
            )
        exp = check_time_claims(claims, now=self.oauth.clock(), leeway=self.leeway, what=what)
        return identity_from_claims(token, claims, exp, checked_with="jwt")

    def validate(self, token: str) -> TokenIdentity:
        """Check ``token`` and say whose it is; fetches the keys only when needed."""
        header, kid = self._header(token)
        key = self.jwks.key_for(kid, token)
        claims = verify_signature(token, header, key)
        return self._claims(token, claims, self.oauth.metadata().issuer)

    async def avalidate(self, token: str) -> TokenIdentity:
        """The async twin of :meth:`validate`."""
        header, kid = self._header(token)
        key = await self.jwks.akey_for(kid, token)
        claims = verify_signature(token, header, key)
        return self._claims(token, claims, (await self.oauth.ametadata()).issuer)
