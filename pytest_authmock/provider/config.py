"""Provider options, validated once so that a bad value fails before any request."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal
from urllib.parse import urlsplit

from pytest_authmock.provider import switches
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

    # -- where providers differ (see ``switches``; a provider profile sets them all) --
    #: Which well-known metadata documents are served (OIDC Discovery §4, RFC 8414 §3).
    metadata_documents: tuple[str, ...] = switches.METADATA_DOCUMENTS
    #: Metadata members left out of the documents (``grant_types_supported``, ``jwks_uri``...).
    unpublished_metadata: tuple[str, ...] = ()
    #: The grant types offered; ``None``: every grant the fake implements.
    grant_types: tuple[str, ...] | None = None
    #: Whether the JWKS names each key's ``alg`` (RFC 7517 §4.4 makes it optional).
    jwks_alg: bool = True
    #: The scopes the provider knows (and publishes); ``None``: any scope is known.
    scopes_supported: tuple[str, ...] | None = None
    #: A scope outside ``scopes_supported``: ``grant`` it, ``ignore`` it, or refuse the
    #: request with ``invalid_scope`` or ``invalid_request`` (RFC 6749 §3.3 leaves it open).
    unknown_scope: str = "grant"
    #: ``token_type`` of token answers: case-insensitive (RFC 6749 §5.1), its spelling a choice.
    bearer_token_type: str = "Bearer"
    #: Whether token answers carry ``expires_in`` (RFC 6749 §5.1 RECOMMENDED).
    send_expires_in: bool = True
    #: The ``typ`` header of JWT access tokens (RFC 9068 §2.1) and ID tokens; ``None``: none.
    access_token_typ: str | None = "at+jwt"
    id_token_typ: str | None = "JWT"
    #: RFC 6749 §5.2: 401 (with Basic, a MUST) or 400.
    invalid_client_status: int = 401
    #: The answer to a GET at the token endpoint (RFC 6749 §3.2 takes POST): 405, 404 or 400.
    token_endpoint_get_status: int = 405
    #: How a confidential client registered without ``token_endpoint_auth_method`` may
    #: present its secret (RFC 6749 §2.3.1).
    client_secret_methods: tuple[str, ...] = switches.SECRET_METHODS
    #: The grants whose answers carry a refresh token (RFC 6749 §1.5: the provider's choice),
    #: for clients allowed the refresh_token grant.
    refresh_token_grants: tuple[str, ...] = switches.DEFAULTS["refresh_token_grants"]
    #: RFC 9700 §4.14.2: presenting a rotated refresh token again revokes its whole family.
    refresh_token_reuse_revokes_family: bool = True
    #: A client may introspect only tokens whose ``aud`` names it (RFC 7662 §2.2 allows it).
    introspection_requires_audience: bool = False
    #: Whether JWT access tokens introspect as active (some providers keep no record of them).
    introspect_jwt_access_tokens: bool = True
    #: Whether revoking an access token takes effect (RFC 7009 §2.1: a SHOULD).
    revoke_access_tokens: bool = True
    #: The device flow's polling interval; ``None``: 5 s, not sent (RFC 8628 §3.2's default).
    device_interval: int | None = 5
    #: Seconds a device code lives (RFC 8628 §3.2 ``expires_in``).
    device_code_ttl: int = 300
    #: Whether the device answer has ``verification_uri_complete`` (RFC 8628 §3.3.1).
    device_verification_uri_complete: bool = True
    #: The ``error`` of the challenge to a request with no token at all; RFC 6750 §3.1
    #: says none (``None``), some providers send one.
    missing_token_error: str | None = None
    #: RFC 9207: ``iss`` in authorization responses.
    authorization_response_iss: bool = True
    #: RFC 6749 §4.1.2: a reused code revokes the tokens it gave (a SHOULD).
    code_reuse_revokes_tokens: bool = True
    #: Whether a refused exchange (wrong verifier or redirect URI) uses up the code.
    refused_exchange_spends_code: bool = False
    #: RFC 7636 code challenge methods accepted (``S256``, and ``plain`` if listed).
    pkce_methods: tuple[str, ...] = ("S256",)
    #: Require PKCE from confidential clients too (public clients always need it).
    require_pkce: bool = False
    #: RFC 8705 §3: bind access tokens to the client certificate (``cnf``).
    certificate_bound_access_tokens: bool = True
    #: The claims of access and ID tokens, ``name`` or ``name:type`` each (see
    #: ``claims_layout``); ``None``: the fake's own layout.
    access_token_claims: tuple[str, ...] | None = None
    id_token_claims: tuple[str, ...] | None = None

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
        for name in switches.DEFAULTS:
            try:
                value = switches.normalise(name, getattr(self, name))
            except TypeError as exc:
                raise OptionTypeError(name, str(exc)) from None
            except ValueError as exc:
                raise OptionError(name, str(exc)) from None
            # Frozen: lists from TOML or JSON become tuples, so the config stays hashable.
            object.__setattr__(self, name, value)
        if self.unknown_scope != "grant" and self.scopes_supported is None:
            raise OptionError(
                "unknown_scope",
                f"{self.unknown_scope!r} needs scopes_supported=[...]: the scopes the provider"
                " knows, so that it can tell an unknown one",
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
