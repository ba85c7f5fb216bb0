"""Discovery (RFC 8414, OIDC Discovery) and the JWKS (RFC 7517): how clients find the rest."""

from __future__ import annotations

from typing import Any

import httpx

from pytest_authmock.provider.client_auth import TLS_METHODS
from pytest_authmock.provider.context import ProviderContext, ProviderRequest
from pytest_authmock.provider.dpop import DPOP_ALGS
from pytest_authmock.provider.http import json_response, require_method
from pytest_authmock.provider.jwtcheck import CLIENT_ASSERTION_ALGS
from pytest_authmock.provider.models import AUTH_METHODS
from pytest_authmock.provider.paths import PATHS
from pytest_authmock.provider.tokens import SCOPE_CLAIMS


def metadata(ctx: ProviderContext) -> dict[str, Any]:
    """RFC 8414 / OIDC Discovery metadata; clients find every endpoint here."""
    base = ctx.issuer
    # RFC 8705 methods only where a request can carry a client certificate.
    methods = [m for m in AUTH_METHODS if ctx.client_certificates or m not in TLS_METHODS]
    body: dict[str, Any] = {
        "issuer": base,
        "token_endpoint": base + PATHS["token"],
        "jwks_uri": base + PATHS["jwks"],
        "introspection_endpoint": base + PATHS["introspection"],
        "revocation_endpoint": base + PATHS["revocation"],
        "userinfo_endpoint": base + PATHS["userinfo"],
        "grant_types_supported": sorted(ctx.grants),
        "authorization_endpoint": base + PATHS["authorization"],
        "device_authorization_endpoint": base + PATHS["device_authorization"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": (
            ["S256", "plain"] if ctx.flows.settings.allow_plain_pkce else ["S256"]
        ),
        # RFC 9207: authorization responses carry ``iss``.
        "authorization_response_iss_parameter_supported": True,
        # Not registered names: where the API-token management API and its
        # OpenAPI description live.
        "api_tokens_endpoint": base + PATHS["api_tokens"],
        "api_tokens_openapi_uri": base + PATHS["api_tokens_openapi"],
        "token_endpoint_auth_methods_supported": methods,
        "introspection_endpoint_auth_methods_supported": [m for m in methods if m != "none"],
        "revocation_endpoint_auth_methods_supported": methods,
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "azp"]
        + [claim for claims in SCOPE_CLAIMS.values() for claim in claims],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ctx.config.algorithm],
        # RFC 8414 §2: the algorithms of private_key_jwt and client_secret_jwt assertions.
        "token_endpoint_auth_signing_alg_values_supported": list(CLIENT_ASSERTION_ALGS),
        "introspection_endpoint_auth_signing_alg_values_supported": list(CLIENT_ASSERTION_ALGS),
        "revocation_endpoint_auth_signing_alg_values_supported": list(CLIENT_ASSERTION_ALGS),
        # RFC 9449 §5.1: DPoP proofs are accepted with these algorithms.
        "dpop_signing_alg_values_supported": list(DPOP_ALGS),
    }
    if ctx.client_certificates:
        body["tls_client_certificate_bound_access_tokens"] = True
    if ctx.mtls_base_url:
        # RFC 8705 §5: the same endpoints on the listener that requires a certificate.
        alias = ctx.mtls_base_url + httpx.URL(base).path.rstrip("/")
        body["mtls_endpoint_aliases"] = {
            f"{name}_endpoint": alias + PATHS[name]
            for name in ("token", "introspection", "revocation", "userinfo")
        }
    return body


def discovery(ctx: ProviderContext, request: ProviderRequest) -> httpx.Response:
    require_method(request.http, "GET", "HEAD")
    return json_response(200, metadata(ctx), cache=True)


def jwks(ctx: ProviderContext, request: ProviderRequest) -> httpx.Response:
    require_method(request.http, "GET", "HEAD")
    return json_response(200, ctx.keys.jwks(), cache=True)
