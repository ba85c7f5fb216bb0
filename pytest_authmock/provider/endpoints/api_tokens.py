"""The API-token management API, documented at ``/api/openapi.json``.

Authenticated by a bearer token with the admin scope (``api_tokens:admin`` by default):

* ``POST /api/tokens``: create (``name``, ``scopes``, ``expires_in`` or ``null``,
  ``bind_to_session``); the answer is the only place the secret ever appears;
* ``GET /api/tokens``: list the caller's tokens (never the secret);
* ``GET /api/tokens/{id}``: one token; ``DELETE /api/tokens/{id}``: revoke it.
"""

from __future__ import annotations

from typing import Any

import httpx

from pytest_authmock.provider import api_tokens
from pytest_authmock.provider.bearer import check_bearer
from pytest_authmock.provider.context import ProviderContext, ProviderRequest
from pytest_authmock.provider.errors import InvalidRequest, InvalidScope, NotFound
from pytest_authmock.provider.http import body_bytes, json_response, require_method
from pytest_authmock.provider.limits import load_json
from pytest_authmock.provider.models import TokenRecord
from pytest_authmock.provider.openapi import openapi_document
from pytest_authmock.provider.paths import PATHS

PATH = PATHS["api_tokens"]
_MAX_BODY = 16 * 1024
_FIELDS = ("name", "scopes", "expires_in", "bind_to_session")


def _caller(ctx: ProviderContext, request: ProviderRequest) -> TokenRecord | httpx.Response:
    header = request.headers.get("authorization")
    result = check_bearer(
        ctx, header, scopes=(ctx.flows.settings.api_token_admin_scope,), peer_cert=request.peer_cert
    )
    trace = request.trace
    if result.token is None:
        trace.error = result.error  # None for a bare challenge (RFC 6750 §3.1)
        return result.to_response()
    trace.client_id = result.token.client_id
    trace.username = result.token.username
    value = (header or "").strip().partition(" ")[2].strip()
    return ctx.store.tokens[value]


def _json_body(request: httpx.Request) -> dict[str, Any]:
    mime = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if mime != "application/json":
        raise InvalidRequest(
            f"send the new token as an application/json object; the request had "
            f"{'Content-Type ' + repr(mime) if mime else 'no Content-Type'}"
        )
    raw = body_bytes(request)
    if len(raw) > _MAX_BODY:
        raise InvalidRequest(f"request body is {len(raw)} bytes; at most {_MAX_BODY} are accepted")
    body = load_json(raw)
    if not isinstance(body, dict):
        raise InvalidRequest("request body must be a JSON object")
    unknown = sorted(set(body) - set(_FIELDS))
    if unknown:
        raise InvalidRequest(
            f"unknown field {', '.join(map(repr, unknown))}; known fields: {', '.join(_FIELDS)}"
        )
    return body


def _create_from(
    ctx: ProviderContext, request: httpx.Request, caller: TokenRecord
) -> httpx.Response:
    body = _json_body(request)
    if "name" not in body:
        raise InvalidRequest("the name field is missing")
    name = api_tokens.check_name(body["name"])
    expires_in = api_tokens.check_expires_in(body.get("expires_in"))
    admin = ctx.flows.settings.api_token_admin_scope
    if "scopes" in body:
        scopes = api_tokens.check_scopes(body["scopes"])
        extra = [scope for scope in scopes if scope not in caller.scope]
        if extra:
            # No escalation: a token never gets more than the token that made it.
            raise InvalidScope(
                f"cannot grant scope {' '.join(extra)!r}: the token creating it lacks it "
                f"(has {' '.join(caller.scope)})"
            )
    else:
        scopes = tuple(scope for scope in caller.scope if scope != admin)
    bind = body.get("bind_to_session", False)
    if not isinstance(bind, bool):
        raise InvalidRequest(f"bind_to_session must be true or false; got {bind!r}")
    if bind and caller.family_id is None:
        raise InvalidRequest(
            "bind_to_session needs a user session token (from a login); this bearer token "
            "belongs to no session"
        )
    client = ctx.store.clients[caller.client_id]
    token = api_tokens.create(
        ctx,
        client=client,
        owner=caller.sub,
        username=caller.username,
        name=name,
        scopes=scopes,
        expires_in=expires_in,
        bound_session=caller.family_id if bind else None,
    )
    answer = {**token.describe(ctx.clock.now()), "token": token.token}
    return json_response(201, answer, headers={"Location": f"{ctx.issuer}{PATH}/{token.id}"})


def api_tokens_api(ctx: ProviderContext, request: ProviderRequest) -> httpx.Response:
    """``/api/tokens`` and ``/api/tokens/{id}``."""
    _, _, rest = request.url.path.partition(PATH)
    token_id = rest.strip("/")
    if "/" in token_id:
        raise NotFound(f"no endpoint at {request.url.path!r}")
    require_method(request.http, *(("GET", "DELETE") if token_id else ("GET", "POST")))
    caller = _caller(ctx, request)
    if isinstance(caller, httpx.Response):
        return caller
    now = ctx.clock.now()
    if not token_id:
        if request.method == "POST":
            return _create_from(ctx, request.http, caller)
        mine = sorted(
            # Revoked ones too may linger here (revoked at /oauth2/revoke, RFC 7009).
            (t for t in ctx.flows.api_tokens.values() if t.owner == caller.sub and not t.revoked),
            key=lambda t: (t.created_at, t.id),
        )
        return json_response(200, {"tokens": [t.describe(now) for t in mine]})
    if request.method == "DELETE":
        api_tokens.revoke(ctx, token_id, caller=caller)
        return httpx.Response(204, headers={"Cache-Control": "no-store"})
    token = ctx.flows.api_tokens.get(token_id)
    if token is None or token.revoked or token.owner != caller.sub:
        raise NotFound(f"no API token {token_id!r} (it may have been revoked already)")
    return json_response(200, token.describe(now))


def openapi(ctx: ProviderContext, request: ProviderRequest) -> httpx.Response:
    require_method(request.http, "GET", "HEAD")
    return json_response(200, openapi_document(ctx.issuer, ctx.flows.settings), cache=True)
