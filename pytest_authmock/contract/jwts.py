"""Verifying the provider's JWTs with its published keys (RFC 7515, RFC 7517, RFC 8725)."""

from __future__ import annotations

from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry

from pytest_authmock.contract.checks import jwt_header

__all__ = ["algorithms_for", "verify_jwt"]

#: The signature algorithms a key of each type and curve can make (RFC 7518 §3, RFC 8037 §3.1).
_BY_KEY_TYPE: dict[tuple[str, str | None], tuple[str, ...]] = {
    ("RSA", None): ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
    ("EC", "P-256"): ("ES256",),
    ("EC", "P-384"): ("ES384",),
    ("EC", "P-521"): ("ES512",),
    ("OKP", "Ed25519"): ("EdDSA", "Ed25519"),
    ("OKP", "Ed448"): ("EdDSA",),
}


def algorithms_for(jwk: dict[str, Any]) -> tuple[str, ...]:
    """What a published key may verify: its ``alg`` if it names one, else what its type allows.

    RFC 8725 §3.1: the algorithm is decided by the verifier's key, never taken
    from the token's own header.
    """
    alg = jwk.get("alg")
    if isinstance(alg, str) and alg:
        return () if alg == "none" else (alg,)
    kty = jwk.get("kty")
    curve = None if kty == "RSA" else jwk.get("crv")
    return _BY_KEY_TYPE.get((str(kty), curve), ())


def verify_jwt(token: str, jwks: dict[str, Any], *, what: str = "the token") -> dict[str, Any]:
    """The claims of ``token`` once its signature verifies with one of the published keys."""
    header = jwt_header(token)
    assert header is not None, f"{what} is not a JWS compact serialization (RFC 7515 §7.1)"
    alg = header.get("alg")
    assert alg not in (None, "none"), f"{what} is unsigned (alg {alg!r}; RFC 8725 §3.2)"
    kid = header.get("kid")
    keys = [key for key in jwks.get("keys", []) if isinstance(key, dict)]
    candidates = [
        key
        for key in keys
        if (kid is None or key.get("kid") == kid) and key.get("use", "sig") == "sig"
    ]
    kids = [key.get("kid") for key in keys]
    assert candidates, (
        f"{what}'s kid {kid!r} is not a signing key of the JWKS ({kids}; RFC 7517 §4.5)"
    )
    usable = [key for key in candidates if alg in algorithms_for(key)]
    assert usable, (
        f"{what} says alg {alg!r}, which no published key with kid {kid!r} can make"
        " (RFC 8725 §3.1: the key decides the algorithm)"
    )
    problems = []
    for key in usable:
        try:
            decoded = jwt.decode(
                token, JWKRegistry.import_key(key), algorithms=list(algorithms_for(key))
            )
        except (JoseError, ValueError, TypeError) as exc:
            problems.append(f"{key.get('kid')!r}: {type(exc).__name__} {exc}")
            continue
        return dict(decoded.claims)
    raise AssertionError(
        f"{what}'s signature does not verify with the JWKS ({'; '.join(problems)}; RFC 7515 §5.2)"
    )
