"""Typed fields of control-API bodies: one definition checks a value and documents it.

A :class:`Field` knows its JSON Schema (for ``/_authmock/openapi.json``) and how
to check a parsed JSON value, so the document cannot drift from what is
accepted. A refused value is answered with a 400 that names the field.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pytest_authmock.control.http import bad_request, json_type

#: Numbers beyond ~68 years of seconds only overflow dates further down.
MAX_SECONDS = 2**31
Check = Callable[[Any], Any]


class Invalid(ValueError):
    """A value's problem, worded to follow its field name ("must be ...")."""


@dataclasses.dataclass(frozen=True)
class Kind:
    """A JSON type: its schema and a check that returns the value to use."""

    schema: dict[str, Any]
    check: Check

    def nullable(self) -> Kind:
        schema = dict(self.schema)
        types = schema.get("type")
        if isinstance(types, str):
            schema["type"] = [types, "null"]
        else:
            schema = {"anyOf": [schema, {"type": "null"}]}
        inner = self.check
        return Kind(schema, lambda value: None if value is None else inner(value))


@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    description: str
    required: bool = False

    def check(self, value: object) -> Any:
        try:
            return self.kind.check(value)
        except Invalid as exc:
            raise bad_request(_join(self.name, str(exc))) from None

    def schema(self) -> dict[str, Any]:
        return {**self.kind.schema, "description": self.description}


def _join(where: str, problem: str) -> str:
    """``name must ...``, ``name[0] must ...``: where a value sits, then what is wrong."""
    return where + problem if problem.startswith("[") else f"{where} {problem}"


def _text(value: object, what: str = "a string") -> str:
    if not isinstance(value, str):
        raise Invalid(f"must be {what}; got {json_type(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from "\ud800" in the JSON text
        raise Invalid("must be valid Unicode text (it has a lone surrogate)") from None
    return value


def text(*, min_length: int = 0, max_length: int = 4096) -> Kind:
    def check(value: object) -> str:
        found = _text(value)
        if not min_length <= len(found) <= max_length:
            raise Invalid(f"must have {min_length} to {max_length} characters; got {len(found)}")
        return found

    return Kind({"type": "string", "minLength": min_length, "maxLength": max_length}, check)


def enum(*choices: str) -> Kind:
    def check(value: object) -> str:
        if value not in choices:
            raise Invalid(f"must be one of {', '.join(choices)}; got {value!r}")
        return str(value)

    return Kind({"type": "string", "enum": list(choices)}, check)


def boolean() -> Kind:
    def check(value: object) -> bool:
        if not isinstance(value, bool):
            raise Invalid(f"must be true or false; got {json_type(value)}")
        return value

    return Kind({"type": "boolean"}, check)


def integer(minimum: int = 0, maximum: int = MAX_SECONDS) -> Kind:
    def check(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"must be a whole number; got {json_type(value)}")
        if not minimum <= value <= maximum:
            raise Invalid(f"must be between {minimum} and {maximum}; got {value}")
        return value

    return Kind({"type": "integer", "minimum": minimum, "maximum": maximum}, check)


def number(minimum: float = -MAX_SECONDS, maximum: float = MAX_SECONDS) -> Kind:
    def check(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Invalid(f"must be a number; got {json_type(value)}")
        if not math.isfinite(value) or not minimum <= value <= maximum:
            raise Invalid(f"must be between {minimum:g} and {maximum:g}; got {value!r}")
        return float(value)

    return Kind({"type": "number", "minimum": minimum, "maximum": maximum}, check)


def text_list(item: Kind | None = None) -> Kind:
    inner = item or text(min_length=1)

    def check(value: object) -> list[str]:
        if not isinstance(value, list):
            raise Invalid(f"must be an array of strings; got {json_type(value)}")
        if len(value) > 256:
            raise Invalid(f"must have at most 256 items; got {len(value)}")
        checked: list[str] = []
        for index, entry in enumerate(value):
            try:
                checked.append(inner.check(entry))
            except Invalid as exc:
                raise Invalid(_join(f"[{index}]", str(exc))) from None
        return checked

    return Kind({"type": "array", "items": inner.schema, "maxItems": 256}, check)


def text_or_list() -> Kind:
    single, many = text(min_length=1), text_list()

    def check(value: object) -> Any:
        return single.check(value) if isinstance(value, str) else many.check(value)

    return Kind({"anyOf": [single.schema, many.schema]}, check)


def json_object(values: Kind | None = None) -> Kind:
    """An object with string keys (and, with ``values``, values of that kind)."""

    def check(value: object) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise Invalid(f"must be a JSON object; got {json_type(value)}")
        checked: dict[str, Any] = {}
        for key, entry in value.items():
            try:
                _text(key)
                checked[key] = values.check(entry) if values is not None else _plain(entry)
            except Invalid as exc:
                raise Invalid(_join(f"[{key!r}]", str(exc))) from None
        return checked

    schema: dict[str, Any] = {"type": "object"}
    if values is not None:
        schema["additionalProperties"] = values.schema
    return Kind(schema, check)


def any_json() -> Kind:
    return Kind({}, _plain)


def _plain(value: object) -> Any:
    """Any JSON value, with its strings checked to be encodable (claims end up in tokens)."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {_text(key, "a string key"): _plain(item) for key, item in value.items()}
    return value


def one_of(*kinds: Kind, expected: str) -> Kind:
    """The first kind that accepts the value; ``expected`` says what is wanted otherwise."""

    def check(value: object) -> Any:
        for kind in kinds:
            try:
                return kind.check(value)
            except Invalid:
                continue
        shown = repr(value) if isinstance(value, (str, int, float)) else json_type(value)
        raise Invalid(f"must be {expected}; got {shown}")

    return Kind({"anyOf": [kind.schema for kind in kinds]}, check)


def check_body(
    fields: Iterable[Field], body: Mapping[str, Any], *, check_unknown: bool = True
) -> dict[str, Any]:
    """The checked values of the fields present in ``body``; missing required ones are 400s."""
    by_name = {field.name: field for field in fields}
    if check_unknown:
        unknown = sorted(set(body) - set(by_name))
        if unknown:
            raise bad_request(
                f"unknown field {unknown[0]!r}; known fields: {', '.join(by_name) or '(none)'}"
            )
    for field in by_name.values():
        if field.required and field.name not in body:
            raise bad_request(f"{field.name} is missing")
    return {name: by_name[name].check(value) for name, value in body.items() if name in by_name}


def object_schema(fields: Iterable[Field], *, additional: bool = False) -> dict[str, Any]:
    """The JSON Schema of a body made of ``fields``."""
    fields = list(fields)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {field.name: field.schema() for field in fields},
        "additionalProperties": additional,
    }
    required = [field.name for field in fields if field.required]
    if required:
        schema["required"] = required
    return schema
