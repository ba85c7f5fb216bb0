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


def _huge_jwk() -> dict[str, Any]:
    return {**public_jwk("dpop"), "x": "A" * 3000, "extra": ["x" * 50] * 40}


#: Wrong ``jwk`` headers: the private key (RFC 9449 §4.3 check 7), a symmetric
#: one, a wrong curve, a huge one, or not a key at all.
BAD_JWKS: st.SearchStrategy[Template] = st.one_of(
    st.just(private_jwk("dpop")),
    st.just({"kty": "oct", "k": "c2VjcmV0"}),
    st.just({**public_jwk("dpop"), "crv": "P-521"}),
    st.just({"kty": "RSA", "n": "AQAB", "e": "AQAB"}),
    st.builds(_huge_jwk),
    JSON_VALUES,
    SMALL_NESTING.map(RawJSON),
)
#: Times just outside windows, decades away, and not times at all.
HOSTILE_TIMES: st.SearchStrategy[Template] = st.one_of(
    st.sampled_from([Now(-59), Now(61), Now(-3601), Now(3600), Now(3661)]),
    st.sampled_from([Now(3 * 10**9), Now(-(10**12)), Now(0.5), Now(1e300)]),
    st.floats(allow_nan=False, allow_infinity=False).map(Now),
    HOSTILE_JSON_TEXT,
    JSON_VALUES,
    st.just("1700000000"),
)
#: ``htu`` values other than the request's URL (RFC 9449 §4.3).
BAD_URLS: st.SearchStrategy[Template] = st.one_of(
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
_FORMS = ("signed", "random signature", "any JWS", "text")
_GONE = object()


def break_field(
    draw: st.DrawFn, fields: dict[str, Template], name: str, bad: st.SearchStrategy[Template]
) -> None:
    """Give ``fields[name]`` a value drawn from ``bad``, or now and then leave it out."""
    value = draw(st.one_of(bad, st.just(_GONE)))
    if value is _GONE:
        fields.pop(name, None)
    else:
        fields[name] = value


@st.composite
def broken_fields(
    draw: st.DrawFn, base: dict[str, Template], bad: dict[str, st.SearchStrategy[Template]]
) -> dict[str, Template]:
    """``base`` with zero to two of its fields (or new ones, from ``bad``) broken."""
    fields = dict(base)
    for name in draw(st.lists(st.sampled_from(["nothing", *bad]), max_size=2)):
        if name != "nothing":
            break_field(draw, fields, name, bad[name])
    return fields


@st.composite
def _broken(
    draw: st.DrawFn,
    header: dict[str, Template],
    claims: dict[str, Template],
    bad: dict[str, st.SearchStrategy[Template]],
    key: str,
) -> Template:
    """A valid JWT with zero to two parts broken (a header parameter or claim made
    hostile or left out, dangerous headers added, the payload not an object), so
    each check of the verifier is reached and fails alone, or all pass."""
    header, claims = dict(header), dict(claims)
    broken = draw(st.lists(st.sampled_from(["nothing", *bad, "headers", "payload"]), max_size=2))
    payload: Template = claims
    for part in broken:
        if part == "headers":
            header.update(draw(st.fixed_dictionaries({}, optional=_DANGEROUS_HEADERS)))
        elif part == "payload":
            payload = draw(JSON_VALUES)
        elif part != "nothing":
            break_field(draw, header if part in header else claims, part, bad[part])
    # Signed for real three times in four (see ``deep_baselines.usually``).
    form = draw(st.one_of(st.just("signed"), st.one_of(st.just("signed"), st.sampled_from(_FORMS))))
    if form == "signed":
        return SignedJWT(header, payload, key)
    if form == "random signature":
        return JWTPlan(header, payload, draw(st.binary(max_size=64)), 3)
    return draw(JWTS if form == "any JWS" else SHORT_TEXT)


_JTI = st.one_of(st.just("reused"), JSON_VALUES)
_NEW_JTI = st.uuids().map(str)


def _with_jti(strategy: st.SearchStrategy[Template]) -> st.SearchStrategy[Template]:
    """A fresh ``jti`` in every signed token unless the draw broke it on purpose."""

    def fresh(token: Template, jti: str) -> Template:
        if isinstance(token, SignedJWT) and isinstance(token.payload, dict):
            payload = token.payload
            if "jti" in payload and payload["jti"] == "":
                return SignedJWT(token.header, {**payload, "jti": jti}, token.key)
        return token

    return st.builds(fresh, strategy, _NEW_JTI)


DPOP_PROOFS = _with_jti(
    _broken(
        {"typ": "dpop+jwt", "alg": "ES256", "jwk": public_jwk("dpop")},
        {
            "jti": "",
            "htm": Ref("method"),
            "htu": Ref("url"),
            "iat": Now(0),
            "ath": Ref("dpop_ath"),
            "nonce": Ref("dpop_nonce"),
        },
        {
            "typ": st.one_of(st.sampled_from(["JWT", "DPOP+JWT"]), JSON_VALUES),
            "alg": st.one_of(ALGORITHMS, JSON_VALUES),
            "jwk": BAD_JWKS,
            "jti": _JTI,
            "htm": st.one_of(st.sampled_from(["POST", "GET", "post"]), JSON_VALUES),
            "htu": BAD_URLS,
            "iat": HOSTILE_TIMES,
            "ath": st.one_of(SHORT_TEXT, JSON_VALUES),
            "nonce": st.one_of(SHORT_TEXT, JSON_VALUES),
        },
        "dpop",
    )
)


def _assertion(issuer: Template, key: str) -> st.SearchStrategy[Template]:
    return _with_jti(
        _broken(
            {"alg": "ES256", "typ": "JWT", "kid": f"fuzz-{key}"},
            {
                "iss": issuer,
                "sub": Ref("jwt_client_id"),
                "aud": Ref("issuer"),
                "exp": Now(60),
                "iat": Now(0),
                "jti": "",
            },
            {
                "alg": st.one_of(ALGORITHMS, JSON_VALUES),
                "typ": st.one_of(st.just("client-authentication+jwt"), JSON_VALUES),
                "kid": st.one_of(SHORT_TEXT, JSON_VALUES),
                "jwk": st.one_of(st.just(public_jwk("dpop")), JSON_VALUES),
                "iss": st.one_of(st.just(Ref("jwt_client_id")), SHORT_TEXT, JSON_VALUES),
                "sub": st.one_of(st.just(Ref("username")), SHORT_TEXT, JSON_VALUES),
                "aud": st.one_of(st.just(Ref("token_url")), JSON_VALUES),
                "exp": HOSTILE_TIMES,
                "iat": HOSTILE_TIMES,
                "nbf": HOSTILE_TIMES,
                "jti": _JTI,
            },
            key,
        )
    )


CLIENT_ASSERTIONS = _assertion(Ref("jwt_client_id"), "client")
#: JWT bearer grants (RFC 7523 §2.1): from the trusted issuer, or self-issued by the client.
GRANT_ASSERTIONS = st.one_of(_assertion(TRUSTED_ISSUER, "issuer"), CLIENT_ASSERTIONS)
#: Token-exchange subject and actor tokens (RFC 8693 §2.1).
SUBJECT_TOKENS = st.one_of(
    st.sampled_from([Ref("admin"), Ref("refresh"), Ref("api_token"), Ref("id_token")]),
    GRANT_ASSERTIONS,
)
TOKEN_TYPE_VALUES = st.one_of(st.sampled_from(TOKEN_TYPES), SHORT_TEXT)
