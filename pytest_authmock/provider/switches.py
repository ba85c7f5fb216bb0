"""The provider's switches for the choices the RFCs leave open, and their validation.

Where the RFCs allow several answers (``invalid_client`` with 400 or 401, an
unknown scope refused or ignored, refresh tokens with client credentials or
not...), real providers differ, and the contract suite reports which answer
each one gives. Every such answer has a switch here, a :class:`ProviderConfig`
option whose default is the fake's own behaviour; a recorded provider profile
sets them all at once (:mod:`.profile`).

This module validates and normalises the values (lists become tuples, so a
config stays hashable), and reads them from text (ini files, flags).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "CLAIM_TYPES",
    "DEFAULTS",
    "DESCRIPTIONS",
    "DEVICE_GRANT",
    "METADATA_DOCUMENTS",
    "SECRET_METHODS",
    "UNKNOWN_SCOPE_ANSWERS",
    "claim_layout",
    "from_text",
    "normalise",
]

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
METADATA_DOCUMENTS = ("openid-configuration", "oauth-authorization-server")
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
#: ``unknown_scope``: grant it anyway, drop it from the granted scope, or refuse
#: the request with one of these RFC 6749 §5.2 errors.
UNKNOWN_SCOPE_ANSWERS = ("grant", "ignore", "invalid_scope", "invalid_request")
#: The JSON types a claim of a claims layout may be declared with.
CLAIM_TYPES = ("string", "number", "boolean", "array", "object")
#: RFC 6749 §5.2 / RFC 6750 §3: error codes are %x20-21 / %x23-5B / %x5D-7E.
_ERROR_CODE = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]+")
_CLAIM_NAME = re.compile(r"[^\s:]+")

#: Each switch and the fake's own answer, the default.
DEFAULTS: dict[str, Any] = {
    "metadata_documents": METADATA_DOCUMENTS,
    "unpublished_metadata": (),
    "grant_types": None,
    "jwks_alg": True,
    "scopes_supported": None,
    "unknown_scope": "grant",
    "bearer_token_type": "Bearer",
    "send_expires_in": True,
    "access_token_typ": "at+jwt",
    "id_token_typ": "JWT",
    "invalid_client_status": 401,
    "token_endpoint_get_status": 405,
    "client_secret_methods": SECRET_METHODS,
    "refresh_token_grants": ("authorization_code", "password", DEVICE_GRANT),
    "refresh_token_reuse_revokes_family": True,
    "introspection_requires_audience": False,
    "introspect_jwt_access_tokens": True,
    "revoke_access_tokens": True,
    "device_interval": 5,
    "device_code_ttl": 300,
    "device_verification_uri_complete": True,
    "missing_token_error": None,
    "authorization_response_iss": True,
    "code_reuse_revokes_tokens": True,
    "refused_exchange_spends_code": False,
    "pkce_methods": ("S256",),
    "require_pkce": False,
    "certificate_bound_access_tokens": True,
    "access_token_claims": None,
    "id_token_claims": None,
}


#: What each switch sets, in a line (``pytest --help`` lists them with the ini options).
DESCRIPTIONS: dict[str, str] = {
    "metadata_documents": "well-known metadata documents served: openid-configuration,"
    " oauth-authorization-server",
    "unpublished_metadata": "metadata members left out (grant_types_supported, jwks_uri...)",
    "grant_types": "grant types offered; none = every grant the fake has",
    "jwks_alg": "the JWKS names each key's alg",
    "scopes_supported": "scopes the provider knows and publishes; none = any scope",
    "unknown_scope": "a scope outside scopes_supported: grant, ignore, invalid_scope,"
    " invalid_request",
    "bearer_token_type": "token_type of token answers as spelled (Bearer, bearer)",
    "send_expires_in": "token answers carry expires_in",
    "access_token_typ": "typ header of JWT access tokens; none = no typ",
    "id_token_typ": "typ header of ID tokens; none = no typ",
    "invalid_client_status": "HTTP status of invalid_client: 401 or 400",
    "token_endpoint_get_status": "HTTP status of a GET at the token endpoint: 405, 404 or 400",
    "client_secret_methods": "how clients registered without token_endpoint_auth_method may"
    " send their secret",
    "refresh_token_grants": "grants whose answers carry a refresh token",
    "refresh_token_reuse_revokes_family": "reusing a rotated refresh token revokes its family",
    "introspection_requires_audience": "a client introspects only tokens whose aud names it",
    "introspect_jwt_access_tokens": "JWT access tokens introspect as active",
    "revoke_access_tokens": "revoking an access token takes effect",
    "device_interval": "device flow polling interval in seconds; none = not sent",
    "device_code_ttl": "device code lifetime in seconds",
    "device_verification_uri_complete": "the device answer has verification_uri_complete",
    "missing_token_error": "error code in the challenge to a request without a token;"
    " none = no error",
    "authorization_response_iss": "iss in authorization responses (RFC 9207)",
    "code_reuse_revokes_tokens": "a reused authorization code revokes the tokens it gave",
    "refused_exchange_spends_code": "a refused code exchange uses the code up",
    "pkce_methods": "PKCE methods accepted: S256, plain",
    "require_pkce": "confidential clients need PKCE too",
    "certificate_bound_access_tokens": "bind access tokens to the client certificate (cnf)",
    "access_token_claims": "claims layout of JWT access tokens, name or name:type each",
    "id_token_claims": "claims layout of ID tokens, name or name:type each",
}


class _Problem(ValueError):
    """A bad switch value; ``config`` words it as ``authmock option <name> <problem>``."""


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"must be True or False; got {value!r}")
    return value


def _names(
    value: object, *, allowed: Iterable[str] | None = None, empty: bool = True
) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise TypeError(f"must be a list of names; got {value!r}")
    names = tuple(dict.fromkeys(value))
    if not all(isinstance(name, str) and name for name in names):
        raise _Problem(f"must be a list of non-empty strings; got {list(value)!r}")
    if not empty and not names:
        raise _Problem("must name at least one")
    if allowed is not None:
        allowed = tuple(allowed)
        unknown = [name for name in names if name not in allowed]
        if unknown:
            raise _Problem(f"takes {', '.join(allowed)}; got {', '.join(map(repr, unknown))}")
    return names


def _optional_names(value: object) -> tuple[str, ...] | None:
    return None if value is None else _names(value)


def _one_of(*allowed: Any) -> Callable[[object], Any]:
    def check(value: object) -> Any:
        # ``True == 1``: compare types too, so that True is not taken for a status.
        if not any(type(value) is type(choice) and value == choice for choice in allowed):
            raise _Problem(f"must be one of {', '.join(map(repr, allowed))}; got {value!r}")
        return value

    return check


def _seconds(value: object, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        hint = " or None (not sent)" if optional else ""
        raise _Problem(f"must be a positive whole number of seconds{hint}; got {value!r}")
    return value


def _error_code(value: object, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not _ERROR_CODE.fullmatch(value):
        raise _Problem(f"must be an OAuth error code (RFC 6749 §5.2 characters); got {value!r}")
    return value


def _typ(value: object) -> str | None:
    if value is not None and (not isinstance(value, str) or not value):
        raise _Problem(f"must be a non-empty string, or None (no typ header); got {value!r}")
    return value


def _bearer(value: object) -> str:
    # RFC 6750 §4 / RFC 6749 §5.1: the value is case insensitive, the spelling is a choice.
    if not isinstance(value, str) or value.lower() != "bearer":
        raise _Problem(f"must be 'Bearer' in some spelling ('Bearer', 'bearer'); got {value!r}")
    return value


def _pkce(value: object) -> tuple[str, ...]:
    methods = _names(value, allowed=("S256", "plain"), empty=False)
    if "S256" not in methods:
        raise _Problem("must include 'S256': the fake always supports it (RFC 7636 §4.2)")
    return methods


def _unpublished(value: object) -> tuple[str, ...]:
    names = _names(value)
    if "issuer" in names:
        raise _Problem("cannot leave out 'issuer' (RFC 8414 §2: REQUIRED)")
    return names


def claim_layout(value: object) -> tuple[str, ...] | None:
    """A claims layout: ``["iss", "aud:array", "roles:array"...]``, each ``name[:type]``."""
    if value is None:
        return None
    entries = _names(value)
    seen: set[str] = set()
    for entry in entries:
        name, _, kind = entry.partition(":")
        if not _CLAIM_NAME.fullmatch(name) or (kind and kind not in CLAIM_TYPES):
            raise _Problem(
                f"entries are 'name' or 'name:type' with a type of {', '.join(CLAIM_TYPES)};"
                f" got {entry!r}"
            )
        if name in seen:
            raise _Problem(f"names the claim {name!r} twice")
        seen.add(name)
    return entries


_CHECKS: dict[str, Callable[[object], Any]] = {
    "metadata_documents": lambda v: _names(v, allowed=METADATA_DOCUMENTS, empty=False),
    "unpublished_metadata": _unpublished,
    # Which grants exist is the facade's to check (it knows the grant table).
    "grant_types": _optional_names,
    "jwks_alg": _bool,
    "scopes_supported": _optional_names,
    "unknown_scope": _one_of(*UNKNOWN_SCOPE_ANSWERS),
    "bearer_token_type": _bearer,
    "send_expires_in": _bool,
    "access_token_typ": _typ,
    "id_token_typ": _typ,
    "invalid_client_status": _one_of(400, 401),
    "token_endpoint_get_status": _one_of(400, 404, 405),
    "client_secret_methods": lambda v: _names(v, allowed=SECRET_METHODS, empty=False),
    "refresh_token_grants": _names,
    "refresh_token_reuse_revokes_family": _bool,
    "introspection_requires_audience": _bool,
    "introspect_jwt_access_tokens": _bool,
    "revoke_access_tokens": _bool,
    "device_interval": lambda v: _seconds(v, optional=True),
    "device_code_ttl": _seconds,
    "device_verification_uri_complete": _bool,
    "missing_token_error": lambda v: _error_code(v, optional=True),
    "authorization_response_iss": _bool,
    "code_reuse_revokes_tokens": _bool,
    "refused_exchange_spends_code": _bool,
    "pkce_methods": _pkce,
    "require_pkce": _bool,
    "certificate_bound_access_tokens": _bool,
    "access_token_claims": claim_layout,
    "id_token_claims": claim_layout,
}


def normalise(name: str, value: object) -> Any:
    """The switch's value, validated (lists become tuples).

    Raises ``TypeError`` or ``ValueError`` whose message completes
    ``authmock option <name> ...``.
    """
    return _CHECKS[name](value)


#: Switches whose text form is a list (ini files: comma- or space-separated).
_LISTS = {
    name
    for name, default in DEFAULTS.items()
    if isinstance(default, tuple)
    or name in ("grant_types", "scopes_supported", "access_token_claims", "id_token_claims")
}
_OPTIONAL = {name for name, default in DEFAULTS.items() if default is None} | {
    "device_interval",
    "access_token_typ",
    "id_token_typ",
}


def from_text(name: str, raw: str) -> Any:
    """A switch's value from text (an ini line): ``true``, ``401``, ``a, b``, ``none``."""
    text = raw.strip()
    if name in _OPTIONAL and text.lower() == "none":
        return None
    default = DEFAULTS[name]
    if name in _LISTS:
        return tuple(part for part in re.split(r"[,\s]+", text) if part)
    if isinstance(default, bool):
        lowered = text.lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise _Problem(f"must be true or false; got {raw!r}")
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            raise _Problem(f"must be a whole number; got {raw!r}") from None
    return text
