"""The choices a provider profile records, and the options with which the fake plays each.

Each entry of :data:`CHOICES` is one choice the contract suite can observe, by
the key it has in a profile: what its value must look like, and the
:class:`ProviderConfig` options that make the fake answer the same. A value the
fake cannot play yet raises :class:`ChoiceError` naming it: a profile is
replayed whole, never in part.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from pytest_authmock.provider.switches import CLAIM_TYPES, DEFAULTS, METADATA_DOCUMENTS

__all__ = ["CHOICES", "ChoiceError", "options_for"]


class ChoiceError(ValueError):
    """A recorded choice with a bad value, or one the fake cannot play yet."""


Options = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Choice:
    #: What the value is, for messages ("true or false", "a list of names"...).
    expects: str
    check: Callable[[Any], bool]
    #: The options that play a (checked) value; raises ChoiceError if none can.
    play: Callable[[Any], Options]


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _is_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _is_names(value: Any) -> bool:
    return isinstance(value, list) and all(_is_str(item) for item in value)


def _or_null(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: value is None or check(value)


def _is_layout(value: Any) -> bool:
    return isinstance(value, dict) and all(
        _is_str(name) and kind in CLAIM_TYPES for name, kind in value.items()
    )


def _option(
    name: str, convert: Callable[[Any], Any] = lambda value: value
) -> Callable[[Any], Options]:
    return lambda value: {name: convert(value)}


def _unpublished(member: str, option: str | None = None) -> Callable[[Any], Options]:
    """A metadata list: published (``option`` plays it) or ``null``, not published."""

    def play(value: Any) -> Options:
        if value is None:
            return {"unpublished_metadata": (member,)}
        return {option: tuple(value)} if option else {}

    return play


def _cannot(what: str, how: str) -> ChoiceError:
    return ChoiceError(f"the fake cannot play {what} yet: {how}")


def _key_types(value: list[str]) -> Options:
    # The fake publishes one key: RSA for RS256 or EC P-256 for ES256.
    algorithms = {"RSA/RS256": "RS256", "RSA": "RS256", "EC/ES256": "ES256", "EC": "ES256"}
    if len(value) != 1 or value[0] not in algorithms:
        raise _cannot(f"JWKS key types {value!r}", "it publishes one RSA/RS256 or EC/ES256 key")
    return {"algorithm": algorithms[value[0]], "jwks_alg": "/" in value[0]}


def _unknown_scope(value: str) -> Options:
    answers = {"granted": "grant", "ignored": "ignore"}
    return {"unknown_scope": answers.get(value, value)}


def _layout(option: str) -> Callable[[Any], Options]:
    return lambda value: {option: tuple(f"{name}:{kind}" for name, kind in sorted(value.items()))}


def _inactive_members(value: list[str]) -> Options:
    if value:
        raise _cannot(
            f"members {', '.join(value)} beside active for an inactive token",
            'it answers {"active": false} alone',
        )
    return {}  # RFC 7662 §2.2: the fake reveals nothing else either


def _pkce_required(value: Any) -> Options:
    if value is False:
        return {"require_pkce": False}
    if value == "invalid_request":
        return {"require_pkce": True}
    raise _cannot(f"a missing PKCE refused with {value!r}", "it answers invalid_request")


def _get_status(value: int) -> Options:
    if value not in (400, 404, 405):
        raise _cannot(f"HTTP {value} for a GET at the token endpoint", "it answers 400, 404 or 405")
    return {"token_endpoint_get_status": value}


def _refresh_with(grant: str) -> Callable[[Any], Options]:
    return lambda value: {"refresh_token_grants": {grant: value}}


#: Endpoints a provider may or may not have; the fake has them all, and can leave them out.
OPTIONAL_ENDPOINTS = ("introspection_endpoint", "revocation_endpoint", "userinfo_endpoint")
_BOOL = "true or false"
_LIST = "a list of names"


#: Choice key -> how to check its value and play it.
CHOICES: dict[str, Choice] = {
    # discovery (OIDC Discovery §4, RFC 8414, RFC 7517)
    "metadata_documents": Choice(
        f"a list of {' and '.join(METADATA_DOCUMENTS)}",
        lambda v: _is_names(v) and bool(v) and set(v) <= set(METADATA_DOCUMENTS),
        _option("metadata_documents", tuple),
    ),
    "endpoints_published": Choice(
        f"a list of {', '.join(OPTIONAL_ENDPOINTS)}",
        lambda v: _is_names(v) and set(v) <= set(OPTIONAL_ENDPOINTS),
        lambda v: {"unpublished_metadata": tuple(e for e in OPTIONAL_ENDPOINTS if e not in v)},
    ),
    "grant_types_supported": Choice(
        f"{_LIST} or null",
        _or_null(_is_names),
        _unpublished("grant_types_supported", "grant_types"),
    ),
    "scopes_supported": Choice(
        f"{_LIST} or null",
        _or_null(_is_names),
        _unpublished("scopes_supported", "scopes_supported"),
    ),
    "code_challenge_methods_supported": Choice(
        f"{_LIST} or null",
        _or_null(_is_names),
        _unpublished("code_challenge_methods_supported", "pkce_methods"),
    ),
    "jwks_published": Choice(
        _BOOL, _is_bool, lambda v: {} if v else {"unpublished_metadata": ("jwks_uri",)}
    ),
    "jwks_key_types": Choice("a list of kty/alg names", _is_names, _key_types),
    # the token endpoint (RFC 6749 §3.2, §5)
    "token_type": Choice("a string", _is_str, _option("bearer_token_type")),
    "expires_in": Choice(
        "seconds or null (absent)",
        _or_null(_is_int),
        lambda v: {"send_expires_in": False} if v is None else {"access_token_ttl": v},
    ),
    "access_token_format": Choice(
        "'jwt' or 'opaque'", lambda v: v in ("jwt", "opaque"), _option("token_format")
    ),
    "access_token_typ": Choice("a string or null", _or_null(_is_str), _option("access_token_typ")),
    "access_token_claims": Choice(
        "an object of claim name -> JSON type", _is_layout, _layout("access_token_claims")
    ),
    "id_token_claims": Choice(
        "an object of claim name -> JSON type", _is_layout, _layout("id_token_claims")
    ),
    "id_token_typ": Choice("a string or null", _or_null(_is_str), _option("id_token_typ")),
    "id_token_lifetime": Choice("seconds", _is_int, _option("id_token_ttl")),
    "invalid_client_status": Choice(
        "400 or 401", lambda v: v in (400, 401) and _is_int(v), _option("invalid_client_status")
    ),
    "token_endpoint_get": Choice("an HTTP status", _is_int, _get_status),
    "forbidden_grant_error": Choice("an error code", _is_str, _option("unauthorized_grant_error")),
    "unknown_scope": Choice("'granted', 'ignored' or an error code", _is_str, _unknown_scope),
    "client_auth_methods": Choice(
        "a list of client_secret_basic and client_secret_post",
        lambda v: _is_names(v) and bool(v),
        _option("client_secret_methods", tuple),
    ),
    "refresh_for_client_credentials": Choice(_BOOL, _is_bool, _refresh_with("client_credentials")),
    "refresh_for_password": Choice(_BOOL, _is_bool, _refresh_with("password")),
    "refresh_for_authorization_code": Choice(_BOOL, _is_bool, _refresh_with("authorization_code")),
    "refresh_rotation": Choice(_BOOL, _is_bool, _option("refresh_token_rotation")),
    "refresh_reuse_revokes_family": Choice(
        _BOOL, _is_bool, _option("refresh_token_reuse_revokes_family")
    ),
    # introspection and revocation (RFC 7662, RFC 7009)
    "introspect_own_token": Choice(
        _BOOL, _is_bool, lambda v: {"introspection_requires_audience": not v}
    ),
    "inactive_token_members": Choice(_LIST, _is_names, _inactive_members),
    "introspect_jwt_access_token": Choice(_BOOL, _is_bool, _option("introspect_jwt_access_tokens")),
    "revoke_access_token": Choice(_BOOL, _is_bool, _option("revoke_access_tokens")),
    # the device flow (RFC 8628)
    "device_interval": Choice(
        "seconds or null (absent)", _or_null(_is_int), _option("device_interval")
    ),
    "device_code_lifetime": Choice("seconds", _is_int, _option("device_code_ttl")),
    "verification_uri_complete": Choice(
        _BOOL, _is_bool, _option("device_verification_uri_complete")
    ),
    # bearer challenges (RFC 6750 §3)
    "missing_token_error": Choice(
        "an error code or null", _or_null(_is_str), _option("missing_token_error")
    ),
    "resource_missing_token_error": Choice(
        "an error code or null", _or_null(_is_str), _option("missing_token_error")
    ),
    # the authorization code flow (RFC 6749 §4.1, RFC 7636, RFC 9207)
    "authorization_response_iss": Choice(_BOOL, _is_bool, _option("authorization_response_iss")),
    "code_reuse_revokes_tokens": Choice(_BOOL, _is_bool, _option("code_reuse_revokes_tokens")),
    "refused_exchange_spends_code": Choice(
        _BOOL, _is_bool, _option("refused_exchange_spends_code")
    ),
    "pkce_required": Choice(
        "false or an error code", lambda v: v is False or _is_str(v), _pkce_required
    ),
    # mTLS (RFC 8705)
    "mtls_endpoint_aliases": Choice(
        _BOOL, _is_bool, lambda v: {} if v else {"unpublished_metadata": ("mtls_endpoint_aliases",)}
    ),
    "certificate_bound_access_tokens": Choice(
        _BOOL, _is_bool, _option("certificate_bound_access_tokens")
    ),
}


def options_for(choices: Mapping[str, Any]) -> tuple[Options, dict[str, tuple[str, ...]]]:
    """The options that play ``choices``, and for each option the choices behind it."""
    options: Options = {}
    sources: dict[str, list[str]] = {}
    refresh: dict[str, bool] = {}
    unpublished: list[str] = []
    for key, value in choices.items():
        choice = CHOICES[key]
        if not choice.check(value):
            raise ChoiceError(f"choice {key!r} must be {choice.expects}; got {value!r}")
        try:
            played = choice.play(value)
        except ChoiceError as exc:
            raise ChoiceError(f"choice {key!r}: {exc}") from None
        for option, setting in played.items():
            sources.setdefault(option, []).append(key)
            if option == "refresh_token_grants":
                refresh.update(setting)
            elif option == "unpublished_metadata":
                unpublished.extend(setting)
            elif option in options and options[option] != setting:
                both = " and ".join(sources[option])
                raise ChoiceError(
                    f"the fake cannot play choices {both} together yet: both set {option},"
                    f" to {options[option]!r} and {setting!r}"
                )
            else:
                options[option] = setting
    if refresh:
        grants = dict.fromkeys(DEFAULTS["refresh_token_grants"], True) | refresh
        options["refresh_token_grants"] = tuple(g for g, on in grants.items() if on)
    if unpublished:
        options["unpublished_metadata"] = tuple(dict.fromkeys(unpublished))
    return options, {option: tuple(keys) for option, keys in sources.items()}
