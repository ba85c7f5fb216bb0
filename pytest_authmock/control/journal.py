"""Control routes for what happened: the journal, expectations and the check."""

from __future__ import annotations

from typing import Any

import httpx

from pytest_authmock.control import fields as f
from pytest_authmock.control.http import bad_request, json_response
from pytest_authmock.control.routes import PREFIX, Call, Route

#: Journal fields a filter or an expectation may name; ``status`` is the journal's
#: ``status_code``, named as in the entries the API returns.
CRITERIA = (
    f.Field("endpoint", f.text(min_length=1), "token, discovery, device_authorization..."),
    f.Field("grant_type", f.text(min_length=1).nullable(), "the grant of a token request"),
    f.Field("client_id", f.text(min_length=1).nullable(), "the client that called"),
    f.Field("username", f.text(min_length=1).nullable(), "the user it concerned"),
    f.Field("status", f.integer(0, 599), "the HTTP status answered (0: no answer, a fault)"),
    f.Field("error", f.text(min_length=1).nullable(), "the OAuth error code answered"),
    f.Field("method", f.text(min_length=1), "the HTTP method"),
    f.Field("path", f.text(min_length=1), "the request path"),
    f.Field("fault", f.text(min_length=1).nullable(), "the kind of fault that hit it"),
)
EXPECTATION_FIELDS = (
    f.Field("count", f.integer(0, 1_000_000), "exactly this many matching requests"),
    f.Field("at_least", f.integer(0, 1_000_000), "at least this many"),
    *CRITERIA,
)
_ENTRY_SCHEMA = {
    "type": "object",
    "properties": {
        "time": {"type": "number"},
        **{field.name: field.kind.schema for field in CRITERIA},
    },
}


def _criteria(values: dict[str, Any]) -> dict[str, Any]:
    """The journal's own names for checked criteria."""
    found = dict(values)
    if "status" in found:
        found["status_code"] = found.pop("status")
    return found


def _entry(entry: Any) -> dict[str, Any]:
    return {
        "time": entry.time,
        "method": entry.method,
        "path": entry.path,
        "endpoint": entry.endpoint,
        "grant_type": entry.grant_type,
        "client_id": entry.client_id,
        "username": entry.username,
        "status": entry.status_code,
        "error": entry.error,
        "fault": entry.fault,
    }


def read_journal(call: Call) -> httpx.Response:
    query: dict[str, Any] = {}
    for name, value in call.request.url.params.multi_items():
        if name in query:
            raise bad_request(f"{name} is given twice")
        # A query string only has text: numbers are read as numbers for status.
        query[name] = int(value) if name == "status" and value.isdigit() else value
    criteria = _criteria(f.check_body(CRITERIA, query))
    entries = [_entry(entry) for entry in call.idp.journal.filter(**criteria)]
    return json_response(200, {"entries": entries})


def clear_journal(call: Call) -> httpx.Response:
    call.idp.journal.clear()
    return json_response(204)


def add_expectation(call: Call) -> httpx.Response:
    values = f.check_body(EXPECTATION_FIELDS, call.body())
    count, at_least = values.pop("count", None), values.pop("at_least", None)
    if (count is None) == (at_least is None):
        raise bad_request("give exactly one of count or at_least")
    call.idp.expect(count, at_least=at_least, **_criteria(values))
    return json_response(201, {"expectation": values, "count": count, "at_least": at_least})


def check(call: Call) -> httpx.Response:
    problems = call.idp.check()
    return json_response(200, {"ok": not problems, "problems": problems})


ROUTES = (
    Route(
        "GET",
        f"{PREFIX}/journal",
        read_journal,
        "readJournal",
        "Requests the provider served since the last reset, oldest first; query "
        "parameters filter them",
        answer={
            "type": "object",
            "properties": {"entries": {"type": "array", "items": _ENTRY_SCHEMA}},
        },
        query={field.name: (field.kind.schema, field.description) for field in CRITERIA},
    ),
    Route(
        "DELETE",
        f"{PREFIX}/journal",
        clear_journal,
        "clearJournal",
        "Forget the journal",
        status=204,
    ),
    Route(
        "POST",
        f"{PREFIX}/expectations",
        add_expectation,
        "addExpectation",
        "Require count (or at_least) requests matching the criteria; GET check reports it",
        status=201,
        body=f.object_schema(EXPECTATION_FIELDS),
        answer={"type": "object"},
    ),
    Route(
        "GET",
        f"{PREFIX}/check",
        check,
        "check",
        "Unmet expectations, faults that never fired and provider failures; ok when none",
        answer={
            "type": "object",
            "properties": {
                "ok": {"type": "boolean"},
                "problems": {"type": "array", "items": {"type": "string"}},
            },
        },
    ),
)
