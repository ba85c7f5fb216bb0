"""The OpenAPI 3.1 document of the control API, generated from its route table."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pytest_authmock.control.auth import REALM
from pytest_authmock.control.routes import Route

_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_REASONS = {
    400: "a bad body or query; error_description names the field",
    401: "no admin token, or a wrong one (RFC 6750)",
    404: "the user, client, token or user code does not exist",
    405: "the method is not allowed at this path",
    409: "it exists already, or was decided already",
}


def _error(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": _REASONS[status],
        "content": {"application/json": {"schema": _ERROR_REF}},
    }
    if status == 401:
        answer["headers"] = {
            "WWW-Authenticate": {
                "description": f'Bearer realm="{REALM}" (RFC 6750 §3)',
                "schema": {"type": "string"},
            }
        }
    return answer


def _operation(route: Route) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": route.operation_id, "summary": route.summary}
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{([^}]+)}", route.path)
    ]
    parameters += [
        {
            "name": name,
            "in": "query",
            "required": False,
            "schema": dict(schema),
            "description": text,
        }
        for name, (schema, text) in route.query.items()
    ]
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        operation["requestBody"] = {
            "required": route.body_required,
            "content": {"application/json": {"schema": dict(route.body)}},
        }
    success: dict[str, Any] = {"description": "done" if route.status != 204 else "done, no body"}
    if route.answer is not None:
        success["content"] = {"application/json": {"schema": dict(route.answer)}}
    responses: dict[str, Any] = {str(route.status): success}
    statuses = {401, *route.errors}
    if route.body is not None or route.query:
        statuses.add(400)
    for status in sorted(statuses):
        responses[str(status)] = _error(status)
    operation["responses"] = responses
    return operation


def document(routes: Sequence[Route], server: str) -> dict[str, Any]:
    """The OpenAPI 3.1 description of ``routes``, served from ``server`` (an origin)."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "authmock serve control API",
            "version": "1",
            "description": (
                "Set up and steer the fake identity provider of `authmock serve` from any "
                "language: users, clients, device decisions, the clock, faults, key rotation, "
                "the journal and resets. Every call needs the admin token that the server "
                "prints at start (`admin token  <value>`) as a bearer token."
            ),
        },
        "servers": [{"url": server}],
        "security": [{"adminToken": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "adminToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "the admin token of authmock serve (--admin-token)",
                }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "error_description"],
                    "properties": {
                        "error": {"type": "string", "example": "invalid_request"},
                        "error_description": {"type": "string"},
                    },
                }
            },
        },
    }
