"""Provider options, validated once so that a bad value fails before any request."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal
from urllib.parse import urlsplit

from pytest_authmock.provider.errors import UNAUTHORIZED_GRANT_ERRORS
from pytest_authmock.provider.limits import MAX_LIFETIME, seconds_range, shown

TokenFormat = Literal["jwt", "opaque"]
Algorithm = Literal["RS256", "ES256"]

TOKEN_FORMATS: tuple[str, ...] = ("jwt", "opaque")
ALGORITHMS: tuple[str, ...] = ("RS256", "ES256")
DEFAULT_ISSUER = "https://idp.authmock.test"


class OptionError(ValueError):
    """A bad provider option: ``option`` names it, ``problem`` says what is wrong.

    Its message reads ``authmock option <option> <problem>``; a config file or
    command line that spells the option its own way words it from the two parts.
    """

    def __init__(self, option: str, problem: str) -> None:
        super().__init__(f"authmock option {option} {problem}")
        self.option = option
        self.problem = problem


class OptionTypeError(OptionError, TypeError):
    """A provider option of the wrong type (``TypeError``, like a bad keyword argument)."""


@dataclasses.dataclass(frozen=True)
class ProviderConfig:
    """Every provider-wide option; the marker, ini file and ``authmock serve`` map onto it.

    TTLs are seconds; ``None`` means the token never expires.
    """

    issuer: str = DEFAULT_ISSUER
    token_format: TokenFormat = "jwt"
    algorithm: Algorithm = "RS256"
    # One hour is what most hosted providers hand out for access tokens.
    access_token_ttl: int | None = 3600
    # Thirty days, a common refresh-token lifetime; a scenario's "24 h session"
    # is one keyword away.
    refresh_token_ttl: int | None = 30 * 24 * 3600
    id_token_ttl: int = 3600
    # Okta's org server puts its issuer in ``aud`` when no API is named; so do we.
    audience: str | None = None
    # RFC 9700 §4.14: rotate refresh tokens and revoke the family on reuse.
    refresh_token_rotation: bool = True
    # RFC 6749 §5.2 answers a grant the client may not use with unauthorized_client;
    # set what your real provider answers (the contract suite tells you).
    unauthorized_grant_error: str = "unauthorized_client"

    def __post_init__(self) -> None:
        _check_issuer(self.issuer)
        if self.token_format not in TOKEN_FORMATS:
            raise OptionError(
                "token_format",
                f"must be one of {', '.join(TOKEN_FORMATS)}; got {self.token_format!r}",
            )
        if self.algorithm not in ALGORITHMS:
            raise OptionError(
                "algorithm", f"must be one of {', '.join(ALGORITHMS)}; got {self.algorithm!r}"
            )
        check_ttl("access_token_ttl", self.access_token_ttl)
        check_ttl("refresh_token_ttl", self.refresh_token_ttl)
        check_ttl("id_token_ttl", self.id_token_ttl, allow_none=False)
        if self.audience is not None and (not isinstance(self.audience, str) or not self.audience):
            raise OptionError("audience", f"must be a non-empty string; got {self.audience!r}")
        if self.unauthorized_grant_error not in UNAUTHORIZED_GRANT_ERRORS:
            raise OptionError(
                "unauthorized_grant_error",
                f"must be one of {', '.join(UNAUTHORIZED_GRANT_ERRORS)}; "
                f"got {self.unauthorized_grant_error!r}",
            )
        if not isinstance(self.refresh_token_rotation, bool):
            raise OptionTypeError(
                "refresh_token_rotation",
                f"must be True or False; got {self.refresh_token_rotation!r}",
            )

    @property
    def default_audience(self) -> str:
        return self.audience or self.issuer

    @classmethod
    def option_names(cls) -> tuple[str, ...]:
        return _OPTION_NAMES

    @classmethod
    def from_options(cls, **options: Any) -> ProviderConfig:
        """Build from keyword options, naming any unknown one with the known ones."""
        known = cls.option_names()
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise TypeError(
                f"unknown authmock option{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(map(repr, unknown))}; known options: {', '.join(known)}"
            )
        # Every test validates its options; most suites use a handful of sets. The
        # key holds each value's type, so that True never stands in for 1.
        key = tuple((name, type(value), value) for name, value in sorted(options.items()))
        try:
            return _VALIDATED[key]
        except KeyError:
            pass
        except TypeError:  # a value that cannot be a key: validate it every time
            return cls(**options)
        config = cls(**options)
        if len(_VALIDATED) < 256:
            _VALIDATED[key] = config
        return config

    def replace(self, **options: Any) -> ProviderConfig:
        merged = {name: getattr(self, name) for name in self.option_names()}
        merged.update(options)
        return ProviderConfig.from_options(**merged)


def check_ttl(name: str, value: object, *, allow_none: bool = True) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_LIFETIME:
        hint = " or None (never expires)" if allow_none else ""
        raise OptionError(
            name,
            f"must be {seconds_range()}{hint}; got {shown(value)}",
        )


def _check_issuer(issuer: object) -> None:
    if not isinstance(issuer, str):
        raise OptionTypeError("issuer", f"must be a URL string; got {issuer!r}")
    parts = urlsplit(issuer)
    # OIDC Discovery §3 / RFC 8414 §2: https URL with no query or fragment. We
    # accept http too, because loopback servers and containers use it.
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionError("issuer", f"must be an http(s) URL with a host; got {issuer!r}")
    if parts.query or parts.fragment:
        raise OptionError("issuer", f"must have no query or fragment; got {issuer!r}")
    if issuer.endswith("/"):
        raise OptionError(
            "issuer",
            f"must not end with '/' (issuers compare as exact strings); use {issuer.rstrip('/')!r}",
        )


_OPTION_NAMES = tuple(field.name for field in dataclasses.fields(ProviderConfig))
#: Option sets already validated -> their (frozen, so shareable) config.
_VALIDATED: dict[tuple[tuple[str, type, Any], ...], ProviderConfig] = {}
