"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).

The client sends the browser to the ``end_session_endpoint`` with the user's
ID token (``id_token_hint``), where to come back (``post_logout_redirect_uri``,
registered for the client, compared exactly) and a ``state`` to get back. The
browser session of the sign-in page ends, so the next authorization request
asks the user to sign in again. Without a usable ``id_token_hint`` the user is
asked first (§2: a logout request is easy to forge).
"""

from __future__ import annotations

from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError

from pytest_authmock.provider import pages, sessions
from pytest_authmock.provider.context import ProviderContext, ProviderRequest
from pytest_authmock.provider.errors import NotFound
from pytest_authmock.provider.grants.authorization_code import GRANT_TYPE
from pytest_authmock.provider.http import NO_STORE, require_method
from pytest_authmock.provider.models import Client, User
from pytest_authmock.provider.paths import PATHS
from pytest_authmock.provider.protocol_state import BrowserSession

#: The request parameters of §2 the confirmation page carries through.
_PARAMS = ("id_token_hint", "client_id", "post_logout_redirect_uri", "state", "logout_hint")


class LogoutRefused(Exception):
    """The request cannot be trusted to redirect anywhere: answer with a page."""


def end_session(ctx: ProviderContext, request: ProviderRequest) -> httpx.Response:
    if not ctx.flows.protocol.settings.end_session or GRANT_TYPE not in ctx.grants:
        raise NotFound(
            f"no endpoint at {PATHS['end_session']!r}: logout is switched off "
            "(idp.protocol_settings.end_session), or the provider offers no browser sign-in"
        )
    require_method(request.http, "GET", "POST")
    trace = request.trace
    form: dict[str, str] = request.form() if request.method == "POST" else {}
    source = form if request.method == "POST" else dict(request.url.params)
    params = {name: source[name] for name in _PARAMS if source.get(name)}
    try:
        hinted, client = _identify(ctx, params)
    except LogoutRefused as error:
        trace.error = "invalid_request"
        return pages.message(ctx, "Cannot sign out", str(error), status=400, ok=False)
    trace.client_id = client.client_id if client else None
    session = sessions.current(ctx, request.http)
    trace.username = session.username if session else (hinted.username if hinted else None)
    status = 303 if request.method == "POST" else 302  # RFC 9110 §15.4.4
    if "action" in form:
        refused = pages.check_form(ctx, request.http, form)
        if refused is not None:
            trace.error = "invalid_csrf"
            return pages.message(ctx, "Cannot sign out", refused, status=403, ok=False)
        if form["action"] != "logout":
            return pages.message(ctx, "Still signed in", "You stay signed in.")
    elif hinted is None and session is not None:
        # §2: without an ID token to show it came from the client, the user is asked.
        return pages.logout_form(
            ctx,
            pages.guard(ctx, request.http),
            action=ctx.issuer + PATHS["end_session"],
            params=list(params.items()),
            username=session.username,
            client_id=client.client_id if client else None,
        )
    cookie = _sign_out(ctx, session, hinted)
    target = params.get("post_logout_redirect_uri")
    if target is not None:
        query = {"state": params["state"]} if "state" in params else {}
        location = httpx.URL(target).copy_merge_params(query)
        headers = {"Location": str(location), **NO_STORE, "Set-Cookie": cookie}
        return httpx.Response(status, headers=headers)
    answer = pages.message(ctx, "Signed out", "You are signed out. You can close this window.")
    answer.headers["Set-Cookie"] = cookie
    return answer


def _identify(ctx: ProviderContext, params: dict[str, str]) -> tuple[User | None, Client | None]:
    """The user the ID token names and the client the request is from (§2, §3)."""
    hinted: User | None = None
    audience: list[str] = []
    hint = params.get("id_token_hint")
    if hint is not None:
        claims = _id_token_claims(ctx, hint)
        aud = claims.get("aud")
        audience = [aud] if isinstance(aud, str) else [a for a in aud or [] if isinstance(a, str)]
        hinted = next((u for u in ctx.store.users.values() if u.sub == claims.get("sub")), None)
    client_id = params.get("client_id")
    if client_id is not None and audience and client_id not in audience:
        raise LogoutRefused(
            f"client_id {client_id!r} is not the audience of the id_token_hint ({', '.join(audience)})"
        )
    if client_id is None and len(audience) == 1:
        client_id = audience[0]
    client = ctx.store.clients.get(client_id) if client_id else None
    target = params.get("post_logout_redirect_uri")
    if target is not None:
        if client is None:
            # §3: the redirect URI can only be checked against a known client.
            raise LogoutRefused(
                "post_logout_redirect_uri needs the client: send id_token_hint or client_id"
            )
        if target not in client.post_logout_redirect_uris:
            raise LogoutRefused(
                f"post_logout_redirect_uri {target!r} is not registered for client "
                f"{client.client_id!r} (registered: "
                f"{', '.join(client.post_logout_redirect_uris) or 'none'}); it must match exactly. "
                "Pass post_logout_redirect_uris=[...] to add_client()"
            )
    return hinted, client


def _id_token_claims(ctx: ProviderContext, token: str) -> dict[str, Any]:
    """The claims of an ID token this provider signed; an expired one is fine (§2)."""
    try:
        # The algorithm is the provider's own (RFC 8725 §3.1), never the token's.
        decoded = jwt.decode(token, ctx.keys.keyset, algorithms=[ctx.keys.algorithm])
    except (JoseError, ValueError, TypeError):
        raise LogoutRefused(
            "id_token_hint is not an ID token signed by this provider's published keys"
        ) from None
    claims = dict(decoded.claims)
    if claims.get("iss") != ctx.issuer:
        raise LogoutRefused(
            f"id_token_hint was issued by {claims.get('iss')!r}, not {ctx.issuer!r}"
        )
    return claims


def _sign_out(ctx: ProviderContext, session: BrowserSession | None, hinted: User | None) -> str:
    """End the browser's session; without one, every session of the hinted user."""
    protocol = ctx.flows.protocol
    if session is not None:
        return sessions.end(ctx, session)
    if hinted is not None:
        for sid, found in list(protocol.sessions.items()):
            if found.username == hinted.username:
                del protocol.sessions[sid]
    return sessions.clear_cookie(ctx)
