"""Control routes for who exists: users, clients and the tokens they hold."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from pytest_authmock.control import fields as f
from pytest_authmock.control.http import attempt, conflict, json_response, not_found
from pytest_authmock.control.routes import PREFIX, Call, Route
from pytest_authmock.control.tables import CLIENT_FIELDS, USER_FIELDS, checked_table

if TYPE_CHECKING:
    from pytest_authmock.provider.models import Client, User

_STRINGS: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
_NULLABLE_STRINGS: dict[str, Any] = {"type": ["array", "null"], "items": {"type": "string"}}


def _user(user: User) -> dict[str, Any]:
    # Never the password: only the 201 of its creation returns it.
    return {
        "username": user.username,
        "sub": user.sub,
        "disabled": user.disabled,
        "claims": user.claims,
    }


def _client(client: Client) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "public": client.public,
        "grant_types": None if client.grant_types is None else sorted(client.grant_types),
        "scopes": None if client.scopes is None else sorted(client.scopes),
        "token_endpoint_auth_methods": list(client.token_endpoint_auth_methods),
        "redirect_uris": list(client.redirect_uris),
        "disabled": client.disabled,
    }


USER_SCHEMA = {
    "type": "object",
    "properties": {
        "username": {"type": "string"},
        "sub": {"type": "string"},
        "disabled": {"type": "boolean"},
        "claims": {"type": "object"},
    },
}
CLIENT_SCHEMA = {
    "type": "object",
    "properties": {
        "client_id": {"type": "string"},
        "public": {"type": "boolean"},
        "grant_types": _NULLABLE_STRINGS,
        "scopes": _NULLABLE_STRINGS,
        "token_endpoint_auth_methods": _STRINGS,
        "redirect_uris": _STRINGS,
        "disabled": {"type": "boolean"},
    },
}
_DISABLED = (f.Field("disabled", f.boolean(), "disable or enable", required=True),)


def _location(collection: str, name: str) -> str:
    return f"{PREFIX}/{collection}/{quote(name, safe='')}"


def list_users(call: Call) -> httpx.Response:
    return json_response(200, {"users": [_user(user) for user in call.idp.users.values()]})


def add_user(call: Call) -> httpx.Response:
    table = checked_table("users", USER_FIELDS, call.body())
    if table.get("username") in call.idp.users:
        raise conflict(f"username: user {table['username']!r} already exists")
    user = attempt(call.idp.add_user, **table)
    body = {"username": user.username, "password": user.password, "sub": user.sub}
    return json_response(201, body, headers={"Location": _location("users", user.username)})


def change_user(call: Call) -> httpx.Response:
    values = f.check_body(_DISABLED, call.body())
    name = call.params["username"]
    method = call.idp.disable_user if values["disabled"] else call.idp.enable_user
    return json_response(200, _user(attempt(method, name)))


def list_clients(call: Call) -> httpx.Response:
    clients = [_client(client) for client in call.idp.clients.values()]
    return json_response(200, {"clients": clients})


def add_client(call: Call) -> httpx.Response:
    table = checked_table("clients", CLIENT_FIELDS, call.body())
    if table.get("client_id") in call.idp.clients:
        raise conflict(f"client_id: client {table['client_id']!r} already exists")
    extra: dict[str, Any] = {}
    prepare = call.context.prepare_client
    if prepare is not None:
        table, extra = attempt(prepare, table)
    else:
        table.pop("p12_password", None)  # only meaningful when a certificate is written
    client = attempt(call.idp.add_client, **table)
    body = {"client_id": client.client_id, "client_secret": client.client_secret, **extra}
    return json_response(201, body, headers={"Location": _location("clients", client.client_id)})


def change_client(call: Call) -> httpx.Response:
    values = f.check_body(_DISABLED, call.body())
    client_id = call.params["client_id"]
    method = call.idp.disable_client if values["disabled"] else call.idp.enable_client
    return json_response(200, _client(attempt(method, client_id)))


ISSUE_FIELDS = (
    f.Field("client_id", f.text(min_length=1), "the client the token is for", required=True),
    f.Field("username", f.text(min_length=1), "the user it acts for; absent: the client itself"),
    f.Field("scopes", f.text_list(), "its scopes"),
    f.Field("ttl", f.integer(1).nullable(), "seconds; null: never expires; absent: the client's"),
)
REVOKE_FIELDS = (
    f.Field(
        "token",
        f.text(min_length=1, max_length=16384),
        "an access, refresh or API token this provider issued",
        required=True,
    ),
)


def issue_token(call: Call) -> httpx.Response:
    values = f.check_body(ISSUE_FIELDS, call.body())
    idp = call.idp
    if values["client_id"] not in idp.clients:
        raise not_found(f"client_id: no client {values['client_id']!r}")
    username = values.get("username")
    if username is not None and username not in idp.users:
        raise not_found(f"username: no user {username!r}")
    keywords: dict[str, Any] = {"user": username, "scopes": values.get("scopes", ())}
    if "ttl" in values:
        keywords["ttl"] = values["ttl"]
    token = attempt(idp.issue_token, values["client_id"], **keywords)
    return json_response(201, {"access_token": token, "token_type": "Bearer"})


def revoke_token(call: Call) -> httpx.Response:
    values = f.check_body(REVOKE_FIELDS, call.body())
    try:
        call.idp.revoke_token(values["token"])
    except LookupError:
        raise not_found("token: this provider never issued it (or a reset forgot it)") from None
    return json_response(200, {"revoked": True})


def reset(call: Call) -> httpx.Response:
    call.body(optional=True)
    call.context.faults.clear()
    baseline = call.context.baseline
    if baseline is not None:
        baseline.restore(call.idp)
    else:
        call.idp.reset()
    return json_response(204)


ROUTES = (
    Route(
        "GET",
        f"{PREFIX}/users",
        list_users,
        "listUsers",
        "The users (never their passwords)",
        answer={"type": "object", "properties": {"users": {"type": "array", "items": USER_SCHEMA}}},
    ),
    Route(
        "POST",
        f"{PREFIX}/users",
        add_user,
        "addUser",
        "Add a user: a [[users]] table of the TOML setup",
        status=201,
        body=f.object_schema(USER_FIELDS),
        answer={
            "type": "object",
            "properties": {k: {"type": "string"} for k in ("username", "password", "sub")},
        },
        errors=(409,),
    ),
    Route(
        "PATCH",
        f"{PREFIX}/users/{{username}}",
        change_user,
        "changeUser",
        "Disable (its tokens stop working, sign-ins fail) or enable a user",
        body=f.object_schema(_DISABLED),
        answer=USER_SCHEMA,
        errors=(404,),
    ),
    Route(
        "GET",
        f"{PREFIX}/clients",
        list_clients,
        "listClients",
        "The clients (never their secrets)",
        answer={
            "type": "object",
            "properties": {"clients": {"type": "array", "items": CLIENT_SCHEMA}},
        },
    ),
    Route(
        "POST",
        f"{PREFIX}/clients",
        add_client,
        "addClient",
        "Add a client: a [[clients]] table of the TOML setup. With TLS, the answer names "
        "its certificate files",
        status=201,
        body=f.object_schema(CLIENT_FIELDS),
        answer={
            "type": "object",
            "properties": {
                "client_id": {"type": "string"},
                "client_secret": {"type": ["string", "null"]},
                "certificate": {"type": "object"},
            },
        },
        errors=(409,),
    ),
    Route(
        "PATCH",
        f"{PREFIX}/clients/{{client_id}}",
        change_client,
        "changeClient",
        "Disable (its tokens stop working, it cannot authenticate) or enable a client",
        body=f.object_schema(_DISABLED),
        answer=CLIENT_SCHEMA,
        errors=(404,),
    ),
    Route(
        "POST",
        f"{PREFIX}/tokens",
        issue_token,
        "issueToken",
        "Mint an access token directly, as if a grant had succeeded",
        status=201,
        body=f.object_schema(ISSUE_FIELDS),
        answer={
            "type": "object",
            "properties": {"access_token": {"type": "string"}, "token_type": {"type": "string"}},
        },
        errors=(404,),
    ),
    Route(
        "POST",
        f"{PREFIX}/tokens/revoke",
        revoke_token,
        "revokeToken",
        "Revoke a token (a refresh token takes its whole grant with it)",
        body=f.object_schema(REVOKE_FIELDS),
        answer={"type": "object", "properties": {"revoked": {"type": "boolean"}}},
        errors=(404,),
    ),
    Route(
        "POST",
        f"{PREFIX}/reset",
        reset,
        "reset",
        "Fresh state: tokens, journal, clock, faults and expectations forgotten; the "
        "start-up clients, users and settings back; signing keys kept",
        status=204,
    ),
)
