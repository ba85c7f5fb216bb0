"""Control routes for what happens to requests: clock, device decisions, flow
settings, faults and signing keys."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx

from pytest_authmock.control import fields as f
from pytest_authmock.control.http import (
    attempt,
    bad_request,
    conflict,
    json_response,
    not_found,
)
from pytest_authmock.control.routes import PREFIX, Call, Route
from pytest_authmock.control.tables import (
    FAULT_FIELDS,
    FAULT_KINDS,
    checked_table,
    fault_keywords,
    fault_method,
)

# -- clock ----------------------------------------------------------------------------

CLOCK_FIELDS = (
    f.Field("advance", f.number(), "move the provider's time forward (negative: back), seconds"),
    f.Field("skew", f.number(), "set how far the provider runs ahead of its clients, seconds"),
)
CLOCK_SCHEMA = {
    "type": "object",
    "properties": {
        "now": {"type": "number", "description": "the provider's time, epoch seconds"},
        "skew": {"type": "number"},
    },
}


def _clock(call: Call) -> httpx.Response:
    clock = call.idp.clock
    return json_response(200, {"now": clock.now(), "skew": clock.skew})


def move_clock(call: Call) -> httpx.Response:
    values = f.check_body(CLOCK_FIELDS, call.body())
    if not values:
        raise bad_request("send advance or skew (seconds)")
    if "advance" in values:
        call.idp.clock.advance(values["advance"])
    if "skew" in values:
        call.idp.clock.skew = values["skew"]
    return _clock(call)


# -- device decisions (RFC 8628 §3.3, without the page) ---------------------------------

DECISION_FIELDS = (
    f.Field("decision", f.enum("approve", "deny"), "what the user decides", required=True),
    f.Field("username", f.text(min_length=1), "approve: the user who approves"),
)


def _normalised(user_code: str) -> str:
    # RFC 8628 §6.1: what people type varies in case and dashes.
    return "".join(char for char in user_code.upper() if char.isalnum())


def pending_devices(call: Call) -> httpx.Response:
    now = call.idp.clock.now()
    pending = [
        {
            "user_code": authz.user_code,
            "client_id": authz.client_id,
            "scope": " ".join(authz.scope),
            "expires_at": authz.expires_at,
            "expires_in": max(0, int(authz.expires_at - now)),
        }
        for authz in call.idp.device_authorizations()
    ]
    return json_response(200, {"pending": pending})


def decide_device(call: Call) -> httpx.Response:
    values = f.check_body(DECISION_FIELDS, call.body())
    idp = call.idp
    wanted = _normalised(call.params["user_code"])
    found = [
        a for a in idp.device_authorizations(pending=False) if _normalised(a.user_code) == wanted
    ]
    if not found:
        raise not_found(f"no device authorization with user code {call.params['user_code']!r}")
    authz = found[0]
    if authz.status != "pending":
        raise conflict(f"user code {authz.user_code} was already {authz.status}")
    if authz.expired(idp.clock.now()):
        raise conflict(f"user code {authz.user_code} has expired")
    if values["decision"] == "deny":
        idp.deny_device(authz.user_code)
    else:
        username = values.get("username")
        if username is None:
            raise bad_request("username is missing: approving needs the user who approves")
        if username not in idp.users:
            raise bad_request(f"username: no user {username!r}")
        idp.approve_device(authz.user_code, user=username)
    return json_response(200, {"user_code": authz.user_code, "status": authz.status})


# -- flow settings ----------------------------------------------------------------------

SETTINGS_FIELDS = (
    f.Field("device_code_ttl", f.integer(1, 86400), "lifetime of new device codes, seconds"),
    f.Field("device_interval", f.integer(0, 3600), "polling interval of new device codes"),
    f.Field("authorization_code_ttl", f.integer(1, 3600), "authorization code lifetime"),
    f.Field(
        "auto_approve",
        f.text(min_length=1).nullable(),
        "a username: sign-ins and new device codes are approved for them at once",
    ),
    f.Field("allow_plain_pkce", f.boolean(), "accept the RFC 7636 'plain' method"),
    f.Field("require_pkce_for_confidential", f.boolean(), "PKCE for confidential clients too"),
    f.Field("api_token_admin_scope", f.text(min_length=1), "scope the API-token endpoints require"),
    f.Field(
        "sign_in_hint",
        f.text(min_length=1, max_length=500).nullable(),
        "a line the sign-in and device pages show above their form",
    ),
)


def _settings(call: Call) -> httpx.Response:
    return json_response(200, dataclasses.asdict(call.idp.flow_settings))


def change_settings(call: Call) -> httpx.Response:
    values = f.check_body(SETTINGS_FIELDS, call.body())
    idp = call.idp
    if "auto_approve" in values:
        user = values.pop("auto_approve")
        if user is not None and user not in idp.users:
            raise bad_request(f"auto_approve: no user {user!r}")
        idp.auto_approve = user
    for name, value in values.items():
        setattr(idp.flow_settings, name, value)
    return _settings(call)


# -- faults ----------------------------------------------------------------------------


def _fault(fault: Any) -> dict[str, Any]:
    return {"call": fault.describe(), "fired": fault.fired, "exhausted": fault.exhausted}


def list_faults(call: Call) -> httpx.Response:
    return json_response(200, {"faults": [_fault(fault) for fault in call.context.faults]})


def plan_fault(call: Call) -> httpx.Response:
    table = checked_table("faults", FAULT_FIELDS, call.body())
    kind = table.pop("kind")
    accepted = fault_keywords(kind)
    for name in table:
        if name not in accepted:
            raise bad_request(
                f"{name} does not apply to kind {kind!r}; it takes {', '.join(accepted)}"
            )
    method = getattr(call.idp, fault_method(kind))
    if table.get("times") == "always":
        table["times"] = None
    fault = attempt(method, **table)
    call.context.faults.append(fault)
    return json_response(201, _fault(fault))


def clear_faults(call: Call) -> httpx.Response:
    call.idp.clear_faults()
    call.context.faults.clear()
    return json_response(204)


# -- keys -------------------------------------------------------------------------------

ROTATE_FIELDS = (
    f.Field(
        "grace",
        f.number(0).nullable(),
        "seconds the old key stays published; absent or null: until the next reset",
    ),
    f.Field("kid", f.text(min_length=1, max_length=200), "the new key's kid"),
)


def rotate_keys(call: Call) -> httpx.Response:
    values = f.check_body(ROTATE_FIELDS, call.body(optional=True))
    kid = attempt(call.idp.rotate_keys, **values)
    published = [key.get("kid") for key in call.idp.jwks()["keys"]]
    return json_response(200, {"kid": kid, "published": published})


def _fault_schema() -> dict[str, Any]:
    """One schema per kind, each with only the keywords its provider method takes."""
    by_name = {field.name: field for field in FAULT_FIELDS}
    variants = []
    for kind in FAULT_KINDS:
        names = fault_keywords(kind)
        kind_field = f.Field("kind", f.enum(kind), f"the {kind}() fault", required=True)
        chosen = [kind_field, *(by_name[name] for name in names)]
        variants.append({**f.object_schema(chosen), "title": kind})
    return {"oneOf": variants, "discriminator": {"propertyName": "kind"}}


_FAULT_ANSWER = {
    "type": "object",
    "properties": {
        "call": {"type": "string", "description": "the fault as a Python call"},
        "fired": {"type": "integer"},
        "exhausted": {"type": "boolean"},
    },
}

ROUTES = (
    Route(
        "GET",
        f"{PREFIX}/clock",
        _clock,
        "getClock",
        "The provider's time and skew",
        answer=CLOCK_SCHEMA,
    ),
    Route(
        "POST",
        f"{PREFIX}/clock",
        move_clock,
        "moveClock",
        "Advance the provider's time, or set its skew",
        body=f.object_schema(CLOCK_FIELDS),
        answer=CLOCK_SCHEMA,
    ),
    Route(
        "GET",
        f"{PREFIX}/device",
        pending_devices,
        "listPendingDevices",
        "Device authorizations waiting for a user (RFC 8628)",
        answer={"type": "object", "properties": {"pending": {"type": "array"}}},
    ),
    Route(
        "POST",
        f"{PREFIX}/device/{{user_code}}",
        decide_device,
        "decideDevice",
        "Approve (as a user) or deny a pending device code, as the verification page would",
        body=f.object_schema(DECISION_FIELDS),
        answer={
            "type": "object",
            "properties": {"user_code": {"type": "string"}, "status": {"type": "string"}},
        },
        errors=(404, 409),
    ),
    Route(
        "GET",
        f"{PREFIX}/settings",
        _settings,
        "getSettings",
        "Settings of the device and browser flows",
        answer=f.object_schema(SETTINGS_FIELDS, additional=True),
    ),
    Route(
        "PATCH",
        f"{PREFIX}/settings",
        change_settings,
        "changeSettings",
        "Change settings of the device and browser flows (new codes follow them)",
        body=f.object_schema(SETTINGS_FIELDS),
        answer=f.object_schema(SETTINGS_FIELDS, additional=True),
    ),
    Route(
        "GET",
        f"{PREFIX}/faults",
        list_faults,
        "listFaults",
        "The faults planned through this API, and how often each fired",
        answer={
            "type": "object",
            "properties": {"faults": {"type": "array", "items": _FAULT_ANSWER}},
        },
    ),
    Route(
        "POST",
        f"{PREFIX}/faults",
        plan_fault,
        "planFault",
        "Plan a fault: a [[faults]] table of the TOML setup",
        status=201,
        body=_fault_schema(),
        answer=_FAULT_ANSWER,
    ),
    Route(
        "DELETE",
        f"{PREFIX}/faults",
        clear_faults,
        "clearFaults",
        "Forget every planned fault",
        status=204,
    ),
    Route(
        "POST",
        f"{PREFIX}/keys/rotate",
        rotate_keys,
        "rotateKeys",
        "Sign with a new key from now on; the old one stays published for the grace period",
        body=f.object_schema(ROTATE_FIELDS),
        body_required=False,
        answer={
            "type": "object",
            "properties": {
                "kid": {"type": "string"},
                "published": {"type": "array", "items": {"type": "string"}},
            },
        },
    ),
)
