"""Validating ``add_client()`` arguments early, with messages that say what to pass."""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from typing import Any

from cryptography import x509
from joserfc.jwk import Key

from pytest_authmock.provider.config import TOKEN_FORMATS, check_ttl
from pytest_authmock.provider.grants import parse_scope
from pytest_authmock.provider.jwtcheck import ASYMMETRIC_ALGS, HMAC_ALGS, import_jwks
from pytest_authmock.provider.models import AUTH_METHODS, GRANT_TYPES, Client
from pytest_authmock.provider.redirects import check_redirect_uris

SECRET_METHODS = ("client_secret_basic", "client_secret_post")


def _names(value: Iterable[str] | None, what: str) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise TypeError(f"{what} must be a list of names, not the string {value!r}")
    return frozenset(value)


def build_client(
    *,
    client_id: str,
    client_secret: str | None,
    public: bool,
    grant_types: Iterable[str] | None,
    scopes: Iterable[str] | None,
    audience: str | Sequence[str] | None,
    token_endpoint_auth_method: str | Sequence[str] | None,
    claims: Mapping[str, Any] | None,
    access_token_ttl: int | None,
    refresh_token_ttl: int | None,
    token_format: str | None,
    tls_client_auth_subject_dn: str | None,
    tls_client_auth_san_dns: str | None,
    self_signed_certificates: Iterable[x509.Certificate] | None,
    existing: Container[str],
    redirect_uris: Iterable[str] | None = None,
    jwks: Mapping[str, Any] | None = None,
    jwks_uri: str | None = None,
    token_endpoint_auth_signing_alg: str | None = None,
    dpop_bound_access_tokens: bool = False,
) -> Client:
    if not isinstance(client_id, str) or not client_id:
        raise ValueError(f"client_id must be a non-empty string; got {client_id!r}")
    if client_id in existing:
        raise ValueError(f"client {client_id!r} already exists")
    if public and client_secret is not None:
        raise ValueError(f"client {client_id!r} is public, so it cannot have a client_secret")
    grants = _names(grant_types, "grant_types")
    if grants is not None:
        unknown = sorted(grants - set(GRANT_TYPES))
        if unknown:
            raise ValueError(
                f"unknown grant type {', '.join(map(repr, unknown))}; supported: {', '.join(GRANT_TYPES)}"
            )
        if public and "client_credentials" in grants:
            raise ValueError("a public client cannot use client_credentials (RFC 6749 §4.4)")
    elif public:
        grants = frozenset(GRANT_TYPES) - {"client_credentials"}
    allowed_scopes = _names(scopes, "scopes")
    if allowed_scopes is not None:
        for scope in allowed_scopes:
            if parse_scope(scope) != (scope,):
                raise ValueError(f"scope {scope!r} is not a single RFC 6749 §3.3 scope token")
    if isinstance(audience, str):
        audiences: tuple[str, ...] | None = (audience,)
    elif audience is not None:
        audiences = tuple(audience)
        if not audiences:
            raise ValueError("audience must name at least one audience, or be None")
    else:
        audiences = None
    certificates = tuple(self_signed_certificates or ())
    for cert in certificates:
        if not isinstance(cert, x509.Certificate):
            raise TypeError(
                f"self_signed_certificates takes cryptography x509 certificates; got {cert!r}"
            )
    keys = _client_keys(jwks, jwks_uri, client_id=client_id)
    methods = _auth_methods(
        token_endpoint_auth_method,
        public=public,
        has_secret=client_secret is not None,
        has_tls=bool(tls_client_auth_subject_dn or tls_client_auth_san_dns),
        has_self_signed=bool(certificates),
        has_keys=bool(keys or jwks_uri),
        client_id=client_id,
    )
    _check_signing_alg(token_endpoint_auth_signing_alg, methods)
    if not isinstance(dpop_bound_access_tokens, bool):
        raise TypeError(
            f"dpop_bound_access_tokens must be True or False; got {dpop_bound_access_tokens!r}"
        )
    if tls_client_auth_subject_dn is not None:
        try:
            x509.Name.from_rfc4514_string(tls_client_auth_subject_dn)
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
        public=bool(public),
        grant_types=grants,
        scopes=allowed_scopes,
        audience=audiences,
        token_endpoint_auth_methods=methods,
        claims=dict(claims or {}),
        access_token_ttl=access_token_ttl,
        refresh_token_ttl=refresh_token_ttl,
        token_format=token_format,
        tls_client_auth_subject_dn=tls_client_auth_subject_dn,
        tls_client_auth_san_dns=tls_client_auth_san_dns,
        self_signed_certificates=certificates,
        redirect_uris=check_redirect_uris(redirect_uris, client_id=client_id),
        jwks=keys,
        jwks_uri=jwks_uri,
        token_endpoint_auth_signing_alg=token_endpoint_auth_signing_alg,
        dpop_bound_access_tokens=dpop_bound_access_tokens,
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
) -> tuple[str, ...]:
    if given is None:
        if public:
            return ("none",)
        methods: list[str] = list(SECRET_METHODS) if has_secret else []
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
