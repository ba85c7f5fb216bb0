"""Token revocation (RFC 7009)."""

from __future__ import annotations

import httpx

from pytest_authmock.provider.context import ProviderContext, ProviderRequest
from pytest_authmock.provider.endpoints.authentication import authenticated
from pytest_authmock.provider.endpoints.introspection import find_token
from pytest_authmock.provider.errors import UnauthorizedClient
from pytest_authmock.provider.http import require_method


def revocation(ctx: ProviderContext, request: ProviderRequest) -> httpx.Response:
    require_method(request.http, "POST")
    params = request.form()
    client = authenticated(ctx, request, params).client
    record = find_token(ctx, params)
    # RFC 7009 §2.2: an unknown or already invalid token still answers 200.
    if record is not None:
        if record.client_id != client.client_id:
            raise UnauthorizedClient(
                f"the token was issued to another client, not {client.client_id!r} (RFC 7009 §2.1)"
            )
        request.trace.username = record.username
        if record.kind == "access" and not ctx.config.revoke_access_tokens:
            # RFC 7009 §2.1: revoking access tokens is a SHOULD; this provider does not.
            return httpx.Response(200, headers={"Cache-Control": "no-store"})
        record.revoked = True
        if record.kind == "refresh" and record.family_id is not None:
            # RFC 7009 §2.1: revoking a refresh token also invalidates the access
            # tokens of the same grant.
            ctx.store.revoke_family(record.family_id)
    return httpx.Response(200, headers={"Cache-Control": "no-store"})
