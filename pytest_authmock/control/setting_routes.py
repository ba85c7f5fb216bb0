"""``/_authmock/settings/<group>``: read and change ``idp.protocol_settings`` and
``idp.dpop_settings`` over HTTP.

The fields are the settings' own (:mod:`pytest_authmock.setting_groups`), so the
body a ``PATCH`` takes is a ``[protocol]`` or ``[dpop]`` table of the setup file
written as JSON. A secret (the initial access token) is never answered: the
answer says whether one is set (``initial_access_token_set``).
"""

from __future__ import annotations

from typing import Any

import httpx

from pytest_authmock import setting_groups
from pytest_authmock.control import fields as f
from pytest_authmock.control.http import json_response
from pytest_authmock.control.routes import PREFIX, Call, Route

__all__ = ["ROUTES", "fields"]

_SUMMARIES = {
    "protocol": "resource indicators, dynamic registration, pushed authorization requests "
    "and logout (idp.protocol_settings)",
    "dpop": "DPoP server nonces and proof window (idp.dpop_settings)",
}


def _kind(group: str, key: str) -> f.Kind:
    own = setting_groups.kind(group, key)

    def check(value: object) -> Any:
        try:
            return own.check(value)
        except ValueError as error:
            raise f.Invalid(str(error)) from None

    return f.Kind(own.schema, check)


def fields(group: str) -> tuple[f.Field, ...]:
    """The body fields of ``PATCH /_authmock/settings/<group>``."""
    described = setting_groups.DESCRIPTIONS[group]
    return tuple(
        f.Field(key, _kind(group, key), described[key]) for key in setting_groups.keys(group)
    )


def _answer_schema(group: str) -> dict[str, Any]:
    hidden = setting_groups.secrets_of(group)
    properties: dict[str, Any] = {}
    for field in fields(group):
        if field.name in hidden:
            properties[f"{field.name}_set"] = {
                "type": "boolean",
                "description": f"whether {field.name} is set (its value is never answered)",
            }
        else:
            properties[field.name] = field.schema()
    return {"type": "object", "properties": properties}


def _reader(group: str) -> Any:
    def read(call: Call) -> httpx.Response:
        return json_response(200, setting_groups.public(call.idp, group))

    return read


def _changer(group: str) -> Any:
    def change(call: Call) -> httpx.Response:
        found = f.check_body(fields(group), call.body())
        setting_groups.apply(call.idp, group, found)
        return json_response(200, setting_groups.public(call.idp, group))

    return change


def _routes() -> tuple[Route, ...]:
    routes: list[Route] = []
    for group in setting_groups.GROUPS:
        name = group.capitalize() if group != "dpop" else "DPoP"
        path = f"{PREFIX}/settings/{group}"
        answer = _answer_schema(group)
        routes.append(
            Route(
                "GET",
                path,
                _reader(group),
                f"get{name}Settings",
                f"Settings of {_SUMMARIES[group]}",
                answer=answer,
            )
        )
        routes.append(
            Route(
                "PATCH",
                path,
                _changer(group),
                f"change{name}Settings",
                f"Change settings of {_SUMMARIES[group]}; a reset restores the start-up ones",
                body=f.object_schema(fields(group)),
                answer=answer,
            )
        )
    return tuple(routes)


ROUTES = _routes()
