"""The provider's setting groups, ``idp.protocol_settings`` and ``idp.dpop_settings``,
for every surface that is not Python: a setup file's ``[protocol]`` and ``[dpop]``
tables, the marker's ``protocol={...}`` and ``dpop={...}``, ``authmock serve``'s
flags and the control API's ``/_authmock/settings/<group>``.

A group's keys are the fields of its dataclass, and each field's kind follows from
its type, so one definition checks a value, words its problem and gives its JSON
Schema everywhere. A field hidden from the dataclass's repr is a secret: no message,
answer or summary shows its value, only whether it is set.

The dataclasses are imported on first use: ``authmock serve`` reads its options
before the provider's modules load.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pytest_authmock.provider.limits import MAX_LIFETIME, seconds_range, shown

if TYPE_CHECKING:
    from pytest_authmock.provider.idp import FakeIdP

__all__ = [
    "DESCRIPTIONS",
    "GROUPS",
    "Kind",
    "SettingError",
    "apply",
    "changed",
    "checked",
    "keys",
    "kind",
    "public",
    "secrets_of",
    "table_schema",
    "values",
]

#: Group name -> (the dataclass, as module:name, and the ``FakeIdP`` attribute holding it).
_WHERE = {
    "protocol": ("pytest_authmock.provider.protocol_state:ProtocolSettings", "protocol_settings"),
    "dpop": ("pytest_authmock.provider.dpop:DPoPSettings", "dpop_settings"),
}
GROUPS: tuple[str, ...] = tuple(_WHERE)

#: What each key sets, for the JSON Schema, the OpenAPI document and ``--help``;
#: :func:`keys` refuses a group whose fields and descriptions differ.
DESCRIPTIONS: dict[str, dict[str, str]] = {
    "protocol": {
        "resources": "RFC 8707 resource indicators tokens may be asked for (absolute URIs); "
        "unset: any absolute URI",
        "dynamic_registration": "RFC 7591 dynamic client registration and RFC 7592 management",
        "initial_access_token": "RFC 7591 §3: the bearer token a registration must carry "
        "(a secret); unset: open registration",
        "pushed_authorization_requests": "RFC 9126 pushed authorization requests",
        "require_pushed_authorization_requests": "RFC 9126 §5: every authorization request "
        "must be pushed first",
        "request_uri_ttl": "seconds a pushed request's request_uri stays usable",
        "end_session": "the end_session_endpoint (OIDC RP-Initiated Logout 1.0)",
        "browser_sessions": "signing in on the authorization page starts a browser session "
        "(a cookie) that later requests reuse until logout",
    },
    "dpop": {
        "require_nonce": "demand a server nonce in every DPoP proof (RFC 9449 §8)",
        "proof_window": "seconds a proof's iat may be from the provider's time (RFC 9449 §11.1)",
        "nonce_lifetime": "seconds a DPoP server nonce stays good",
    },
}


class SettingError(ValueError):
    """A bad group table or value; the message starts with ``<group>`` or ``<group>.<key>``."""

    def __init__(self, where: str, problem: str) -> None:
        # "protocol.resources" + "[0] must ...": an item's index follows its key.
        super().__init__(where + problem if problem.startswith("[") else f"{where} {problem}")
        self.where = where
        self.problem = problem


@dataclasses.dataclass(frozen=True)
class Kind:
    """A field's values: their JSON Schema, and a check that returns the value to store
    or raises ``ValueError`` with the problem ("must be ...")."""

    schema: dict[str, Any]
    check: Callable[[object], Any]


def _settings_class(group: str) -> type[Any]:
    if group not in _WHERE:
        raise SettingError(group, f"is not a setting group; the groups are {', '.join(GROUPS)}")
    module, _, name = _WHERE[group][0].partition(":")
    cls: type[Any] = getattr(importlib.import_module(module), name)
    return cls


def _fields(group: str) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(_settings_class(group))


def keys(group: str) -> tuple[str, ...]:
    """The keys of ``group``: its dataclass's fields, in their order."""
    names = tuple(field.name for field in _fields(group))
    if set(names) != set(DESCRIPTIONS[group]):
        raise LookupError(
            f"setting_groups.DESCRIPTIONS[{group!r}] is out of step with its dataclass: "
            f"fields {sorted(names)}, descriptions {sorted(DESCRIPTIONS[group])}"
        )
    return names


def secrets_of(group: str) -> tuple[str, ...]:
    """The keys whose values are secrets (the dataclass keeps them out of its repr)."""
    return tuple(field.name for field in _fields(group) if not field.repr)


# -- kinds, by the field's type ---------------------------------------------------------


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false; got {shown(value)}")
    return value


def _seconds(value: object) -> int:
    # Bounded like every lifetime the provider stores (provider.limits).
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIFETIME:
        raise ValueError(f"must be {seconds_range()}; got {shown(value)}")
    return value


#: RFC 6750 §2.1 b64token: what a client can send after ``Bearer``.
_B64TOKEN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+/=")
_MAX_TOKEN = 4096


def _token(value: object) -> str | None:
    # A secret: the problem names the value's type and length, never the value.
    if value is None:
        return None
    if not isinstance(value, str):
        # The type alone: even a wrong-typed value may be the secret mistyped.
        raise ValueError(f"must be a string, or unset for none; got {type(value).__name__}")
    if not 1 <= len(value) <= _MAX_TOKEN:
        raise ValueError(f"must have 1 to {_MAX_TOKEN} characters; got {len(value)}")
    if not set(value) <= _B64TOKEN or "=" in value.rstrip("="):
        raise ValueError(
            "may only hold letters, digits and - . _ ~ + / with = at the end "
            "(RFC 6750 §2.1), as a client sends it after 'Bearer '"
        )
    return value


def _uris(value: object) -> tuple[str, ...] | None:
    from pytest_authmock.provider.errors import OAuthError
    from pytest_authmock.provider.indicators import check_uri

    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ValueError(f"must be a list of absolute URIs, or unset for any; got {shown(value)}")
    found = []
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise ValueError(f"[{index}] must be a string; got {shown(item)}")
        try:
            found.append(check_uri(item))
        except OAuthError as error:
            raise ValueError(f"[{index}] is refused: {error.description}") from None
    return tuple(dict.fromkeys(found))


_STRING_OR_NULL = {"type": ["string", "null"], "minLength": 1, "maxLength": _MAX_TOKEN}
#: A field's type, as its dataclass spells it -> its kind.
_KINDS: dict[str, Kind] = {
    "bool": Kind({"type": "boolean"}, _boolean),
    "int": Kind({"type": "integer", "minimum": 1, "maximum": MAX_LIFETIME}, _seconds),
    "str | None": Kind({**_STRING_OR_NULL, "pattern": r"^[A-Za-z0-9\-._~+/]+=*$"}, _token),
    "tuple[str, ...] | None": Kind(
        {"type": ["array", "null"], "items": {"type": "string", "format": "uri"}}, _uris
    ),
}


def kind(group: str, key: str) -> Kind:
    """The kind of ``group.key``, from the type of its dataclass field."""
    for field in _fields(group):
        if field.name == key:
            found = _KINDS.get(str(field.type))
            if found is None:
                raise LookupError(f"setting_groups has no kind for {group}.{key}: {field.type}")
            return found
    raise SettingError(group, f"has no key {key!r}; known keys: {', '.join(keys(group))}")


def checked(group: str, table: object) -> dict[str, Any]:
    """The checked values of a group table (``{"require_nonce": True}``).

    Raises :class:`SettingError` naming the group and the key, and never showing a
    secret's value.
    """
    known = keys(group)
    if not isinstance(table, Mapping):
        raise SettingError(group, f"must be a table of settings; got {shown(table)}")
    unknown = sorted(str(key) for key in table if key not in known)
    if unknown:
        raise SettingError(group, f"has unknown key {unknown[0]!r}; known keys: {', '.join(known)}")
    found: dict[str, Any] = {}
    for key, value in table.items():
        try:
            found[key] = kind(group, key).check(value)
        except ValueError as error:
            raise SettingError(f"{group}.{key}", str(error)) from None
    return found


def table_schema(group: str, *, additional: bool = False) -> dict[str, Any]:
    """The JSON Schema of a group table (the setup file's ``[group]``, a PATCH body)."""
    return {
        "type": "object",
        "properties": {
            key: {**kind(group, key).schema, "description": DESCRIPTIONS[group][key]}
            for key in keys(group)
        },
        "additionalProperties": additional,
    }


# -- a provider's settings ----------------------------------------------------------------


def _target(idp: FakeIdP, group: str) -> Any:
    _settings_class(group)  # an unknown group is named
    return getattr(idp, _WHERE[group][1])


def apply(idp: FakeIdP, group: str, found: Mapping[str, Any]) -> None:
    """Set checked values (from :func:`checked`) on ``idp``'s settings of ``group``."""
    target = _target(idp, group)
    for key, value in found.items():
        setattr(target, key, value)


def values(idp: FakeIdP, group: str) -> dict[str, Any]:
    """Every setting of ``group`` on ``idp``, secrets included (for a snapshot, not a reader)."""
    target = _target(idp, group)
    return {key: getattr(target, key) for key in keys(group)}


def public(idp: FakeIdP, group: str) -> dict[str, Any]:
    """The settings as JSON for a reader: a secret becomes ``<key>_set`` (true or false)."""
    found: dict[str, Any] = {}
    hidden = secrets_of(group)
    for key, value in values(idp, group).items():
        if key in hidden:
            found[f"{key}_set"] = value is not None
        else:
            found[key] = list(value) if isinstance(value, tuple) else value
    return found


def changed(idp: FakeIdP, group: str) -> dict[str, Any]:
    """The settings that differ from the defaults, secrets shown as ``(set, not shown)``."""
    defaults = _settings_class(group)()
    hidden = secrets_of(group)
    return {
        key: "(set, not shown)" if key in hidden else value
        for key, value in values(idp, group).items()
        if value != getattr(defaults, key)
    }
