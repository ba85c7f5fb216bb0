"""The provider's HTTP endpoints: routing, metadata, token, introspection, revocation, userinfo."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
from cryptography import x509

from pytest_authmock.provider import apitokens, authorize, device
from pytest_authmock.provider.clientauth import Audience, authenticate
from pytest_authmock.provider.errors import (
    InvalidClient,
    InvalidRequest,
    InvalidToken,
    MethodNotAllowed,
    NotFound,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from pytest_authmock.provider.grants import GRANTS, grant_request, require_grant
from pytest_authmock.provider.http import json_response, read_form
from pytest_authmock.provider.jwtcheck import CLIENT_ASSERTION_ALGS
from pytest_authmock.provider.models import AUTH_METHODS, TokenRecord
from pytest_authmock.provider.resource import check_bearer, live_record
from pytest_authmock.provider.tokens import SCOPE_CLAIMS, profile_claims

if TYPE_CHECKING:
    from pytest_authmock.provider.idp import FakeIdP

#: Endpoint name -> path below the issuer.
PATHS: dict[str, str] = {
    "token": "/oauth2/token",
    "introspection": "/oauth2/introspect",
    "revocation": "/oauth2/revoke",
    "userinfo": "/oauth2/userinfo",
    "jwks": "/.well-known/jwks.json",
    "authorization": authorize.PATH,
    "device_authorization": device.PATH,
    "device_verification": device.VERIFICATION_PATH,
    "api_tokens": apitokens.PATH,
    "api_tokens_openapi": apitokens.OPENAPI_PATH,
}
DISCOVERY_PATHS = ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server")
SECRET_METHODS = ["client_secret_basic", "client_secret_post"]

# The grants whose logic lives with their endpoints (they import grants.py, so
# grants.py cannot list them itself without an import cycle).
GRANTS.update(
    {
        device.GRANT_TYPE: device.device_code_grant,
        authorize.GRANT_TYPE: authorize.authorization_code_grant,
    }
)

Trace = dict[str, Any]
Handler = Callable[["FakeIdP", httpx.Request, "x509.Certificate | None", Trace], httpx.Response]


def metadata(idp: FakeIdP) -> dict[str, Any]:
    """RFC 8414 / OIDC Discovery metadata; clients find every endpoint here."""
    base = idp.issuer
    body: dict[str, Any] = {
        "issuer": base,
        "token_endpoint": base + PATHS["token"],
        "jwks_uri": base + PATHS["jwks"],
        "introspection_endpoint": base + PATHS["introspection"],
        "revocation_endpoint": base + PATHS["revocation"],
        "userinfo_endpoint": base + PATHS["userinfo"],
        "grant_types_supported": sorted(GRANTS),
        "authorization_endpoint": base + PATHS["authorization"],
        "device_authorization_endpoint": base + PATHS["device_authorization"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": (
            ["S256", "plain"] if idp.store.flows.settings.allow_plain_pkce else ["S256"]
        ),
        # RFC 9207: authorization responses carry ``iss``.
        "authorization_response_iss_parameter_supported": True,
        # Not registered names: where the API-token management API and its
        # OpenAPI description live.
        "api_tokens_endpoint": base + PATHS["api_tokens"],
        "api_tokens_openapi_uri": base + PATHS["api_tokens_openapi"],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "introspection_endpoint_auth_methods_supported": [m for m in AUTH_METHODS if m != "none"],
        "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "azp"]
        + [claim for claims in SCOPE_CLAIMS.values() for claim in claims],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [idp.config.algorithm],
        # RFC 8414 §2: the algorithms of private_key_jwt and client_secret_jwt assertions.
        "token_endpoint_auth_signing_alg_values_supported": list(CLIENT_ASSERTION_ALGS),
        "introspection_endpoint_auth_signing_alg_values_supported": list(CLIENT_ASSERTION_ALGS),
        "revocation_endpoint_auth_signing_alg_values_supported": list(CLIENT_ASSERTION_ALGS),
        "tls_client_certificate_bound_access_tokens": True,
    }
    if idp.mtls_base_url:
        # RFC 8705 §5: the same endpoints on the listener that requires a certificate.
        alias = idp.mtls_base_url + httpx.URL(base).path.rstrip("/")
        body["mtls_endpoint_aliases"] = {
            f"{name}_endpoint": alias + PATHS[name]
            for name in ("token", "introspection", "revocation", "userinfo")
        }
    return body


def _only(request: httpx.Request, *methods: str) -> None:
    if request.method not in methods:
        raise MethodNotAllowed(
            f"{request.method} is not allowed here; use {' or '.join(methods)}",
            headers={"Allow": ", ".join(methods)},
        )


def discovery(
    idp: FakeIdP, request: httpx.Request, peer: x509.Certificate | None, trace: Trace
) -> httpx.Response:
    _only(request, "GET", "HEAD")
    return json_response(200, metadata(idp), cache=True)


def jwks(
    idp: FakeIdP, request: httpx.Request, peer: x509.Certificate | None, trace: Trace
) -> httpx.Response:
    _only(request, "GET", "HEAD")
    return json_response(200, idp.keys.jwks(), cache=True)


def token(
    idp: FakeIdP, request: httpx.Request, peer: x509.Certificate | None, trace: Trace
) -> httpx.Response:
    _only(request, "POST")
    params = read_form(request)
    grant_type = params.get("grant_type")
    trace["grant_type"] = grant_type
    if grant_type is None:
        raise InvalidRequest("the grant_type parameter is missing (RFC 6749 §4)")
    if "client_id" in params:
        trace["client_id"] = params["client_id"]
    client = authenticate(idp.store, request, params, peer, Audience.of(idp, request)).client
    trace["client_id"] = client.client_id
    handler = GRANTS.get(grant_type)
    if handler is None:
        raise UnsupportedGrantType(
            f"grant_type {grant_type!r} is not supported; supported: {', '.join(sorted(GRANTS))}"
        )
    require_grant(idp, client, grant_type)
    grant = grant_request(idp, client, params, peer)
    if grant_type == "password":
        trace["username"] = params.get("username")
    try:
        body = handler(grant)
    finally:
        trace["username"] = grant.username
    return json_response(200, body)


def _find_token(idp: FakeIdP, params: dict[str, str]) -> TokenRecord | None:
    value = params.get("token")
    if value is None:
        raise InvalidRequest("the token parameter is missing")
    return idp.store.tokens.get(value)


def introspection(
    idp: FakeIdP, request: httpx.Request, peer: x509.Certificate | None, trace: Trace
) -> httpx.Response:
    _only(request, "POST")
    params = read_form(request)
    auth = authenticate(idp.store, request, params, peer, Audience.of(idp, request))
    trace["client_id"] = auth.client.client_id
    if auth.method == "none":
        raise InvalidClient(
            f"client {auth.client.client_id!r} is public; RFC 7662 §2.1 requires introspecting "
            "clients to authenticate"
        )
    record = _find_token(idp, params)
    if record is None:
        return json_response(200, {"active": False})
    if record.kind == "refresh":
        active = not (record.revoked or record.used or record.expired(idp.clock.now()))
    else:
        # Binding (cnf) is the resource's check; introspection reports cnf instead.
        try:
            live_record(idp, record.value, leeway=0)
            active = True
        except InvalidToken:
            active = False
    if not active:
        # RFC 7662 §2.2: an inactive token reveals nothing else.
        return json_response(200, {"active": False})
    trace["username"] = record.username
    body: dict[str, Any] = {
        "active": True,
        "client_id": record.client_id,
        "token_type": "Bearer" if record.kind == "access" else "refresh_token",
        "sub": record.sub,
        "iss": idp.issuer,
        "iat": int(record.issued_at),
        "nbf": int(record.not_before),
        "jti": record.jti,
    }
    if record.scope:
        body["scope"] = " ".join(record.scope)
    if record.audience:
        body["aud"] = record.audience[0] if len(record.audience) == 1 else list(record.audience)
    if record.expires_at is not None:
        body["exp"] = int(record.expires_at)
    if record.username is not None:
        body["username"] = record.username
    if record.cnf is not None:
        body["cnf"] = dict(record.cnf)
    return json_response(200, body)


def revocation(
    idp: FakeIdP, request: httpx.Request, peer: x509.Certificate | None, trace: Trace
) -> httpx.Response:
    _only(request, "POST")
    params = read_form(request)
    client = authenticate(idp.store, request, params, peer, Audience.of(idp, request)).client
    trace["client_id"] = client.client_id
    record = _find_token(idp, params)
    # RFC 7009 §2.2: an unknown or already invalid token still answers 200.
    if record is not None:
        if record.client_id != client.client_id:
            raise UnauthorizedClient(
                f"the token was issued to another client, not {client.client_id!r} (RFC 7009 §2.1)"
            )
        trace["username"] = record.username
        record.revoked = True
        if record.kind == "refresh" and record.family_id is not None:
            # RFC 7009 §2.1: revoking a refresh token also invalidates the access
            # tokens of the same grant.
            idp.store.revoke_family(record.family_id)
    return httpx.Response(200, headers={"Cache-Control": "no-store"})


def userinfo(
    idp: FakeIdP, request: httpx.Request, peer: x509.Certificate | None, trace: Trace
) -> httpx.Response:
    _only(request, "GET", "POST")
    result = check_bearer(
        idp, request.headers.get("authorization"), scopes=("openid",), peer_cert=peer
    )
    if result.token is None:
        return result.to_response()
    trace["client_id"] = result.token.client_id
    trace["username"] = result.token.username
    user = idp.store.users.get(result.token.username or "")
    if user is None:
        raise InvalidToken(
            "token was issued to a client, not a user; userinfo has nobody to describe"
        )
    body = {"sub": user.sub, **profile_claims(user, result.token.scope)}
    return json_response(200, body)


ROUTES: dict[str, tuple[str, Handler]] = {
    DISCOVERY_PATHS[0]: ("discovery", discovery),
    DISCOVERY_PATHS[1]: ("discovery", discovery),
    PATHS["jwks"]: ("jwks", jwks),
    PATHS["token"]: ("token", token),
    PATHS["introspection"]: ("introspection", introspection),
    PATHS["revocation"]: ("revocation", revocation),
    PATHS["userinfo"]: ("userinfo", userinfo),
    PATHS["authorization"]: ("authorization", authorize.authorization),
    PATHS["device_authorization"]: ("device_authorization", device.device_authorization),
    PATHS["device_verification"]: ("device_verification", device.verification_page),
    PATHS["api_tokens"]: ("api_tokens", apitokens.api_tokens),
    PATHS["api_tokens_openapi"]: ("openapi", apitokens.openapi),
}


def fault_endpoints() -> tuple[str, ...]:
    """Endpoint names a fault can target: every routed endpoint, and protected resources."""
    return (*dict.fromkeys(name for name, _ in ROUTES.values()), "resource")


def route(path: str) -> tuple[str, Handler]:
    found = ROUTES.get(path)
    if found is None and path.startswith(apitokens.PATH + "/"):
        found = ROUTES[apitokens.PATH]  # /api/tokens/{id}
    if found is None:
        raise NotFound(f"no endpoint at {path!r}; every endpoint is listed at {DISCOVERY_PATHS[0]}")
    return found
