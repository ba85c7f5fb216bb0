"""Discovery (RFC 8414, OIDC Discovery) and the JWKS (RFC 7517): how clients find the rest."""

from __future__ import annotations

from typing import Any

import httpx

from pytest_authmock.provider.client_auth import TLS_METHODS
from pytest_authmock.provider.context import ProviderContext, ProviderRequest
from pytest_authmock.provider.dpop import DPOP_ALGS
from pytest_authmock.provider.endpoints.protocol_discovery import protocol_metadata
from pytest_authmock.provider.errors import NotFound
from pytest_authmock.provider.http import json_response, require_method
from pytest_authmock.provider.jwtcheck import CLIENT_ASSERTION_ALGS
from pytest_authmock.provider.models import AUTH_METHODS
from pytest_authmock.provider.paths import PATHS
from pytest_authmock.provider.switches import DEVICE_GRANT, METADATA_DOCUMENTS
from pytest_authmock.provider.tokens import SCOPE_CLAIMS


def metadata(ctx: ProviderContext) -> dict[str, Any]:
    """RFC 8414 / OIDC Discovery metadata; clients find every endpoint here."""
    config = ctx.config
    body = _metadata(ctx)
    if config.scopes_supported is not None:
        body["scopes_supported"] = list(config.scopes_supported)
    # Endpoints of grants the provider does not offer are not advertised.
    if "authorization_code" not in ctx.grants:
        for name in ("authorization_endpoint", "code_challenge_methods_supported"):
            body.pop(name, None)
    if DEVICE_GRANT not in ctx.grants:
        body.pop("device_authorization_endpoint", None)
    for name in config.unpublished_metadata:
        body.pop(name, None)
    return body


def _metadata(ctx: ProviderContext) -> dict[str, Any]:
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
        "authorization_response_iss_parameter_supported": ctx.config.authorization_response_iss,
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
    body.update(protocol_metadata(ctx))
    if ctx.client_certificates:
        body["tls_client_certificate_bound_access_tokens"] = (
            ctx.config.certificate_bound_access_tokens
        )
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
    # RFC 8414 §3.1 puts its well-known segment first, OIDC Discovery §4 last: either
    # way the path names the document.
    document = (
        METADATA_DOCUMENTS[1]
        if METADATA_DOCUMENTS[1] in request.url.path
        else METADATA_DOCUMENTS[0]
    )
    if document not in ctx.config.metadata_documents:
        raise NotFound(
            f"this provider serves no {document} document (metadata_documents="
            f"{list(ctx.config.metadata_documents)})"
        )
    return json_response(200, metadata(ctx), cache=True)


def jwks(ctx: ProviderContext, request: ProviderRequest) -> httpx.Response:
    require_method(request.http, "GET", "HEAD")
    body = ctx.keys.jwks()
    if not ctx.config.jwks_alg:
        # RFC 7517 §4.4: ``alg`` is optional; without it the key type says what it can do.
        body = {
            **body,
            "keys": [{k: v for k, v in key.items() if k != "alg"} for key in body["keys"]],
        }
    return json_response(200, body, cache=True)
