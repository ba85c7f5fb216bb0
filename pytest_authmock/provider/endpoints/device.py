"""Device authorization (RFC 8628): the endpoint a device starts at, and the verification page."""

from __future__ import annotations

import httpx

from pytest_authmock.provider import device_codes, pages
from pytest_authmock.provider.context import ProviderContext, ProviderRequest
from pytest_authmock.provider.endpoints.authentication import authenticated
from pytest_authmock.provider.errors import OAuthError
from pytest_authmock.provider.flow_state import DEVICE_INTERVAL
from pytest_authmock.provider.grants.base import (
    grant_request,
    requested_resources,
    requested_scope,
    require_grant,
)
from pytest_authmock.provider.grants.device_code import GRANT_TYPE
from pytest_authmock.provider.http import json_response, require_method
from pytest_authmock.provider.paths import PATHS

# -- the device authorization endpoint (RFC 8628 §3.1, §3.2) ---------------------------


def device_authorization(ctx: ProviderContext, request: ProviderRequest) -> httpx.Response:
    require_method(request.http, "POST")
    params = request.form()
    if "client_id" in params:
        request.trace.client_id = params["client_id"]
    client = authenticated(ctx, request, params).client
    # RFC 8628 §3.1: the client asks to use the device grant, so it must be allowed it.
    require_grant(ctx, client, GRANT_TYPE)
    grant = grant_request(ctx, client, params, request.peer_cert)
    resources = requested_resources(grant)  # RFC 8707 §2.1, like an authorization request
    authz = device_codes.start(
        ctx.store, client, requested_scope(grant), ctx.clock.now(), resources
    )
    verification = ctx.issuer + PATHS["device_verification"]
    complete = httpx.URL(verification, params={"user_code": authz.user_code})
    body = {
        "device_code": authz.device_code,
        "user_code": authz.user_code,
        "verification_uri": verification,
        "verification_uri_complete": str(complete),
        "expires_in": int(authz.expires_at - authz.created_at),
        "interval": authz.interval,
    }
    config = ctx.config
    if not config.device_verification_uri_complete:
        del body["verification_uri_complete"]  # RFC 8628 §3.2: OPTIONAL
    if config.device_interval is None and authz.interval == DEVICE_INTERVAL:
        # RFC 8628 §3.2: OPTIONAL; without it clients wait 5 s, so only 5 s goes unsaid.
        del body["interval"]
    return json_response(200, body)


# -- the verification page (RFC 8628 §3.3) --------------------------------------------


def verification_page(ctx: ProviderContext, request: ProviderRequest) -> httpx.Response:
    require_method(request.http, "GET", "POST")
    if request.method == "GET":
        return _show(ctx, request)
    return _submit(ctx, request)


def _show(ctx: ProviderContext, request: ProviderRequest) -> httpx.Response:
    action = ctx.issuer + PATHS["device_verification"]
    user_code = request.url.params.get("user_code", "")
    form_guard = pages.guard(ctx, request.http)
    if not user_code:
        return pages.device_form(ctx, form_guard, action=action)
    try:
        authz = device_codes.lookup(ctx.flows, user_code, ctx.clock.now())
    except LookupError as error:
        request.trace.error = "invalid_user_code"
        return pages.device_form(
            ctx,
            form_guard,
            action=action,
            user_code=user_code,
            error=_sentence(str(error)),
            error_field="user_code",
            status=400,
        )
    request.trace.client_id = authz.client_id
    return pages.device_form(
        ctx,
        form_guard,
        action=action,
        user_code=authz.user_code,
        client_id=authz.client_id,
        scope=authz.scope,
    )


def _submit(ctx: ProviderContext, request: ProviderRequest) -> httpx.Response:
    trace = request.trace
    try:
        form = request.form()
    except OAuthError as error:
        trace.error = error.error
        return pages.message(ctx, "Bad request", error.description, status=400, ok=False)
    user_code = form.get("user_code", "")
    username = form.get("username", "")

    def again(message: str, field: str | None, status: int, error: str) -> httpx.Response:
        trace.error = error
        return pages.device_form(
            ctx,
            pages.guard(ctx, request.http),
            action=ctx.issuer + PATHS["device_verification"],
            user_code=user_code,
            username=username,
            error=message,
            error_field=field,
            status=status,
        )

    refused = pages.check_form(ctx, request.http, form)
    if refused is not None:
        return again(refused, None, 403, "invalid_csrf")
    if not user_code:
        return again("Enter the code shown on your device.", "user_code", 400, "invalid_request")
    try:
        authz = device_codes.lookup(ctx.flows, user_code, ctx.clock.now())
    except LookupError as error:
        return again(_sentence(str(error)), "user_code", 400, "invalid_user_code")
    trace.client_id = authz.client_id
    choice = form.get("action")
    if choice == "deny":
        device_codes.deny(authz)
        trace.error = "access_denied"
        return pages.message(
            ctx,
            "Request denied",
            f"{authz.client_id} will not be signed in. You can close this window.",
        )
    if choice != "approve":
        return again("Choose Approve or Deny.", None, 400, "invalid_request")
    trace.username = username
    user = ctx.store.users.get(username)
    if user is None or not user.check_password(form.get("password", "")) or user.disabled:
        return again("Wrong username or password.", "credentials", 401, "invalid_credentials")
    device_codes.approve(authz, user)
    return pages.message(
        ctx,
        "Device connected",
        f"{authz.client_id} is now signed in as {user.username}. "
        "You can close this window and return to your device.",
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."
