"""Valid requests to mutate: how the fuzzer gets deep into the endpoints it knows.

Random requests mostly stop at the first check (method, content type, client
authentication). Half the examples of an endpoint listed here start from a
request it accepts and change one to three parts of it: a value, a duplicate
parameter, the content type, the method, the credentials. An endpoint not
listed (a new one) still gets the random requests.
"""

from __future__ import annotations

import dataclasses
import functools

from hypothesis import strategies as st

from tests.fuzz.deep_baselines import DEEP
from tests.fuzz.plans import Body, Ref, RequestPlan, Template
from tests.fuzz.strategies import (
    AUTHORIZATIONS,
    CONTENT_TYPES,
    HOSTILE_JSON_TEXT,
    JSON_VALUES,
    METHODS,
    NAMES,
    REQUESTS,
    VALUES,
)

ADMIN = ("bearer", Ref("admin"))
BASIC = ("basic",)


def _plan(
    method: str,
    *,
    form: tuple[tuple[Template, Template], ...] = (),
    query: tuple[tuple[Template, Template], ...] = (),
    document: dict[str, Template] | None = None,
    authorization: tuple[Template, ...] = (),
) -> RequestPlan:
    body = Body("json", document=document) if document is not None else Body("form", form=form)
    return RequestPlan(
        method=method,
        suffix="",
        query=query,
        content_type=body.content_type if method == "POST" else None,
        authorization=authorization,
        body=body,
        cookie=None,
    )


BASELINES: dict[str, tuple[RequestPlan, ...]] = {
    "token_endpoint": (
        _plan("POST", form=(("grant_type", "client_credentials"),), authorization=BASIC),
        _plan(
            "POST",
            form=(
                ("grant_type", "password"),
                ("username", Ref("username")),
                ("password", Ref("password")),
                ("scope", "openid read"),
            ),
            authorization=BASIC,
        ),
        _plan(
            "POST",
            form=(("grant_type", "refresh_token"), ("refresh_token", Ref("refresh"))),
            authorization=BASIC,
        ),
        _plan(
            "POST",
            form=(
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", Ref("device_code")),
                ("client_id", Ref("client_id")),
                ("client_secret", Ref("client_secret")),
            ),
        ),
    ),
    "introspection_endpoint": (
        _plan("POST", form=(("token", Ref("api_token")),), authorization=BASIC),
    ),
    "revocation_endpoint": (
        _plan(
            "POST",
            form=(("token", Ref("refresh")), ("token_type_hint", "refresh_token")),
            authorization=BASIC,
        ),
    ),
    "userinfo_endpoint": (_plan("GET", authorization=ADMIN),),
    "device_authorization_endpoint": (
        _plan("POST", form=(("scope", "openid"),), authorization=BASIC),
    ),
    "authorization_endpoint": (
        _plan(
            "GET",
            query=(
                ("response_type", "code"),
                ("client_id", Ref("client_id")),
                ("redirect_uri", Ref("redirect_uri")),
                ("scope", "openid"),
                ("state", "xyz"),
                ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
                ("code_challenge_method", "S256"),
            ),
        ),
    ),
    "api_tokens_endpoint": (
        _plan(
            "POST",
            document={"name": "ci", "scopes": ["read"], "expires_in": 3600},
            authorization=ADMIN,
        ),
        _plan("GET", authorization=ADMIN),
    ),
    "api_token_item": (_plan("GET", authorization=ADMIN), _plan("DELETE", authorization=ADMIN)),
    "protected_resource": (_plan("GET", authorization=("bearer", Ref("api_token"))),),
    "verification_uri": (
        _plan(
            "POST",
            form=(
                ("user_code", Ref("user_code")),
                ("username", Ref("username")),
                ("password", Ref("password")),
                ("action", "approve"),
            ),
        ),
    ),
}

JSON_REPLACEMENTS = st.one_of(HOSTILE_JSON_TEXT, JSON_VALUES, VALUES)


@st.composite
def _mutate(draw: st.DrawFn, base: RequestPlan) -> RequestPlan:
    plan = base
    for _ in range(draw(st.integers(1, 3))):
        part = draw(st.sampled_from(["value", "value", "value", "add", "auth", "type", "method"]))
        if part in ("value", "add"):
            plan = _change_value(draw, plan, add=part == "add")
        elif part == "auth":
            plan = dataclasses.replace(plan, authorization=draw(AUTHORIZATIONS))
        elif part == "type":
            plan = dataclasses.replace(plan, content_type=draw(st.sampled_from(CONTENT_TYPES)))
        else:
            plan = dataclasses.replace(plan, method=draw(st.sampled_from(METHODS)))
    return plan


def _change_value(draw: st.DrawFn, plan: RequestPlan, *, add: bool) -> RequestPlan:
    body = plan.body
    if body.kind == "json" and isinstance(body.document, dict):
        document = dict(body.document)
        keys = sorted(document)
        add = add or not keys
        key = (
            draw(NAMES.filter(lambda n: isinstance(n, str))) if add else draw(st.sampled_from(keys))
        )
        document[key] = draw(JSON_REPLACEMENTS)
        return dataclasses.replace(plan, body=Body("json", document=document))
    # A form body, or the query of a GET: replace a pair's value or repeat a name.
    in_query = plan.method == "GET" or not body.form
    pairs = list(plan.query if in_query else body.form)
    if pairs and not add:
        index = draw(st.integers(0, len(pairs) - 1))
        pairs[index] = (pairs[index][0], draw(VALUES))
    else:
        name = draw(st.one_of(st.sampled_from([n for n, _ in pairs] or ["scope"]), NAMES))
        pairs.insert(draw(st.integers(0, len(pairs))), (name, draw(VALUES)))
    if in_query:
        return dataclasses.replace(plan, query=tuple(pairs))
    return dataclasses.replace(plan, body=Body("form", form=tuple(pairs)))


@functools.cache
def requests_for(endpoint: str) -> st.SearchStrategy[RequestPlan]:
    """Random requests, and for a known endpoint as many changed valid ones."""
    bases = BASELINES.get(endpoint, ())
    deep = DEEP.get(endpoint)
    # Hostile parts in valid requests, and those requests changed further.
    drawn = (deep, deep, deep, deep.flatmap(_mutate)) if deep is not None else ()
    if not bases and not drawn:
        return REQUESTS
    return st.one_of(REQUESTS, *(_mutate(base) for base in bases), *drawn)
