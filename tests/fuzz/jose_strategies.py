"""Hostile JOSE for the endpoints that read JWTs others sign (RFC 7523, 8693, 9449).

DPoP proofs, client assertions, JWT bearer assertions and token-exchange subject
tokens, mostly *signed for real* (``plans.SignedJWT``) so that the claims behind
the signature are what is hostile: ``htu`` of odd URLs, ``iat`` far off, floats
or strings, ``exp`` decades ahead, a private or huge ``jwk``, ``jku``/``x5u``
pointing at a port nothing listens on (never to be fetched), nested JSON.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.fuzz.keys import TRUSTED_ISSUER, private_jwk, public_jwk
from tests.fuzz.plans import JWTPlan, Now, RawJSON, Ref, SignedJWT, Template
from tests.fuzz.strategies import (
    ALGORITHMS,
    HOSTILE_JSON_TEXT,
    JSON_VALUES,
    JWTS,
    SHORT_TEXT,
    SMALL_NESTING,
)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_TYPES = (
    "urn:ietf:params:oauth:token-type:access_token",
    "urn:ietf:params:oauth:token-type:refresh_token",
    "urn:ietf:params:oauth:token-type:id_token",
    "urn:ietf:params:oauth:token-type:jwt",
    "urn:ietf:params:oauth:token-type:saml2",
)
#: Never fetched: a port nothing listens on, so a fetch would show as a slow error.
UNFETCHABLE = "http://127.0.0.1:9/keys.json"


def _mostly(usual: Any, *others: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``usual`` about half the time, else one of ``others``."""
    return st.one_of(st.just(usual), st.one_of(*others)) if others else st.just(usual)


def _huge_jwk() -> dict[str, Any]:
    jwk = public_jwk("dpop")
    return {**jwk, "x": "A" * 3000, "extra": ["x" * 50] * 40}


#: What a ``jwk`` header can be: the right public key, the private one (RFC 9449
#: §4.3 check 7), a symmetric one, a wrong curve, a huge one, or not a key.
JWKS_IN_HEADER: st.SearchStrategy[Template] = st.one_of(
    st.just(public_jwk("dpop")),
    st.just(public_jwk("dpop")),
    st.just(private_jwk("dpop")),
    st.just({"kty": "oct", "k": "c2VjcmV0"}),
    st.just({**public_jwk("dpop"), "crv": "P-521"}),
    st.just({"kty": "RSA", "n": "AQAB", "e": "AQAB"}),
    st.builds(_huge_jwk),
    JSON_VALUES,
    SMALL_NESTING.map(RawJSON),
)
#: Times: now, inside and just outside windows, decades away, and not times at all.
TIMES: st.SearchStrategy[Template] = st.one_of(
    st.sampled_from([Now(0), Now(0), Now(-59), Now(61), Now(-3601), Now(3600)]),
    st.sampled_from([Now(3 * 10**9), Now(-(10**12)), Now(0.5), Now(1e300)]),
    st.floats(allow_nan=False, allow_infinity=False).map(Now),
    HOSTILE_JSON_TEXT,
    JSON_VALUES,
    st.just("1700000000"),
)
#: ``htu`` values: the request's URL, and the ways it can differ (RFC 9449 §4.3).
URLS: st.SearchStrategy[Template] = st.one_of(
    st.just(Ref("url")),
    st.just(Ref("url")),
    st.sampled_from(["http://127.0.0.1:9/", "//x", "", "https://[::1", "http://a b/", "\u2603"]),
    st.builds(lambda s: RawJSON(f'"{s}"'), st.sampled_from(["\\ud800", "\\u0000"])),
    SHORT_TEXT,
    JSON_VALUES,
)
_DANGEROUS_HEADERS = {
    "jku": st.just(UNFETCHABLE),
    "x5u": st.just(UNFETCHABLE),
    "x5c": st.one_of(st.just(["MIIB"]), JSON_VALUES),
    "crit": JSON_VALUES,
    "b64": st.booleans(),
    "kid": st.one_of(SHORT_TEXT, JSON_VALUES),
}


def _header(base: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Template]:
    return st.one_of(
        st.fixed_dictionaries(base, optional=_DANGEROUS_HEADERS),
        st.fixed_dictionaries(base),
        st.fixed_dictionaries(base),
    )


def _signed(
    header: st.SearchStrategy[Template], claims: st.SearchStrategy[Template], key: str
) -> st.SearchStrategy[Template]:
    """Mostly signed for real; sometimes random bytes for a signature, or any text."""
    payload = st.one_of(claims, claims, claims, JSON_VALUES)
    return st.one_of(
        st.builds(SignedJWT, header=header, payload=payload, key=st.just(key)),
        st.builds(SignedJWT, header=header, payload=payload, key=st.just(key)),
        st.builds(SignedJWT, header=header, payload=payload, key=st.just(key)),
        st.builds(
            JWTPlan,
            header=header,
            payload=payload,
            signature=st.binary(max_size=64),
            segments=st.just(3),
        ),
        JWTS,
        SHORT_TEXT,
    )


_JTI = st.one_of(st.uuids().map(str), st.uuids().map(str), st.just("reused"), JSON_VALUES)
DPOP_PROOFS = _signed(
    _header(
        {
            "typ": _mostly("dpop+jwt", st.sampled_from(["JWT", "DPOP+JWT"]), JSON_VALUES),
            "alg": _mostly("ES256", ALGORITHMS, JSON_VALUES),
            "jwk": JWKS_IN_HEADER,
        }
    ),
    st.fixed_dictionaries(
        {"jti": _JTI, "htu": URLS, "iat": TIMES},
        optional={
            "htm": _mostly(Ref("method"), st.sampled_from(["POST", "GET", "post"]), JSON_VALUES),
            "ath": st.one_of(st.just(Ref("dpop_ath")), SHORT_TEXT, JSON_VALUES),
            "nonce": st.one_of(SHORT_TEXT, JSON_VALUES),
        },
    ),
    "dpop",
)


def _assertion_claims(issuer: Template, audience: Template) -> st.SearchStrategy[Template]:
    return st.fixed_dictionaries(
        {
            "iss": _mostly(issuer, st.just(Ref("jwt_client_id")), SHORT_TEXT, JSON_VALUES),
            "sub": _mostly(Ref("jwt_client_id"), st.just(Ref("username")), JSON_VALUES),
            "aud": _mostly(audience, st.just(Ref("token_url")), JSON_VALUES),
            "exp": _mostly(Now(60), TIMES),
            "jti": _JTI,
        },
        optional={"iat": TIMES, "nbf": TIMES, "scope": JSON_VALUES},
    )


_ASSERTION_HEADER = _header(
    {
        "alg": _mostly("ES256", ALGORITHMS, JSON_VALUES),
        "typ": _mostly("JWT", st.just("client-authentication+jwt"), JSON_VALUES),
        "jwk": st.one_of(st.just(public_jwk("dpop")), JSON_VALUES),
    }
)
CLIENT_ASSERTIONS = _signed(
    _ASSERTION_HEADER, _assertion_claims(Ref("jwt_client_id"), Ref("issuer")), "client"
)
#: JWT bearer grants (RFC 7523 §2.1): from the trusted issuer, or self-issued by the client.
GRANT_ASSERTIONS = st.one_of(
    _signed(_ASSERTION_HEADER, _assertion_claims(TRUSTED_ISSUER, Ref("issuer")), "issuer"),
    _signed(_ASSERTION_HEADER, _assertion_claims(Ref("jwt_client_id"), Ref("issuer")), "client"),
)
#: Token-exchange subject and actor tokens (RFC 8693 §2.1).
SUBJECT_TOKENS = st.one_of(
    st.sampled_from([Ref("admin"), Ref("refresh"), Ref("api_token"), Ref("id_token")]),
    GRANT_ASSERTIONS,
    JWTS,
    SHORT_TEXT,
)
TOKEN_TYPE_VALUES = st.one_of(st.sampled_from(TOKEN_TYPES), SHORT_TEXT)
