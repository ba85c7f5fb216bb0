"""Checking an ID token as OpenID Connect Core §3.1.3.7 lists it.

The signature is checked with the provider's key named by ``kid`` and that
key's algorithm only (see :mod:`pytest_authmock.client.jwks`); then the
issuer, the audience (with ``azp`` when there are several), the nonce, and
the times: ``exp`` must not have passed and ``iat`` must not lie in the
future, each within ``leeway`` seconds of clock difference.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from pytest_authmock.client.access_tokens import DEFAULT_LEEWAY, check_time_claims
from pytest_authmock.client.errors import InvalidToken, ProviderError
from pytest_authmock.client.jwks import JwksCache, read_header, verify_signature
from pytest_authmock.client.oauth import OAuthClient

__all__ = ["DEFAULT_LEEWAY", "check_id_token_claims", "verify_id_token"]


def _audience_problems(claims: Mapping[str, Any], client_id: str | None) -> list[str]:
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if client_id not in audiences:
        return [f"audience {aud!r} (must contain {client_id!r})"]
    azp = claims.get("azp")
    if len(audiences) > 1 and azp is None:
        # OIDC Core §3.1.3.7 steps 4-5: with several audiences, the authorized
        # party says which of them the token was issued to.
        return [f"audience {aud!r}: several audiences and no 'azp'"]
    if azp is not None and azp != client_id:
        return [f"authorized party (azp) {azp!r} (must be {client_id!r})"]
    return []


def check_id_token_claims(
    claims: Mapping[str, Any],
    *,
    issuer: str,
    client_id: str | None,
    nonce: str | None,
    now: float,
    leeway: float = DEFAULT_LEEWAY,
) -> None:
    """Raise :class:`ProviderError` naming every claim that is wrong (after the signature)."""
    problems = []
    if claims.get("iss") != issuer:
        problems.append(f"issuer {claims.get('iss')!r}")
    problems += _audience_problems(claims, client_id)
    if nonce is not None and not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        problems.append("nonce (a replayed ID token?)")
    try:
        check_time_claims(claims, now=now, leeway=leeway, what="the ID token")
    except InvalidToken as error:  # TokenExpired included
        problems.append(f"time: {error}")
    if problems:
        raise ProviderError(f"the ID token has a wrong {'; '.join(problems)}; not signing in")


def verify_id_token(
    oauth: OAuthClient,
    id_token: str,
    *,
    nonce: str | None,
    leeway: float = DEFAULT_LEEWAY,
    jwks: JwksCache | None = None,
) -> dict[str, Any]:
    """The claims of ``id_token`` once every check of OIDC Core §3.1.3.7 passed.

    ``nonce``: the one sent in the authorization request (``None`` when none
    was sent, as for a refresh). Raises :class:`ProviderError`.
    """
    cache = jwks if jwks is not None else JwksCache(oauth)
    try:
        header = read_header(id_token)
        kid = header.get("kid")
        key = cache.key_for(kid if isinstance(kid, str) else None, id_token)
        claims = verify_signature(id_token, header, key)
    except InvalidToken as error:
        raise ProviderError(f"the ID token's signature does not verify ({error})") from None
    check_id_token_claims(
        claims,
        issuer=oauth.metadata().issuer,
        client_id=oauth.client_id,
        nonce=nonce,
        now=oauth.clock(),
        leeway=leeway,
    )
    return claims
