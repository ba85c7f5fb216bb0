"""The UserInfo endpoint (OIDC Core §5.3): the user's claims, as the token's scope releases them."""

from __future__ import annotations

import httpx

from pytest_authmock.provider import challenges
from pytest_authmock.provider.bearer import check_bearer, dpop_header
from pytest_authmock.provider.context import ProviderContext, ProviderRequest
from pytest_authmock.provider.errors import InvalidToken
from pytest_authmock.provider.http import json_response, require_method
from pytest_authmock.provider.tokens import profile_claims


def userinfo(ctx: ProviderContext, request: ProviderRequest) -> httpx.Response:
    require_method(request.http, "GET", "POST")
    result = check_bearer(
        ctx,
        request.headers.get("authorization"),
        scopes=("openid",),
        peer_cert=request.peer_cert,
        dpop=dpop_header(request),
        method=request.method,
        url=request.url,
    )
    if result.token is None:
        return result.to_response()
    request.trace.client_id = result.token.client_id
    request.trace.username = result.token.username
    user = ctx.store.users.get(result.token.username or "")
    if user is None:
        problem = "token was issued to a client, not a user; userinfo has nobody to describe"
        # RFC 6750 §3: a refused token gets a challenge naming the error, like any other.
        challenge = challenges.bearer(
            ctx.issuer, error=InvalidToken.error, error_description=problem
        )
        raise InvalidToken(problem, headers={"WWW-Authenticate": challenge})
    body = {"sub": user.sub, **profile_claims(user, result.token.scope)}
    return json_response(200, body)
