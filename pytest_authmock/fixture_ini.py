"""The ini options of the ``idp`` fixtures (``authmock_<name>``): their ``--help`` text
and how a line of ini text becomes an option value.

The marker takes Python values; an ini file holds text, read here once at start-up
(:func:`pytest_authmock.fixture_options.configure`), so a bad value stops the run
before any test.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_authmock import profile_options
from pytest_authmock.provider.config import ALGORITHMS, TOKEN_FORMATS, ProviderConfig
from pytest_authmock.provider.errors import UNAUTHORIZED_GRANT_ERRORS
from pytest_authmock.transport.routing import UNROUTED_CHOICES

__all__ = ["INI_DESCRIPTIONS", "ini_help", "parse_ini"]

_TTL_OPTIONS = ("access_token_ttl", "refresh_token_ttl", "id_token_ttl")
_BOOL_OPTIONS = ("refresh_token_rotation", "teardown_check", "assert_all_faults_fired", "requests")

#: What each ini option sets, for ``pytest --help``; ini_help() adds values and default.
INI_DESCRIPTIONS = {
    "issuer": "issuer URL of the idp / idp_server provider",
    "token_format": "access token format",
    "algorithm": "signing algorithm of JWT access tokens and ID tokens",
    "access_token_ttl": "access token lifetime, whole seconds or none (never expires)",
    "refresh_token_ttl": "refresh token lifetime, whole seconds or none (never expires)",
    "id_token_ttl": "ID token lifetime, whole seconds",
    "audience": "aud of access tokens when the request names no API; none = the issuer",
    "refresh_token_rotation": "rotate refresh tokens, revoking the family on reuse (RFC 9700)",
    "unauthorized_grant_error": "error answered for a grant the client may not use",
    "teardown_check": "fail a test whose provider was left with problems",
    "assert_all_faults_fired": "report planned faults that never fired at teardown",
    "clock_skew": "seconds the provider's clock runs ahead of the tests' (negative: behind)",
    "config": "TOML setup file for every provider, relative to the ini file",
    "requests": "idp also answers `requests` calls in-process (pytest-authmock[requests])",
    "unrouted": "what idp does with requests to hosts it does not own",
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "token_format": TOKEN_FORMATS,
    "algorithm": ALGORITHMS,
    "unauthorized_grant_error": tuple(UNAUTHORIZED_GRANT_ERRORS),
    "unrouted": UNROUTED_CHOICES,
    **{name: ("true", "false") for name in _BOOL_OPTIONS},
}
_FIXTURE_DEFAULTS: dict[str, object] = {
    "teardown_check": True,
    "assert_all_faults_fired": True,
    "clock_skew": 0,
    "config": None,
    "requests": False,
    "unrouted": "passthrough",
}


def ini_help(name: str) -> str:
    """``pytest --help`` text of ``authmock_<name>``: what it sets, the values, the default."""
    own = profile_options.ini_help(name)  # the profile and the provider's switches
    if own is not None:
        return own
    default = _FIXTURE_DEFAULTS.get(name, getattr(ProviderConfig(), name, None))
    if isinstance(default, bool):
        shown = str(default).lower()
    elif default is None:
        shown = "none"
    else:
        shown = str(default)
    choices = f", one of {', '.join(_CHOICES[name])}" if name in _CHOICES else ""
    return f"{INI_DESCRIPTIONS[name]}{choices} (default: {shown})"


def parse_ini(name: str, raw: str) -> Any:
    key = f"authmock_{name}"
    value = raw.strip()
    if name in _TTL_OPTIONS:
        if value.lower() == "none":
            return None
        try:
            return int(value)
        except ValueError:
            raise pytest.UsageError(
                f"ini option {key} must be a whole number of seconds or 'none'; got {raw!r}"
            ) from None
    if name in _BOOL_OPTIONS:
        lowered = value.lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise pytest.UsageError(f"ini option {key} must be true or false; got {raw!r}")
    if name == "audience" and value.lower() == "none":
        return None
    if name == "unrouted" and value not in UNROUTED_CHOICES:
        raise pytest.UsageError(
            f"ini option {key} must be one of {', '.join(UNROUTED_CHOICES)}; got {raw!r}"
        )
    if profile_options.is_switch(name):
        return profile_options.from_ini_text(name, value)
    if name == "clock_skew":
        try:
            return float(value)
        except ValueError:
            raise pytest.UsageError(
                f"ini option {key} must be a number of seconds; got {raw!r}"
            ) from None
    return value
