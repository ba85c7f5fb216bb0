"""The ``[[clients]]``, ``[[users]]``, ``[[faults]]`` and ``[[trusted_issuers]]`` tables as
JSON bodies.

One format, three ways in: Python keywords, the TOML setup file, and these
bodies. The keys and their conversions (TTLs, fault kinds) are the TOML
reader's; :func:`read_table` is the one place that calls it. The fields below
add what TOML cannot say about a JSON value: its type, for a 400 that names the
field and for the OpenAPI document.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pytest_authmock.control import fields as f
from pytest_authmock.control.http import bad_request
from pytest_authmock.provider.faults import FAULT_METHODS
from pytest_authmock.provider.idp import AUTH_METHODS, GRANT_TYPES

TableName = Literal["clients", "users", "faults", "trusted_issuers"]
_PSEUDO_FILE = "request"


def read_table(name: TableName, table: Mapping[str, Any]) -> dict[str, Any]:
    """One table, checked and converted by the TOML reader (unknown keys, TTLs, kinds)."""
    from pytest_authmock import config_file

    try:
        declaration = config_file.parse({name: [dict(table)]}, Path(_PSEUDO_FILE))
    except config_file.ConfigError as exc:
        # "config file request: clients[0].access_token_ttl must ..." -> "access_token_ttl must ..."
        message = str(exc).replace(f"config file {_PSEUDO_FILE}: ", "", 1)
        message = message.replace(f"{name}[0].", "").replace(f"{name}[0]", "the body")
        raise bad_request(message) from None
    found: dict[str, Any] = getattr(declaration, name)[0]
    return dict(found)


def ttl() -> f.Kind:
    # As in TOML: 0, "none" or "never" mean the token never expires; JSON adds null.
    return f.one_of(
        f.integer(0), f.enum("none", "never"), expected="whole seconds, 'none' or null"
    ).nullable()


CLIENT_FIELDS = (
    f.Field("client_id", f.text(min_length=1, max_length=200), "generated when absent"),
    f.Field(
        "client_secret",
        f.text(min_length=1, max_length=1000),
        "generated for a confidential client when absent (and returned)",
    ),
    f.Field("public", f.boolean(), "a public client (no secret, RFC 6749 §2.1)"),
    f.Field(
        "grant_types",
        f.text_list(f.enum(*GRANT_TYPES)),
        "grants the client may use; absent: every grant",
    ),
    f.Field("scopes", f.text_list(), "scopes the client may ask for; absent: any scope"),
    f.Field("audience", f.text_or_list(), "the aud of its access tokens"),
    f.Field(
        "resources",
        f.text_list(),
        "RFC 8707 resource indicators it may ask for (absolute URIs); absent: any",
    ),
    f.Field(
        "post_logout_redirect_uris",
        f.text_list(),
        "where logout may send the browser back (OIDC RP-Initiated Logout; exact match)",
    ),
    f.Field(
        "require_pushed_authorization_requests",
        f.boolean(),
        "its authorization requests must be pushed first (RFC 9126 §6)",
    ),
    f.Field(
        "token_endpoint_auth_method",
        f.one_of(
            f.enum(*AUTH_METHODS),
            f.text_list(f.enum(*AUTH_METHODS)),
            expected=f"one of {', '.join(AUTH_METHODS)}, or a list of them",
        ),
        "how it authenticates (RFC 7591 names)",
    ),
    f.Field("claims", f.json_object(), "extra claims in every access token it gets"),
    f.Field("access_token_ttl", ttl(), "seconds; 0, 'none' or null: never expires"),
    f.Field("refresh_token_ttl", ttl(), "seconds; 0, 'none' or null: never expires"),
    f.Field("token_format", f.enum("jwt", "opaque"), "overrides the provider's format"),
    f.Field(
        "tls_client_auth_subject_dn",
        f.text(min_length=1),
        "RFC 8705 tls_client_auth: the subject DN of its certificate (RFC 4514)",
    ),
    f.Field(
        "tls_client_auth_san_dns",
        f.text(min_length=1),
        "RFC 8705 tls_client_auth: a dNSName of its certificate",
    ),
    f.Field(
        "redirect_uris",
        f.text_list(),
        "registered redirect URIs; loopback ones match any port (RFC 8252 §7.3)",
    ),
    f.Field("jwks", f.json_object(), "private_key_jwt: its public keys, a JWKS (RFC 7523 §2.2)"),
    f.Field("jwks_uri", f.text(min_length=1), "private_key_jwt: where its JWKS is fetched"),
    f.Field(
        "token_endpoint_auth_signing_alg",
        f.text(min_length=1),
        "the one algorithm its client assertions may use",
    ),
    f.Field(
        "dpop_bound_access_tokens",
        f.boolean(),
        "every token request must carry a DPoP proof (RFC 9449 §5.2)",
    ),
    f.Field(
        "p12_password",
        f.text(min_length=1),
        "password of the PKCS#12 file written for it when the server runs with TLS",
    ),
)

USER_FIELDS = (
    f.Field("username", f.text(min_length=1, max_length=200), "generated when absent"),
    f.Field("password", f.text(min_length=1, max_length=1000), "generated when absent"),
    f.Field("claims", f.json_object(), "custom claims in every token of the user"),
    f.Field("profile", f.json_object(), "OIDC profile claims (name, email...), by scope"),
    f.Field("sub", f.text(min_length=1, max_length=255), "the subject; generated when absent"),
    f.Field("disabled", f.boolean(), "a disabled user cannot sign in"),
)

#: A fault's ``kind`` as in TOML: the provider method that plans it (``fail``...)
#: or the kind the journal records (``status``...).
FAULT_KINDS = (
    *FAULT_METHODS.values(),
    *(k for k in FAULT_METHODS if k not in FAULT_METHODS.values()),
)


def fault_method(kind: str) -> str:
    """The provider method of a fault ``kind``."""
    return FAULT_METHODS.get(kind, kind)


def fault_keywords(kind: str) -> tuple[str, ...]:
    """The keywords the method of ``kind`` takes: its own, then the targeting ones."""
    from pytest_authmock.provider.faults_api import FaultTarget
    from pytest_authmock.provider.idp import FakeIdP

    found: list[str] = []
    for name, parameter in inspect.signature(
        getattr(FakeIdP, fault_method(kind))
    ).parameters.items():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            found += list(FaultTarget.__annotations__)
        elif name != "self":
            found.append(name)
    return tuple(found)


FAULT_FIELDS = (
    f.Field(
        "kind",
        f.enum(*FAULT_KINDS),
        "the fault: the provider method's name, or the journal's",
        required=True,
    ),
    f.Field("status", f.integer(400, 599), "fail: the HTTP status"),
    f.Field("endpoint", f.text(min_length=1), "token, jwks, userinfo... absent: every endpoint"),
    f.Field(
        "times",
        f.one_of(
            f.integer(1), f.enum("always"), expected="a whole number >= 1, 'always' or null"
        ).nullable(),
        "how many matching requests it hits; 'always' or null: every one (default 1)",
    ),
    f.Field("fraction", f.number(0, 1), "hit about this share of matching requests (seeded)"),
    f.Field("grant_type", f.text(min_length=1), "token endpoint: only this grant"),
    f.Field("body", f.any_json(), "fail: the body (default: a JSON error; null: none)"),
    f.Field("headers", f.json_object(f.text()), "fail: extra response headers"),
    f.Field(
        "retry_after",
        f.one_of(
            f.number(0), f.text(min_length=1), expected="seconds >= 0, a header value or null"
        ).nullable(),
        "rate_limit: seconds, or the raw Retry-After value; null: no header",
    ),
    f.Field("http_date", f.boolean(), "rate_limit: send Retry-After as an HTTP-date"),
    f.Field("seconds", f.number(0, 3600), "delay: seconds before the answer"),
    f.Field("stall", f.number(0.001, 3600), "timeout: longest the connection is held"),
    f.Field("content_type", f.text(min_length=1, max_length=200), "wrong_content_type: the label"),
)


def checked_table(
    name: TableName, fields: tuple[f.Field, ...], body: Mapping[str, Any]
) -> dict[str, Any]:
    """A JSON table: types checked here, keys and conversions by the TOML reader."""
    values = f.check_body(fields, body, check_unknown=False)
    if name == "clients":
        for key in ("access_token_ttl", "refresh_token_ttl"):
            if key in values and values[key] is None:
                values[key] = "none"  # what TOML, which has no null, writes
    unknown = {key: value for key, value in body.items() if key not in values}
    return read_table(name, {**values, **unknown})
