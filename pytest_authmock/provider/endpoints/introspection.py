"""Token introspection (RFC 7662): is this token active, and whose is it."""

from __future__ import annotations

from typing import Any

import httpx

from pytest_authmock.provider.bearer import live_record
from pytest_authmock.provider.context import ProviderContext, ProviderRequest
from pytest_authmock.provider.endpoints.authentication import authenticated
from pytest_authmock.provider.errors import InvalidClient, InvalidRequest, InvalidToken
from pytest_authmock.provider.http import json_response, require_method
from pytest_authmock.provider.models import TokenRecord


def find_token(ctx: ProviderContext, params: dict[str, str]) -> TokenRecord | None:
    """The record of the ``token`` parameter (RFC 7662 §2.1, RFC 7009 §2.1), if known."""
    value = params.get("token")
    if value is None:
        raise InvalidRequest("the token parameter is missing")
    return ctx.store.tokens.get(value)


def introspection(ctx: ProviderContext, request: ProviderRequest) -> httpx.Response:
    require_method(request.http, "POST")
    params = request.form()
    auth = authenticated(ctx, request, params)
    if auth.method == "none":
        raise InvalidClient(
            f"client {auth.client.client_id!r} is public; RFC 7662 §2.1 requires introspecting "
            "clients to authenticate"
        )
    record = find_token(ctx, params)
    if record is None or not _may_see(ctx, auth.client.client_id, record):
        return json_response(200, {"active": False})
    if record.kind == "refresh":
        active = not (record.revoked or record.used or record.expired(ctx.clock.now()))
    else:
        # Binding (cnf) is the resource's check; introspection reports cnf instead.
        try:
            live_record(ctx, record.value, leeway=0)
            active = True
        except InvalidToken:
            active = False
    if not active:
        # RFC 7662 §2.2: an inactive token reveals nothing else.
        return json_response(200, {"active": False})
    request.trace.username = record.username
    body: dict[str, Any] = {
        "active": True,
        "client_id": record.client_id,
        "token_type": _token_type(record),
        "sub": record.sub,
        "iss": ctx.issuer,
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


def _token_type(record: TokenRecord) -> str:
    if record.kind != "access":
        return "refresh_token"
    # RFC 9449 §6.2: a DPoP-bound token introspects as token_type DPoP (with cnf.jkt).
    return "DPoP" if record.cnf and "jkt" in record.cnf else "Bearer"


def _may_see(ctx: ProviderContext, client_id: str, record: TokenRecord) -> bool:
    """Whether the provider's choices let this client see the token as active."""
    config = ctx.config
    if record.kind != "access":
        return True
    if record.token_format == "jwt" and not config.introspect_jwt_access_tokens:
        # Providers that keep no record of their JWT access tokens cannot introspect them.
        return False
    # RFC 7662 §2.2: a provider may answer inactive to a client outside the token's audience.
    return not config.introspection_requires_audience or client_id in record.audience
