"""The JSON Schema of the setup file, built from the keys :mod:`~pytest_authmock.config_file` accepts.

Editors that read JSON Schema for TOML (taplo, Even Better TOML) complete and
check a file that starts with::

    #:schema https://raw.githubusercontent.com/pytest-authmock/pytest-authmock/main/pytest_authmock/authmock-config.schema.json

The published file is ``authmock-config.schema.json`` next to this module;
``python -m pytest_authmock.config_schema`` rewrites it, and a test checks that
it matches what this module builds, so the schema cannot drift from the keys.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_authmock import config_file, config_trust, setting_groups
from pytest_authmock.provider.config import ALGORITHMS, TOKEN_FORMATS
from pytest_authmock.provider.errors import UNAUTHORIZED_GRANT_ERRORS

__all__ = ["ACCEPTED_KEYS", "SCHEMA_PATH", "SCHEMA_URL", "render", "schema"]

SCHEMA_PATH = Path(__file__).with_name("authmock-config.schema.json")
#: Where editors fetch it from (the ``#:schema`` line of a setup file).
SCHEMA_URL = (
    "https://raw.githubusercontent.com/pytest-authmock/pytest-authmock/main/"
    "pytest_authmock/authmock-config.schema.json"
)

_STRING: dict[str, Any] = {"type": "string", "minLength": 1}
_STRINGS: dict[str, Any] = {"type": "array", "items": _STRING}
_STRING_OR_STRINGS: dict[str, Any] = {"anyOf": [_STRING, _STRINGS]}
_BOOLEAN: dict[str, Any] = {"type": "boolean"}
_NUMBER: dict[str, Any] = {"type": "number"}
_TABLE: dict[str, Any] = {"type": "object"}
_URL: dict[str, Any] = {"type": "string", "pattern": "^https?://"}
# A trusted issuer's JWKS: public keys only (config_trust refuses the private members).
_JWKS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "keys": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["kty"],
                "not": {"anyOf": [{"required": [name]} for name in config_trust.PRIVATE_MEMBERS]},
            },
        }
    },
    "required": ["keys"],
}
# config_file.ttl(): whole seconds (0 = never expires) or "none"/"never".
_TTL: dict[str, Any] = {
    "anyOf": [{"type": "integer", "minimum": 0}, {"enum": ["none", "never"]}],
    "description": "seconds; 0, 'none' or 'never': the token never expires",
}


def _enum(values: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {"enum": list(values)}


def _switch(default: Any, description: str) -> dict[str, Any]:
    """A provider switch (a choice a profile sets), typed from its default; ``none`` is allowed
    where the default is unset. :mod:`~pytest_authmock.provider.switches` checks the values."""
    if isinstance(default, bool):
        kind: dict[str, Any] = _BOOLEAN
    elif isinstance(default, int):
        kind = {"anyOf": [{"type": "integer"}, {"const": "none"}]}
    elif isinstance(default, tuple):
        kind = _STRING_OR_STRINGS
    elif isinstance(default, str):
        kind = {"type": "string"}
    else:  # None: a list of names, or "none"
        kind = {"anyOf": [_STRING_OR_STRINGS, {"const": "none"}]}
    return {**kind, "description": description}


def _switches() -> dict[str, dict[str, Any]]:
    from pytest_authmock.provider.switches import DEFAULTS, DESCRIPTIONS

    return {name: _switch(default, DESCRIPTIONS[name]) for name, default in DEFAULTS.items()}


def _types() -> dict[str, dict[str, dict[str, Any]]]:
    """Each table's keys and their value schemas; ``""`` is the top level."""
    from pytest_authmock.provider.idp import GRANT_TYPES

    return {
        "": {
            "host": _STRING,
            "port": {"type": "integer", "minimum": 0, "maximum": 65535},
            "tls": _BOOLEAN,
            "mtls": _BOOLEAN,
            "certs_dir": _STRING,
            "quiet": _BOOLEAN,
            "seed": {"type": "integer"},
            "issuer": _STRING,
            "token_format": _enum(TOKEN_FORMATS),
            "algorithm": _enum(ALGORITHMS),
            "access_token_ttl": _TTL,
            "refresh_token_ttl": _TTL,
            "id_token_ttl": {"type": "integer", "minimum": 1},
            "audience": _STRING,
            "refresh_token_rotation": _BOOLEAN,
            "unauthorized_grant_error": _enum(list(UNAUTHORIZED_GRANT_ERRORS)),
            "kid": _STRING,
            "clock_skew": _NUMBER,
            "profile": {**_STRING, "description": "a provider profile, relative to this file"},
            **_switches(),
        },
        "clients": {
            "client_id": _STRING,
            "client_secret": _STRING,
            "public": _BOOLEAN,
            "grant_types": {"type": "array", "items": _enum(GRANT_TYPES)},
            "scopes": _STRINGS,
            "audience": _STRING_OR_STRINGS,
            "resources": _STRINGS,
            "post_logout_redirect_uris": _STRINGS,
            "require_pushed_authorization_requests": _BOOLEAN,
            "token_endpoint_auth_method": _STRING_OR_STRINGS,
            "claims": _TABLE,
            "access_token_ttl": _TTL,
            "refresh_token_ttl": _TTL,
            "token_format": _enum(TOKEN_FORMATS),
            "tls_client_auth_subject_dn": _STRING,
            "tls_client_auth_san_dns": _STRING,
            "redirect_uris": _STRINGS,
            "jwks": _TABLE,
            "jwks_uri": _STRING,
            "token_endpoint_auth_signing_alg": _STRING,
            "dpop_bound_access_tokens": _BOOLEAN,
            "p12_password": _STRING,
        },
        "users": {
            "username": _STRING,
            "password": _STRING,
            "claims": _TABLE,
            "profile": _TABLE,
            "sub": _STRING,
            "disabled": _BOOLEAN,
        },
        "resources": {
            "url": _STRING,
            "scopes": _STRINGS,
            "audience": _STRING,
            "methods": _STRINGS,
            "leeway": _NUMBER,
            "resource": _STRING,
            "resource_metadata": _BOOLEAN,
        },
        "faults": {
            "kind": _enum(config_file.FAULT_KINDS),
            "status": {"type": "integer", "minimum": 100, "maximum": 599},
            "endpoint": _STRING,
            "times": {"anyOf": [{"type": "integer", "minimum": 1}, {"const": "always"}]},
            "fraction": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "grant_type": _enum(GRANT_TYPES),
            "body": {},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "retry_after": {"anyOf": [_NUMBER, _STRING]},
            "http_date": _BOOLEAN,
            "seconds": {"type": "number", "minimum": 0},
            "stall": {"type": "number", "minimum": 0},
            "content_type": _STRING,
        },
        "trusted_issuers": {
            "issuer": {**_URL, "description": "the URL its tokens carry in 'iss'"},
            "jwks": {
                "anyOf": [_JWKS, _STRING],
                "description": "its public keys: a JWKS table, or a JSON file relative to this one",
            },
            "jwks_uri": {**_URL, "description": "where its JWKS is fetched (again for a new kid)"},
            "audience": {
                **_STRING,
                "description": "the aud its tokens must carry; default: this provider",
            },
            "copy_claims": {
                **_STRINGS,
                "description": "claims copied from its tokens into the tokens issued here",
            },
        },
    }


#: The keys config_file accepts in each table (the schema must name exactly these).
ACCEPTED_KEYS: dict[str, tuple[str, ...]] = {
    "": tuple(
        k
        for k in config_file.TOP_LEVEL_KEYS
        if k
        not in (
            "clients",
            "users",
            "resources",
            "faults",
            "trusted_issuers",
            *setting_groups.GROUPS,
        )
    ),
    "clients": config_file.CLIENT_KEYS,
    "users": config_file.USER_KEYS,
    "resources": config_file.RESOURCE_KEYS,
    "faults": config_file.FAULT_KEYS,
    "trusted_issuers": config_trust.KEYS,
}
_REQUIRED = {
    "clients": ["client_id"],
    "resources": ["url"],
    "faults": ["kind"],
    "trusted_issuers": ["issuer"],
}
#: Tables that need exactly one of some keys (config_trust: jwks or jwks_uri).
_ONE_OF = {"trusted_issuers": ("jwks", "jwks_uri")}


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a setup file; a key without a type is an error."""
    types = _types()
    tables: dict[str, dict[str, Any]] = {}
    for table, keys in ACCEPTED_KEYS.items():
        missing = [key for key in keys if key not in types[table]]
        extra = [key for key in types[table] if key not in keys]
        if missing or extra:
            raise LookupError(
                f"config_schema is out of step with config_file in [{table or 'top level'}]: "
                f"keys without a type {missing}, types of unknown keys {extra}"
            )
        tables[table] = {
            "type": "object",
            "properties": {key: types[table][key] for key in keys},
            "additionalProperties": False,
        }
        if table in _REQUIRED:
            tables[table]["required"] = _REQUIRED[table]
        if table in _ONE_OF:
            tables[table]["oneOf"] = [{"required": [key]} for key in _ONE_OF[table]]
    top = tables.pop("")
    for name, items in tables.items():
        top["properties"][name] = {"type": "array", "items": items}
    for group in setting_groups.GROUPS:  # [protocol], [dpop]: one table each, typed by its fields
        top["properties"][group] = setting_groups.table_schema(group)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_URL,
        "title": "pytest-authmock setup file",
        "description": "config= of the authmock marker, the authmock_config ini option, "
        "and authmock serve --config",
        **top,
    }


def render() -> str:
    return json.dumps(schema(), indent=2) + "\n"


if __name__ == "__main__":  # pragma: no cover - regenerates the published file
    SCHEMA_PATH.write_text(render(), encoding="utf-8")
