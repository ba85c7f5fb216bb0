"""The token endpoint (RFC 6749 §3.2): authenticate the client, then dispatch by grant type."""

from __future__ import annotations

import httpx

from pytest_authmock.provider.context import ProviderContext, ProviderRequest
from pytest_authmock.provider.dpop import nonce_headers, token_request_jkt
from pytest_authmock.provider.endpoints.authentication import authenticated
from pytest_authmock.provider.errors import InvalidRequest, NotFound, UnsupportedGrantType
from pytest_authmock.provider.grants.base import grant_request, require_grant
from pytest_authmock.provider.http import json_response, require_method


def token(ctx: ProviderContext, request: ProviderRequest) -> httpx.Response:
    status = ctx.config.token_endpoint_get_status
    if request.method != "POST" and status != 405:
        # RFC 6749 §3.2 takes POST; what other methods get is the provider's choice.
        raise (NotFound if status == 404 else InvalidRequest)(
            f"{request.method} is not served at the token endpoint; use POST (RFC 6749 §3.2)"
        )
    require_method(request.http, "POST")
    params = request.form()
    trace = request.trace
    grant_type = params.get("grant_type")
    trace.grant_type = grant_type
    if grant_type is None:
        raise InvalidRequest("the grant_type parameter is missing (RFC 6749 §4)")
    if "client_id" in params:
        trace.client_id = params["client_id"]
    client = authenticated(ctx, request, params).client
    handler = ctx.grants.get(grant_type)
    if handler is None:
        raise UnsupportedGrantType(
            f"grant_type {grant_type!r} is not supported; supported: {', '.join(sorted(ctx.grants))}"
        )
    require_grant(ctx, client, grant_type)
    store, now = ctx.store, ctx.clock.now()
    jkt = token_request_jkt(
        request.headers,
        request.url,
        client_id=client.client_id,
        required=client.dpop_bound_access_tokens,
        now=now,
        replay=store.replay,
        state=store.dpop,
    )
    grant = grant_request(
        ctx,
        client,
        params,
        request.peer_cert,
        jkt,
    )
    if grant_type == "password":
        trace.username = params.get("username")
    try:
        body = handler(grant)
    finally:
        trace.username = grant.username
    return json_response(200, body, headers=nonce_headers(store.dpop, now))
