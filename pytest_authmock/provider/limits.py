"""Bounds on what a request may carry: JSON text, its nesting, and numbers of seconds.

Everything here refuses with ``invalid_request`` and says what the limit is, before
any state changes: a value that is stored must also be one every later answer
(a listing, an introspection, a date) can render.
"""

from __future__ import annotations

import json
import math
import re
from typing import NoReturn

from pytest_authmock.provider.errors import InvalidRequest, OAuthError

#: Deeper JSON is refused before parsing: no OAuth or API-token body nests past a
#: handful of levels, and Python's parser recurses once per level.
MAX_JSON_DEPTH = 16
#: The longest lifetime a token, code or key may be given: 100 years of seconds.
#: Longer ones cannot be written as dates (year 9999 is Python's last) or trusted
#: as ``exp`` by most clients.
MAX_LIFETIME = 100 * 365 * 24 * 3600


class OverCapacity(OAuthError):
    """The provider holds as much of some per-request state as it will: refuse more.

    429 with ``temporarily_unavailable`` (the RFC 6749 §4.1.2.1 code for a server
    too loaded to answer; RFC 9126 §2.3 names 429 for a pushed request refused for
    load): a client may retry, and ``Retry-After`` says when, if anything will have
    expired by then. Never a 5xx, and never a silent eviction that would weaken a
    guarantee (single use of a ``jti``, a registered client).
    """

    status_code = 429
    error = "temporarily_unavailable"

    def __init__(self, description: str, *, retry_after: float | None = None) -> None:
        headers = (
            {"Retry-After": str(max(1, math.ceil(retry_after)))}
            if retry_after is not None
            else None
        )
        super().__init__(description, headers=headers)


# A JSON string (RFC 8259 §7), whose brackets do not nest anything.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def shown(value: object, limit: int = 40) -> str:
    """``repr(value)``, shortened: an error message must not echo a megabyte back."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def json_depth(text: str, limit: int = MAX_JSON_DEPTH) -> int:
    """How deep ``text`` nests arrays and objects, counting no further than ``limit + 1``."""
    depth = deepest = 0
    for bracket in _BRACKET.finditer(_JSON_STRING.sub("", text)):
        if bracket.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number (RFC 8259 §6)")


def load_json(raw: bytes, *, what: str = "request body") -> object:
    """Parse JSON from a request, or refuse it with ``invalid_request`` saying why.

    UTF-8 only (RFC 8259 §8.1); no ``NaN``/``Infinity``; at most
    :data:`MAX_JSON_DEPTH` levels; integers of at most 4300 digits (Python's own
    limit, CVE-2020-10735).
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest(f"{what} is not UTF-8 (RFC 8259 §8.1)") from None
    if json_depth(text) > MAX_JSON_DEPTH:
        raise InvalidRequest(
            f"{what} is nested more than {MAX_JSON_DEPTH} levels deep; the provider refuses "
            "deeper JSON"
        )
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise InvalidRequest(
            f"{what} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except ValueError as error:  # NaN/Infinity, or an integer too long to convert
        raise InvalidRequest(f"{what} is not valid JSON: {str(error)[:120]}") from None


def seconds(
    value: object, *, field: str, low: int = 1, high: int = MAX_LIFETIME, null: str | None = None
) -> int | None:
    """A whole number of seconds in ``[low, high]``; ``None`` only when ``null`` says
    what it means (``null="for a token that never expires"``)."""
    if value is None and null is not None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidRequest(
            f"{field} must be {seconds_range(low, high)}"
            f"{f', or null {null}' if null is not None else ''}; got {shown(value)}"
        )
    return value


def seconds_range(low: int = 1, high: int = MAX_LIFETIME) -> str:
    """How error messages name a range of seconds."""
    kind = "a positive whole number" if low == 1 else "a whole number"
    years = " (100 years)" if high == MAX_LIFETIME else ""
    return f"{kind} of seconds from {low} to {high}{years}"
