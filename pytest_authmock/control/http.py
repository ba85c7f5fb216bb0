"""JSON in and out for the control API, and the errors it answers with.

Every problem with a request becomes a :class:`ControlError`, answered as
``{"error": ..., "error_description": ...}`` like the OAuth endpoints answer
(RFC 6749 §5.2 shapes), so one error reader serves a client for both.
"""

from __future__ import annotations

import json
import math
from typing import Any

import httpx

#: No control call needs more; a bigger body is a mistake or an attack.
MAX_BODY_BYTES = 64 * 1024
#: The control API's answers describe the provider's secrets: never cache them.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class ControlError(Exception):
    """A request the control API refuses; ``description`` names the field at fault."""

    def __init__(
        self,
        status: int,
        error: str,
        description: str,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.headers = headers or {}


def bad_request(description: str) -> ControlError:
    return ControlError(400, "invalid_request", description)


def not_found(description: str) -> ControlError:
    return ControlError(404, "not_found", description)


def conflict(description: str) -> ControlError:
    return ControlError(409, "conflict", description)


def json_response(
    status: int, body: Any = None, *, headers: dict[str, str] | None = None
) -> httpx.Response:
    """A JSON answer (no body for 204)."""
    merged = {**NO_STORE, **(headers or {})}
    if status == 204 or body is None:
        return httpx.Response(status, headers=merged)
    content = json.dumps(body, separators=(",", ":"), allow_nan=False).encode()
    merged["Content-Type"] = "application/json"
    return httpx.Response(status, headers=merged, content=content)


def error_response(error: ControlError) -> httpx.Response:
    body = {"error": error.error, "error_description": error.description}
    return json_response(error.status, body, headers=error.headers)


def _no_constants(name: str) -> Any:
    # json.loads accepts NaN and Infinity by default; JSON (RFC 8259 §6) does not.
    raise ValueError(f"{name} is not a JSON number")


def read_json(request: httpx.Request, *, optional: bool = False) -> dict[str, Any]:
    """The request body as a JSON object; an empty body is ``{}`` when ``optional``.

    The Content-Type is not insisted on: ``curl -d '{...}'`` labels JSON as a
    form, and refusing it would only teach people to add a header.
    """
    try:
        raw = request.content
    except httpx.RequestNotRead:
        raw = request.read()
    if not raw.strip():
        if optional:
            return {}
        raise bad_request("the request body is empty; send a JSON object")
    if len(raw) > MAX_BODY_BYTES:
        raise bad_request(f"the request body is {len(raw)} bytes; at most {MAX_BODY_BYTES}")
    try:
        body = json.loads(raw, parse_constant=_no_constants)
    except RecursionError:
        raise bad_request("the request body nests too deeply") from None
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise bad_request(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise bad_request(f"the request body must be a JSON object, not {json_type(body)}")
    return body


def json_type(value: object) -> str:
    """The JSON name of a parsed value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number" if not isinstance(value, float) or math.isfinite(value) else "NaN"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def attempt(function: Any, /, *args: Any, **kwargs: Any) -> Any:
    """Call a provider method; its argument errors become 400s, a missing thing a 404.

    The provider validates early and names the argument in its messages
    ("client 'x' already exists", "grace must be ..."), which is what a 400 says.
    """
    try:
        return function(*args, **kwargs)
    except LookupError as exc:
        raise not_found(str(exc).strip("'\"")) from None
    except (TypeError, ValueError) as exc:
        raise bad_request(str(exc)) from None
