"""Requests that get past the first checks of the newer endpoints, with hostile parts.

Each endpoint here gets valid requests (client authentication, the right
content type, the parameters it needs) in which one part is drawn from the
hostile JOSE and JSON strategies: the ``DPoP`` header, ``client_assertion``,
the JWT bearer ``assertion``, token-exchange tokens and their types, a
registration document (RFC 7591), a pushed request (RFC 9126), a logout
request (RP-Initiated Logout 1.0).
"""

from __future__ import annotations

from hypothesis import strategies as st

from tests.fuzz.jose_strategies import (
    ASSERTION_TYPE,
    BAD_JWKS,
    CLIENT_ASSERTIONS,
    DPOP_PROOFS,
    GRANT_ASSERTIONS,
    SUBJECT_TOKENS,
    TOKEN_TYPE_VALUES,
    UNFETCHABLE,
    broken_fields,
)
from tests.fuzz.keys import TRUSTED_ISSUER, public_jwk
from tests.fuzz.plans import Body, RawJSON, Ref, RequestPlan, Template
from tests.fuzz.strategies import (
    ALGORITHMS,
    GRANT_TYPES,
    HOSTILE_JSON_TEXT,
    HOSTILE_NUMBERS,
    JSON_VALUES,
    JWTS,
    NESTING,
    SHORT_TEXT,
)

BASIC = ("basic",)
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
Pairs = tuple[tuple[Template, Template], ...]
NO_PROOF: st.SearchStrategy[tuple[Template, ...]] = st.just(())


def _form(
    pairs: st.SearchStrategy[Pairs],
    *,
    authorization: tuple[Template, ...] = BASIC,
    dpop: st.SearchStrategy[tuple[Template, ...]] = NO_PROOF,
    method: str = "POST",
) -> st.SearchStrategy[RequestPlan]:
    def plan(form: Pairs, proofs: tuple[Template, ...]) -> RequestPlan:
        in_query = method == "GET"
        return RequestPlan(
            method=method,
            suffix="",
            query=form if in_query else (),
            content_type=None if in_query else "application/x-www-form-urlencoded",
            authorization=authorization,
            body=Body("form", form=() if in_query else form),
            cookie=None,
            dpop=proofs,
        )

    return st.builds(plan, pairs, dpop)


def usually(
    good: st.SearchStrategy[Template], bad: st.SearchStrategy[Template]
) -> st.SearchStrategy[Template]:
    """``good`` about three times in four. Hypothesis favours the first and the last
    branch of a ``one_of``, so repeating ``good`` flat would not raise its share."""
    return st.one_of(good, st.one_of(good, bad))


def _pairs(
    *fixed: tuple[Template, Template], **drawn: st.SearchStrategy[Template]
) -> st.SearchStrategy[Pairs]:
    """Fixed pairs, then the drawn ones (each left out now and then)."""
    optional = {name: usually(strategy, st.none()) for name, strategy in drawn.items()}
    return st.fixed_dictionaries(optional).map(
        lambda values: (
            *fixed,
            *((name, value) for name, value in values.items() if value is not None),
        )
    )


#: One proof mostly; none, or two (RFC 9449 §4.3 check 1), now and then.
PROOF_HEADERS = st.one_of(
    DPOP_PROOFS.map(lambda proof: (proof,)),
    DPOP_PROOFS.map(lambda proof: (proof,)),
    st.tuples(DPOP_PROOFS, DPOP_PROOFS),
    st.just(()),
)

TOKEN_REQUESTS = st.one_of(
    # RFC 7523 §2.2: client authentication with a JWT.
    _form(
        _pairs(
            ("grant_type", "client_credentials"),
            client_assertion_type=usually(st.just(ASSERTION_TYPE), SHORT_TEXT),
            client_assertion=CLIENT_ASSERTIONS,
            client_id=usually(st.just(Ref("jwt_client_id")), SHORT_TEXT),
        ),
        authorization=(),
    ),
    # RFC 7523 §2.1: the JWT bearer grant.
    _form(
        _pairs(
            ("grant_type", JWT_BEARER),
            assertion=GRANT_ASSERTIONS,
            scope=st.one_of(st.just("read"), SHORT_TEXT),
        )
    ),
    # RFC 8693: token exchange.
    _form(
        _pairs(
            ("grant_type", TOKEN_EXCHANGE),
            subject_token=SUBJECT_TOKENS,
            subject_token_type=TOKEN_TYPE_VALUES,
            actor_token=SUBJECT_TOKENS,
            actor_token_type=TOKEN_TYPE_VALUES,
            requested_token_type=TOKEN_TYPE_VALUES,
            audience=st.one_of(st.just("https://api.fuzz.example"), SHORT_TEXT),
            resource=st.one_of(st.just("https://api.fuzz.example/"), SHORT_TEXT),
        )
    ),
    # RFC 9449 §5: a token request with proofs.
    _form(_pairs(("grant_type", "client_credentials")), dpop=PROOF_HEADERS),
)

RESOURCE_REQUESTS = st.one_of(
    _form(st.just(()), authorization=("dpop", Ref("dpop_token")), dpop=PROOF_HEADERS, method="GET"),
    _form(
        st.just(()), authorization=("bearer", Ref("dpop_token")), dpop=PROOF_HEADERS, method="GET"
    ),
    _form(st.just(()), authorization=("dpop", Ref("api_token")), dpop=PROOF_HEADERS, method="GET"),
)

_URIS = st.one_of(
    st.just("https://app.fuzz.example/cb"),
    st.sampled_from(["http://localhost/cb", "javascript:alert(1)", "https://a/#frag", "cb", ""]),
    SHORT_TEXT,
)
_HUGE_ARRAY = st.integers(1_000, 6_000).map(
    lambda n: RawJSON("[" + ",".join(['"https://a.example/cb"'] * n) + "]")
)
_STRINGS = st.one_of(st.lists(_URIS, max_size=4), JSON_VALUES, _HUGE_ARRAY)
KEYS_IN_JWKS = st.one_of(st.just(public_jwk("client")), BAD_JWKS)
_METHODS = st.sampled_from(
    [
        "client_secret_basic",
        "private_key_jwt",
        "client_secret_jwt",
        "none",
        "tls_client_auth",
        "self_signed_tls_client_auth",
    ]
)
#: A registration document (RFC 7591 §2) with zero to two fields broken.
REGISTRATION_DOCUMENTS: st.SearchStrategy[Template] = broken_fields(
    {
        "redirect_uris": ["https://app.fuzz.example/cb"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
        "client_name": "fuzz \u2603 client",
        "scope": "openid read",
    },
    {
        "redirect_uris": _STRINGS,
        "grant_types": st.one_of(
            st.lists(st.sampled_from([*GRANT_TYPES, TOKEN_EXCHANGE]), max_size=3), JSON_VALUES
        ),
        "response_types": st.one_of(st.just([]), JSON_VALUES),
        "token_endpoint_auth_method": st.one_of(_METHODS, JSON_VALUES),
        "jwks": st.one_of(st.builds(lambda jwk: {"keys": [jwk]}, KEYS_IN_JWKS), JSON_VALUES),
        "jwks_uri": st.one_of(
            st.sampled_from([UNFETCHABLE, "file:///dev/zero", "http://a b/"]), SHORT_TEXT
        ),
        "token_endpoint_auth_signing_alg": st.one_of(ALGORITHMS, JSON_VALUES),
        "client_name": st.one_of(st.text(max_size=200), JSON_VALUES),
        "contacts": _STRINGS,
        "scope": st.one_of(SHORT_TEXT, JSON_VALUES),
        "dpop_bound_access_tokens": st.one_of(st.booleans(), JSON_VALUES),
        "post_logout_redirect_uris": _STRINGS,
        "require_pushed_authorization_requests": st.one_of(st.booleans(), JSON_VALUES),
        "software_statement": st.one_of(JWTS, JSON_VALUES),
        "tls_client_auth_subject_dn": st.one_of(SHORT_TEXT, JSON_VALUES),
        "client_id": st.one_of(st.just(Ref("client_id")), JSON_VALUES),
        "access_token_ttl": st.one_of(st.sampled_from(HOSTILE_NUMBERS).map(RawJSON), JSON_VALUES),
        "nested": st.one_of(NESTING.map(RawJSON), HOSTILE_JSON_TEXT),
    },
)
REGISTRATIONS = st.builds(
    lambda document, authorization: RequestPlan(
        method="POST",
        suffix="",
        query=(),
        content_type="application/json",
        authorization=authorization,
        body=Body("json", document=document),
        cookie=None,
    ),
    REGISTRATION_DOCUMENTS,
    st.sampled_from([(), ("bearer", Ref("admin"))]),
)


def _pairs_of(fields: st.SearchStrategy[dict[str, Template]]) -> st.SearchStrategy[Pairs]:
    return fields.map(lambda values: tuple(values.items()))


#: A pushed authorization request (RFC 9126 §2.1) with zero to two parameters broken.
PUSHED_REQUESTS = _form(
    _pairs_of(
        broken_fields(
            {
                "response_type": "code",
                "redirect_uri": Ref("redirect_uri"),
                "scope": "openid read",
                "state": "xyz",
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                "code_challenge_method": "S256",
            },
            {
                "response_type": st.one_of(st.just("token"), SHORT_TEXT),
                "redirect_uri": _URIS,
                "scope": SHORT_TEXT,
                "code_challenge": SHORT_TEXT,
                "code_challenge_method": st.one_of(st.just("plain"), SHORT_TEXT),
                "request_uri": st.one_of(
                    st.just("urn:ietf:params:oauth:request_uri:x"), SHORT_TEXT
                ),
                "request": JWTS,
                "resource": _URIS,
                "prompt": st.one_of(st.sampled_from(["login", "none", "login none"]), SHORT_TEXT),
                "max_age": st.sampled_from(HOSTILE_NUMBERS),
                "authorization_details": st.one_of(JSON_VALUES, NESTING.map(RawJSON)),
                "dpop_jkt": st.one_of(st.just(public_jwk("dpop")["x"]), SHORT_TEXT),
                "client_id": st.one_of(st.just(Ref("client_id")), SHORT_TEXT),
            },
        )
    ),
    dpop=st.one_of(NO_PROOF, PROOF_HEADERS),
)

#: A logout request (RP-Initiated Logout 1.0 §2) with zero to two parameters broken.
_LOGOUT = _pairs_of(
    broken_fields(
        {
            "id_token_hint": Ref("id_token"),
            "post_logout_redirect_uri": "https://app.authmock.test/bye",
            "client_id": Ref("client_id"),
            "state": "xyz",
        },
        {
            "id_token_hint": st.one_of(GRANT_ASSERTIONS, JWTS, SHORT_TEXT),
            "post_logout_redirect_uri": _URIS,
            "client_id": SHORT_TEXT,
            "state": SHORT_TEXT,
            "logout_hint": SHORT_TEXT,
            "ui_locales": SHORT_TEXT,
            "action": st.sampled_from(["logout", "cancel", "x"]),
            "csrf_token": SHORT_TEXT,
        },
    )
)
LOGOUTS = st.one_of(
    _form(_LOGOUT, authorization=(), method="GET"),
    _form(_LOGOUT, authorization=()),
)

_MANAGER = ("bearer", Ref("reg_token"))
#: RFC 7592: read, replace (a full document naming the client) and delete a registration.
MANAGEMENT = st.one_of(
    st.builds(
        lambda method: RequestPlan(method, "", (), None, _MANAGER, Body("form"), None),
        st.sampled_from(["GET", "DELETE"]),
    ),
    st.builds(
        lambda document: RequestPlan(
            "PUT", "", (), "application/json", _MANAGER, Body("json", document=document), None
        ),
        REGISTRATION_DOCUMENTS.map(
            lambda document: {"client_id": Ref("reg_client_id"), **document}
        ),
    ),
)

#: The endpoints this module reaches deeper, and how.
DEEP: dict[str, st.SearchStrategy[RequestPlan]] = {
    "token_endpoint": TOKEN_REQUESTS,
    "protected_resource": RESOURCE_REQUESTS,
    "registration_endpoint": REGISTRATIONS,
    "registration_item": MANAGEMENT,
    "pushed_authorization_request_endpoint": PUSHED_REQUESTS,
    "end_session_endpoint": LOGOUTS,
}
#: The trusted issuer's name, for the target fixture.
__all__ = ["DEEP", "TRUSTED_ISSUER"]
