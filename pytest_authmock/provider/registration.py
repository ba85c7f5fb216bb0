"""``add_client()``'s options, written once, and their validation with messages that say what to pass.

:class:`ClientOptions` is the one list of the options: ``add_client(**options)``
is typed by it, the TOML ``[[clients]]`` table takes its keys, and
:func:`build_client` validates them.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

from cryptography import x509

from pytest_authmock.provider.algorithms import ASYMMETRIC_ALGS, HMAC_ALGS
from pytest_authmock.provider.config import TOKEN_FORMATS, TokenFormat, check_ttl
from pytest_authmock.provider.indicators import check_registered
from pytest_authmock.provider.models import AUTH_METHODS, Client
from pytest_authmock.provider.redirects import check_redirect_uris
from pytest_authmock.provider.scopes import is_scope_token

if TYPE_CHECKING:
    from joserfc.jwk import Key

SECRET_METHODS = ("client_secret_basic", "client_secret_post")


def _names(value: Iterable[str] | None, what: str) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise TypeError(f"{what} must be a list of names, not the string {value!r}")
    return frozenset(value)


class ClientOptions(TypedDict, total=False):
    """The keyword options of ``add_client()`` (and keys of a TOML ``[[clients]]`` table)."""

    #: A public client (RFC 6749 §2.1) has no secret and authenticates with ``none``.
    public: bool
    #: Grants the client may use; default every grant the provider supports.
    grant_types: Iterable[str] | None
    #: Scopes the client may request; default any scope.
    scopes: Iterable[str] | None
    #: ``aud`` of its access tokens; default the provider's audience.
    audience: str | Sequence[str] | None
    #: RFC 8707 resource indicators it may ask for (each an absolute URI); default any.
    resources: Iterable[str] | None
    #: OIDC RP-Initiated Logout: URIs logout may redirect back to (exact match).
    post_logout_redirect_uris: Iterable[str] | None
    #: RFC 9126 §6: its authorization requests must be pushed first.
    require_pushed_authorization_requests: bool
    #: How it authenticates; default from what it has (secret, certificate subject...).
    token_endpoint_auth_method: str | Sequence[str] | None
    #: Claims put in every access and ID token of the client.
    claims: Mapping[str, Any] | None
    #: Seconds; default the provider's; ``None`` never expires.
    access_token_ttl: int | None
    refresh_token_ttl: int | None
    #: ``"jwt"`` or ``"opaque"`` for this client; default the provider's.
    token_format: TokenFormat | None
    #: RFC 8705 §2.1.2: the certificate subject or DNS name of ``tls_client_auth``.
    tls_client_auth_subject_dn: str | None
    tls_client_auth_san_dns: str | None
    #: RFC 8705 §2.2: certificates of ``self_signed_tls_client_auth`` (Python only).
    self_signed_certificates: Iterable[x509.Certificate] | None
    #: Redirect URIs of the authorization-code flow (exact match; any port on loopback).
    redirect_uris: Iterable[str] | None
    #: RFC 7523 §2.2 ``private_key_jwt``: the client's public keys (a JWKS or one JWK),
    #: or the URL of its JWKS (RFC 7591 §2: one or the other).
    jwks: Mapping[str, Any] | None
    jwks_uri: str | None
    #: The one algorithm its client assertions may use; default what its key allows.
    token_endpoint_auth_signing_alg: str | None
    #: RFC 9449 §5.2: every token request of the client must carry a DPoP proof.
    dpop_bound_access_tokens: bool


#: The option names, in the order the docs and messages list them.
CLIENT_OPTIONS: tuple[str, ...] = tuple(ClientOptions.__annotations__)


def build_client(
    client_id: str,
    client_secret: str | None,
    options: Mapping[str, Any],
    *,
    default_access_ttl: int | None,
    default_refresh_ttl: int | None,
    supported_grants: Sequence[str],
    existing: Container[str],
    secret_methods: Sequence[str] = SECRET_METHODS,
) -> Client:
    """A validated :class:`Client`; bad options raise ``TypeError``/``ValueError`` naming them."""
    unknown = [name for name in options if name not in CLIENT_OPTIONS]
    if unknown:
        raise TypeError(
            f"add_client() got an unexpected keyword argument {unknown[0]!r}; "
            f"its options are client_id, client_secret, {', '.join(CLIENT_OPTIONS)}"
        )
    public = bool(options.get("public", False))
    audience = options.get("audience")
    token_format = options.get("token_format")
    tls_subject_dn = options.get("tls_client_auth_subject_dn")
    tls_san_dns = options.get("tls_client_auth_san_dns")
    access_token_ttl = options.get("access_token_ttl", default_access_ttl)
    refresh_token_ttl = options.get("refresh_token_ttl", default_refresh_ttl)
    if not isinstance(client_id, str) or not client_id:
        raise ValueError(f"client_id must be a non-empty string; got {client_id!r}")
    if client_id in existing:
        raise ValueError(f"client {client_id!r} already exists")
    if public and client_secret is not None:
        raise ValueError(f"client {client_id!r} is public, so it cannot have a client_secret")
    grants = _names(options.get("grant_types"), "grant_types")
    if grants is not None:
        unknown = sorted(grants - set(supported_grants))
        if unknown:
            raise ValueError(
                f"unknown grant type {', '.join(map(repr, unknown))}; "
                f"supported: {', '.join(supported_grants)}"
            )
        if public and "client_credentials" in grants:
            raise ValueError("a public client cannot use client_credentials (RFC 6749 §4.4)")
    elif public:
        grants = frozenset(supported_grants) - {"client_credentials"}
    allowed_scopes = _names(options.get("scopes"), "scopes")
    if allowed_scopes is not None:
        for scope in allowed_scopes:
            if not is_scope_token(scope):
                raise ValueError(f"scope {scope!r} is not a single RFC 6749 §3.3 scope token")
    if isinstance(audience, str):
        audiences: tuple[str, ...] | None = (audience,)
    elif audience is not None:
        audiences = tuple(audience)
        if not audiences:
            raise ValueError("audience must name at least one audience, or be None")
    else:
        audiences = None
    require_par = options.get("require_pushed_authorization_requests", False)
    if not isinstance(require_par, bool):
        raise TypeError(
            f"require_pushed_authorization_requests must be True or False; got {require_par!r}"
        )
    certificates = tuple(options.get("self_signed_certificates") or ())
    for cert in certificates:
        if not isinstance(cert, x509.Certificate):
            raise TypeError(
                f"self_signed_certificates takes cryptography x509 certificates; got {cert!r}"
            )
    jwks_uri = options.get("jwks_uri")
    keys = _client_keys(options.get("jwks"), jwks_uri, client_id=client_id)
    methods = _auth_methods(
        options.get("token_endpoint_auth_method"),
        public=public,
        has_secret=client_secret is not None,
        has_tls=bool(tls_subject_dn or tls_san_dns),
        has_self_signed=bool(certificates),
        has_keys=bool(keys or jwks_uri),
        client_id=client_id,
        secret_methods=secret_methods,
    )
    signing_alg = options.get("token_endpoint_auth_signing_alg")
    _check_signing_alg(signing_alg, methods)
    dpop_bound = options.get("dpop_bound_access_tokens", False)
    if not isinstance(dpop_bound, bool):
        raise TypeError(f"dpop_bound_access_tokens must be True or False; got {dpop_bound!r}")
    if tls_subject_dn is not None:
        try:
            x509.Name.from_rfc4514_string(tls_subject_dn)
        except ValueError as error:
            raise ValueError(f"tls_client_auth_subject_dn is not an RFC 4514 DN: {error}") from None
    check_ttl("access_token_ttl", access_token_ttl)
    check_ttl("refresh_token_ttl", refresh_token_ttl)
    if token_format is not None and token_format not in TOKEN_FORMATS:
        raise ValueError(
            f"token_format must be one of {', '.join(TOKEN_FORMATS)}; got {token_format!r}"
        )
    return Client(
        client_id=client_id,
        client_secret=client_secret,
        public=public,
        grant_types=grants,
        scopes=allowed_scopes,
        audience=audiences,
        resources=check_registered(options.get("resources"), client_id=client_id),
        post_logout_redirect_uris=check_redirect_uris(
            options.get("post_logout_redirect_uris"), client_id=client_id
        ),
        require_pushed_authorization_requests=require_par,
        token_endpoint_auth_methods=methods,
        claims=dict(options.get("claims") or {}),
        access_token_ttl=access_token_ttl,
        refresh_token_ttl=refresh_token_ttl,
        token_format=token_format,
        tls_client_auth_subject_dn=tls_subject_dn,
        tls_client_auth_san_dns=tls_san_dns,
        self_signed_certificates=certificates,
        redirect_uris=check_redirect_uris(options.get("redirect_uris"), client_id=client_id),
        jwks=keys,
        jwks_uri=jwks_uri,
        token_endpoint_auth_signing_alg=signing_alg,
        dpop_bound_access_tokens=dpop_bound,
    )


def _client_keys(
    jwks: Mapping[str, Any] | None, jwks_uri: str | None, *, client_id: str
) -> tuple[Key, ...]:
    if jwks is not None and jwks_uri is not None:
        # RFC 7591 §2: jwks and jwks_uri MUST NOT both be present.
        raise ValueError(f"client {client_id!r}: pass jwks or jwks_uri, not both (RFC 7591 §2)")
    if jwks_uri is not None and (
        not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://"))
    ):
        raise ValueError(f"jwks_uri must be an http(s) URL; got {jwks_uri!r}")
    if jwks is None:
        return ()
    # joserfc loads with the first client that registers keys, not with the options.
    from pytest_authmock.provider.jwtcheck import import_jwks

    if isinstance(jwks, Mapping) and "keys" not in jwks and "kty" in jwks:
        jwks = {"keys": [dict(jwks)]}  # one JWK given on its own
    return tuple(import_jwks(jwks, what=f"jwks of client {client_id!r}"))


def _check_signing_alg(alg: str | None, methods: Sequence[str]) -> None:
    if alg is None:
        return
    if "private_key_jwt" in methods and alg in ASYMMETRIC_ALGS:
        return
    if "client_secret_jwt" in methods and alg in HMAC_ALGS:
        return
    raise ValueError(
        f"token_endpoint_auth_signing_alg {alg!r} does not fit the client's methods "
        f"({', '.join(methods)}): private_key_jwt takes {', '.join(ASYMMETRIC_ALGS)}; "
        f"client_secret_jwt takes {', '.join(HMAC_ALGS)}"
    )


def _auth_methods(
    given: str | Sequence[str] | None,
    *,
    public: bool,
    has_secret: bool,
    has_tls: bool,
    has_self_signed: bool,
    has_keys: bool,
    client_id: str,
    secret_methods: Sequence[str],
) -> tuple[str, ...]:
    if given is None:
        if public:
            return ("none",)
        methods: list[str] = list(secret_methods) if has_secret else []
        if has_keys:
            methods.append("private_key_jwt")
        if has_tls:
            methods.append("tls_client_auth")
        if has_self_signed:
            methods.append("self_signed_tls_client_auth")
        return tuple(methods)
    chosen = (given,) if isinstance(given, str) else tuple(given)
    unknown = [m for m in chosen if m not in AUTH_METHODS]
    if unknown or not chosen:
        raise ValueError(
            f"unknown token_endpoint_auth_method {', '.join(map(repr, unknown)) or '(empty)'}; "
            f"supported: {', '.join(AUTH_METHODS)}"
        )
    if public and any(m != "none" for m in chosen):
        raise ValueError(
            f"public client {client_id!r} can only use token_endpoint_auth_method 'none'"
        )
    if not public and "none" in chosen:
        raise ValueError(f"confidential client {client_id!r} cannot use 'none'; pass public=True")
    if any(m in SECRET_METHODS for m in chosen) and not has_secret:
        raise ValueError(f"client {client_id!r} authenticates with a secret but has none")
    if "tls_client_auth" in chosen and not has_tls:
        raise ValueError(
            "tls_client_auth needs tls_client_auth_subject_dn=... or tls_client_auth_san_dns=..."
        )
    if "self_signed_tls_client_auth" in chosen and not has_self_signed:
        raise ValueError("self_signed_tls_client_auth needs self_signed_certificates=[...]")
    if "private_key_jwt" in chosen and not has_keys:
        raise ValueError(
            "private_key_jwt needs the client's public keys: jwks={...} or jwks_uri=..."
        )
    if "client_secret_jwt" in chosen and not has_secret:
        raise ValueError(f"client {client_id!r} uses client_secret_jwt but has no secret")
    return chosen
