"""API tokens (personal and service-account tokens) and their management API.

An API token is an opaque access token the user (or a client) creates for
automation. It lives in the provider's token store like any other access
token, so protected resources and introspection accept it, and refuse it the
moment it is revoked or expires. It belongs to no refresh-token family, so it
outlives the session that created it (logging out does not end it).

Management endpoints (documented at ``/api/openapi.json``), authenticated by a
bearer token with the admin scope (``api_tokens:admin`` by default):

* ``POST /api/tokens``: create (``name``, ``scopes``, ``expires_in`` or ``null``,
  ``bind_to_session``); the answer is the only place the secret ever appears;
* ``GET /api/tokens``: list the caller's tokens (never the secret);
* ``GET /api/tokens/{id}``: one token; ``DELETE /api/tokens/{id}``: revoke it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx
from cryptography import x509

from pytest_authmock.provider.errors import (
    Forbidden,
    InvalidRequest,
    InvalidScope,
    NotFound,
)
from pytest_authmock.provider.flowstate import ApiToken
from pytest_authmock.provider.grants import parse_scope
from pytest_authmock.provider.http import body_bytes, json_response, require_method
from pytest_authmock.provider.models import Client, TokenRecord
from pytest_authmock.provider.openapi import openapi_document
from pytest_authmock.provider.resource import check_bearer

if TYPE_CHECKING:
    from pytest_authmock.provider.idp import FakeIdP

PATH = "/api/tokens"
OPENAPI_PATH = "/api/openapi.json"
#: A recognisable prefix lets secret scanners (and people) tell what leaked.
TOKEN_PREFIX = "amk_"
_MAX_BODY = 16 * 1024
_FIELDS = ("name", "scopes", "expires_in", "bind_to_session")

Trace = dict[str, Any]


def create(
    idp: FakeIdP,
    *,
    client: Client,
    owner: str,
    username: str | None,
    name: str,
    scopes: Sequence[str],
    expires_in: int | None,
    bound_session: str | None = None,
) -> ApiToken:
    """Mint an API token; every argument already validated."""
    now = idp.clock.now()
    expires_at = None if expires_in is None else now + expires_in
    record = TokenRecord(
        value=TOKEN_PREFIX + secrets.token_urlsafe(32),
        jti=secrets.token_urlsafe(16),
        kind="access",
        client_id=client.client_id,
        sub=owner,
        username=username,
        scope=tuple(scopes),
        audience=tuple(client.audience or (idp.config.default_audience,)),
        issued_at=now,
        expires_at=expires_at,
        not_before=now,
        token_format="opaque",
    )
    idp.store.add_token(record)
    token = ApiToken(
        id="tok_" + secrets.token_hex(8),
        name=name,
        owner=owner,
        username=username,
        client_id=client.client_id,
        scopes=tuple(scopes),
        created_at=now,
        expires_at=expires_at,
        record=record,
        bound_session=bound_session,
    )
    idp.store.flows.api_tokens[token.id] = token
    return token


def revoke(idp: FakeIdP, token_id: str, *, caller: TokenRecord | None = None) -> ApiToken:
    """Revoke and forget a token; ``caller`` (the API's bearer) must own it and, for a
    session-bound token, belong to that session."""
    token = idp.store.flows.api_tokens.get(token_id)
    if token is None or token.revoked or (caller is not None and token.owner != caller.sub):
        raise NotFound(f"no API token {token_id!r} (it may have been revoked already)")
    if (
        caller is not None
        and token.bound_session is not None
        and caller.family_id != token.bound_session
    ):
        raise Forbidden(
            f"API token {token_id!r} is bound to the session (device) that created it; "
            "revoke it from that device"
        )
    token.record.revoked = True
    del idp.store.flows.api_tokens[token_id]
    return token


def check_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise InvalidRequest(
            f"name must be a non-empty string of at most 100 characters; got {name!r}"
        )
    return name.strip()


def check_expires_in(expires_in: object) -> int | None:
    if expires_in is None:
        return None
    if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in <= 0:
        raise InvalidRequest(
            f"expires_in must be a positive whole number of seconds, or null for a token that "
            f"never expires; got {expires_in!r}"
        )
    return expires_in


def check_scopes(scopes: object) -> tuple[str, ...]:
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise InvalidRequest(f"scopes must be a list of scope names; got {scopes!r}")
    checked: list[str] = []
    for scope in scopes:
        if parse_scope(scope) != (scope,):
            raise InvalidScope(f"scope {scope!r} is not a single RFC 6749 §3.3 scope token")
        if scope not in checked:
            checked.append(scope)
    return tuple(checked)


# -- HTTP -------------------------------------------------------------------------------


def _caller(
    idp: FakeIdP, request: httpx.Request, peer: x509.Certificate | None, trace: Trace
) -> TokenRecord | httpx.Response:
    header = request.headers.get("authorization")
    result = check_bearer(
        idp, header, scopes=(idp.store.flows.settings.api_token_admin_scope,), peer_cert=peer
    )
    if result.token is None:
        trace["error"] = result.error  # None for a bare challenge (RFC 6750 §3.1)
        return result.to_response()
    trace["client_id"] = result.token.client_id
    trace["username"] = result.token.username
    value = (header or "").strip().partition(" ")[2].strip()
    return idp.store.tokens[value]


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
    try:
        body = json.loads(raw)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise InvalidRequest("request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidRequest("request body must be a JSON object")
    unknown = sorted(set(body) - set(_FIELDS))
    if unknown:
        raise InvalidRequest(
            f"unknown field {', '.join(map(repr, unknown))}; known fields: {', '.join(_FIELDS)}"
        )
    return body


def _create_from(idp: FakeIdP, request: httpx.Request, caller: TokenRecord) -> httpx.Response:
    body = _json_body(request)
    if "name" not in body:
        raise InvalidRequest("the name field is missing")
    name = check_name(body["name"])
    expires_in = check_expires_in(body.get("expires_in"))
    admin = idp.store.flows.settings.api_token_admin_scope
    if "scopes" in body:
        scopes = check_scopes(body["scopes"])
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
    client = idp.store.clients[caller.client_id]
    token = create(
        idp,
        client=client,
        owner=caller.sub,
        username=caller.username,
        name=name,
        scopes=scopes,
        expires_in=expires_in,
        bound_session=caller.family_id if bind else None,
    )
    answer = {**token.describe(idp.clock.now()), "token": token.token}
    return json_response(201, answer, headers={"Location": f"{idp.issuer}{PATH}/{token.id}"})


def api_tokens(
    idp: FakeIdP, request: httpx.Request, peer: x509.Certificate | None, trace: Trace
) -> httpx.Response:
    """``/api/tokens`` and ``/api/tokens/{id}``."""
    _, _, rest = request.url.path.partition(PATH)
    token_id = rest.strip("/")
    if "/" in token_id:
        raise NotFound(f"no endpoint at {request.url.path!r}")
    require_method(request, *(("GET", "DELETE") if token_id else ("GET", "POST")))
    caller = _caller(idp, request, peer, trace)
    if isinstance(caller, httpx.Response):
        return caller
    now = idp.clock.now()
    if not token_id:
        if request.method == "POST":
            return _create_from(idp, request, caller)
        mine = sorted(
            # Revoked ones too may linger here (revoked at /oauth2/revoke, RFC 7009).
            (
                t
                for t in idp.store.flows.api_tokens.values()
                if t.owner == caller.sub and not t.revoked
            ),
            key=lambda t: (t.created_at, t.id),
        )
        return json_response(200, {"tokens": [t.describe(now) for t in mine]})
    if request.method == "DELETE":
        revoke(idp, token_id, caller=caller)
        return httpx.Response(204, headers={"Cache-Control": "no-store"})
    token = idp.store.flows.api_tokens.get(token_id)
    if token is None or token.revoked or token.owner != caller.sub:
        raise NotFound(f"no API token {token_id!r} (it may have been revoked already)")
    return json_response(200, token.describe(now))


def openapi(
    idp: FakeIdP, request: httpx.Request, peer: x509.Certificate | None, trace: Trace
) -> httpx.Response:
    require_method(request, "GET", "HEAD")
    return json_response(200, openapi_document(idp.issuer, idp.store.flows.settings), cache=True)
