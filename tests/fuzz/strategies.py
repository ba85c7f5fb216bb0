"""Hypothesis strategies for malformed requests (drawn as plans, see ``plans.py``)."""

from __future__ import annotations

from hypothesis import strategies as st

from tests.fuzz.plans import FORM, Body, JWTPlan, RawJSON, Ref, RequestPlan, Template

#: The names every live value is known by (see ``Target.live`` in the test module).
REFS = (
    "client_id",
    "client_secret",
    "username",
    "password",
    "admin",
    "api_token",
    "api_token_id",
    "refresh",
    "device_code",
    "user_code",
    "redirect_uri",
    "kid",
    "issuer",
)
#: Parameter and field names of every endpoint (RFC 6749, 7009, 7636, 7662, 8628, the
#: authorization pages and the API-token API), so drawn bodies are read, not ignored.
FIELDS = (
    "grant_type",
    "client_id",
    "client_secret",
    "scope",
    "username",
    "password",
    "refresh_token",
    "code",
    "redirect_uri",
    "code_verifier",
    "code_challenge",
    "code_challenge_method",
    "response_type",
    "response_mode",
    "state",
    "nonce",
    "prompt",
    "max_age",
    "device_code",
    "user_code",
    "token",
    "token_type_hint",
    "action",
    "csrf_token",
    "expires_in",
    "name",
    "scopes",
    "bind_to_session",
    "resource",
    "audience",
)
GRANT_TYPES = (
    "client_credentials",
    "password",
    "refresh_token",
    "authorization_code",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
)
#: Numbers no lifetime, interval or timestamp can be.
HOSTILE_NUMBERS = (
    "100000000000000000000",
    "1" + "0" * 400,
    "9" * 5000,
    "1e400",
    "-1e400",
    "-1",
    "0",
    "-0",
    "1.5",
    "NaN",
    "Infinity",
    "0x10",
    str(2**63),
    str(2**64 + 1),
)
METHODS = (
    "POST",
    "POST",
    "POST",
    "GET",
    "GET",
    "GET",
    "HEAD",
    "PUT",
    "DELETE",
    "PATCH",
    "OPTIONS",
    "TRACE",
    "PROPFIND",
    "M-SEARCH",
)
CONTENT_TYPES = (
    None,
    FORM,
    "application/json",
    f"{FORM}; charset=ISO-8859-1",
    "application/json; charset=utf-16",
    "APPLICATION/JSON",
    "text/plain",
    "multipart/form-data; boundary=x",
    "application/jwt",
    ";;;",
    "application/x-www-form-urlencoded, application/json",
)
PATH_SUFFIXES = ("",) * 8 + ("/", "//", "/x", "/%2e%2e/oauth2/token", "/%ff", "/tok_0/x")


def bombs(opening: str, closing: str, deepest: int) -> st.SearchStrategy[str]:
    """Nestings deeper than any parser's recursion limit (1000), closed or not."""
    return st.tuples(st.integers(900, deepest), st.booleans()).map(
        lambda spec: opening * spec[0] + (closing * spec[0] if spec[1] else "")
    )


def nestings(deepest: int) -> st.SearchStrategy[str]:
    return st.one_of(
        bombs("[", "]", deepest),
        bombs('{"a":', "}", deepest).map(lambda s: s.replace("}", "1}", 1)),
    )


NESTING = nestings(20_000)
# Small enough that a few of them still fit in a URL or a header line.
SMALL_NESTING = nestings(3_000)
HOSTILE_JSON_TEXT = st.one_of(st.sampled_from(HOSTILE_NUMBERS), NESTING).map(RawJSON)

# Header-safe text: no control characters (those are the framing layer's to refuse),
# but obs-text (0x80-0xFF, RFC 9110 §5.5) is fair game.
HEADER_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"),
    max_size=40,
)
SHORT_TEXT = st.text(max_size=30)

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    SHORT_TEXT,
)
_KEYS = st.one_of(st.sampled_from(FIELDS), SHORT_TEXT)
_SHALLOW = st.one_of(
    JSON_SCALARS,
    st.lists(JSON_SCALARS, max_size=3),
    st.dictionaries(_KEYS, JSON_SCALARS, max_size=3),
)
# Two levels, written out: st.recursive costs several times more per draw, and
# depth beyond two is the nesting bombs' job.
JSON_VALUES: st.SearchStrategy[Template] = st.one_of(
    _SHALLOW,
    st.lists(_SHALLOW, max_size=3),
    st.dictionaries(_KEYS, _SHALLOW, max_size=3),
)


ALGORITHMS = st.sampled_from(
    ["RS256", "ES256", "PS256", "RS512", "HS256", "none", "None", "", "EdDSA", "dir"]
)
JOSE_HEADER = st.fixed_dictionaries(
    {},
    optional={
        "alg": st.one_of(ALGORITHMS, JSON_VALUES),
        "kid": st.one_of(st.just(Ref("kid")), SHORT_TEXT, JSON_VALUES),
        "typ": st.one_of(st.sampled_from(["JWT", "at+jwt", "JOSE"]), JSON_VALUES),
        "crit": JSON_VALUES,
        "jku": st.just("http://127.0.0.1:9/jwks.json"),
        "b64": st.booleans(),
        "zip": st.just("DEF"),
    },
)
JWT_CLAIMS = st.fixed_dictionaries(
    {},
    optional={
        "iss": st.one_of(st.just(Ref("issuer")), SHORT_TEXT, JSON_VALUES),
        "sub": st.one_of(st.just(Ref("username")), JSON_VALUES),
        "aud": JSON_VALUES,
        "exp": st.one_of(HOSTILE_JSON_TEXT, JSON_VALUES),
        "nbf": st.one_of(HOSTILE_JSON_TEXT, JSON_VALUES),
        "scope": st.one_of(st.just("api_tokens:admin openid"), JSON_VALUES),
        "client_id": st.one_of(st.just(Ref("client_id")), JSON_VALUES),
    },
)


def _segment(structured: st.SearchStrategy[Template]) -> st.SearchStrategy[Template]:
    return st.one_of(
        structured,
        JSON_VALUES,
        SMALL_NESTING.map(RawJSON),
        st.binary(max_size=40),
    )


JWTS: st.SearchStrategy[JWTPlan] = st.builds(
    JWTPlan,
    header=_segment(JOSE_HEADER),
    payload=_segment(JWT_CLAIMS),
    signature=st.binary(max_size=64),
    segments=st.sampled_from([3, 3, 3, 3, 1, 2, 5]),
)


def values(longest: int) -> st.SearchStrategy[Template]:
    """What a parameter value can be: live values, protocol words, hostile numbers and
    tokens, free text, raw bytes, and values longer than the provider's limit (8 KiB)."""
    return st.one_of(
        st.sampled_from([Ref(name) for name in REFS]),
        st.sampled_from(GRANT_TYPES),
        st.sampled_from(["openid", "api_tokens:admin read", "S256", "plain", "code", "approve"]),
        st.sampled_from(HOSTILE_NUMBERS),
        JWTS,
        SHORT_TEXT,
        st.binary(max_size=20),
        st.integers(9_000, longest).map(lambda n: "x" * n),
    )


VALUES = values(70_000)


NAMES = st.one_of(st.sampled_from(FIELDS), SHORT_TEXT, st.binary(max_size=6))
PAIRS = st.lists(st.tuples(NAMES, VALUES), max_size=8)
# httpx refuses to send a URL longer than 64 KiB; the query stays well below.
QUERY = st.lists(st.tuples(NAMES, values(10_000)), max_size=3)
API_TOKEN_BODY = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(st.just("ci"), JSON_VALUES, HOSTILE_JSON_TEXT, VALUES),
        "scopes": st.one_of(st.just(["read"]), JSON_VALUES, HOSTILE_JSON_TEXT),
        "expires_in": st.one_of(st.integers(-(2**80), 2**80), HOSTILE_JSON_TEXT, JSON_VALUES),
        "bind_to_session": st.one_of(st.booleans(), JSON_VALUES),
    },
)


BODIES = st.one_of(
    PAIRS.map(lambda pairs: Body("form", form=tuple(pairs))),
    st.one_of(API_TOKEN_BODY, JSON_VALUES, HOSTILE_JSON_TEXT).map(
        lambda document: Body("json", document=document)
    ),
    st.one_of(
        st.binary(max_size=200),
        st.integers(60_000, 200_000).map(lambda n: b"a=" + b"b" * n),
        st.sampled_from([b"", b"%%%===&&&", b"a=%ff%fe", b"a&a&a", b"=", b"\xff\xfe\x00"]),
    ).map(lambda raw: Body("raw", raw=raw)),
)

#: Authorization headers: valid ones (so the code behind them runs), hostile JWTs,
#: and everything else a broken client sends; a third each.
AUTHORIZATIONS: st.SearchStrategy[tuple[Template, ...]] = st.one_of(
    st.sampled_from([("basic",), ("bearer", Ref("admin")), ("bearer", Ref("api_token"))]),
    st.tuples(st.just("bearer"), JWTS),
    st.one_of(
        st.just(()),
        st.tuples(st.just("bearer"), st.one_of(SHORT_TEXT, st.just(Ref("refresh")))),
        st.tuples(st.just("bearer"), st.integers(9_000, 40_000).map(lambda n: "a" * n)),
        st.tuples(st.just("basic-raw"), st.binary(max_size=40)),
        st.tuples(
            st.just("header"),
            st.one_of(
                HEADER_TEXT,
                st.sampled_from(["Bearer", "Basic", "Digest x", "Bearer a b", "bEaReR x"]),
            ),
        ),
        st.tuples(st.just("twice"), st.just(Ref("admin")), st.just(Ref("api_token"))),
    ),
)


# Mostly the content type that matches the body, so the parsers behind it run.
_CONTENT_TYPES = {
    kind: st.one_of(st.just(mime), st.just(mime), st.sampled_from(CONTENT_TYPES))
    for kind, mime in (("form", FORM), ("json", "application/json"), ("raw", None))
}


@st.composite
def _requests(draw: st.DrawFn) -> RequestPlan:
    body = draw(BODIES)
    return RequestPlan(
        method=draw(st.sampled_from(METHODS)),
        suffix=draw(st.sampled_from(PATH_SUFFIXES)),
        query=tuple(draw(st.one_of(st.just([]), QUERY))),
        content_type=draw(_CONTENT_TYPES[body.kind]),
        authorization=draw(AUTHORIZATIONS),
        body=body,
        cookie=draw(st.one_of(st.none(), HEADER_TEXT.map(lambda text: f"authmock_csrf={text}"))),
    )


REQUESTS: st.SearchStrategy[RequestPlan] = _requests()
