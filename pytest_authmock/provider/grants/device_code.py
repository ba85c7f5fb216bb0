"""The device code grant (RFC 8628 §3.4, §3.5): the device polls until the user decides."""

from __future__ import annotations

from typing import Any

from pytest_authmock.provider.context import GrantRequest
from pytest_authmock.provider.errors import (
    AccessDenied,
    AuthorizationPending,
    ExpiredToken,
    InvalidGrant,
    SlowDown,
)
from pytest_authmock.provider.flow_state import iso
from pytest_authmock.provider.grants.base import (
    Resources,
    issue_user_tokens,
    requested_resources,
)
from pytest_authmock.provider.indicators import within

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"


def grant(request: GrantRequest) -> dict[str, Any]:
    code = request.required("device_code", section="RFC 8628 §3.4")
    ctx = request.ctx
    authz = ctx.flows.devices.get(code)
    if authz is None:
        raise InvalidGrant(
            "device code is unknown: this provider never issued it (or the test reset the provider)"
        )
    request.username = authz.username
    if authz.client_id != request.client.client_id:
        raise InvalidGrant(
            f"device code was issued to another client, not {request.client.client_id!r}"
        )
    if authz.status == "used":
        raise InvalidGrant("device code was already exchanged for tokens; it works once")
    now = ctx.clock.now()
    if authz.expired(now):
        raise ExpiredToken(
            f"device code expired at {iso(authz.expires_at)}; start a new device authorization"
        )
    if authz.status == "denied":
        raise AccessDenied("the user denied the device authorization request")
    if authz.status == "pending":
        last, authz.last_poll = authz.last_poll, now
        if last is not None and now - last < authz.interval:
            # RFC 8628 §3.5: the interval grows by 5 s for this and every later request.
            authz.interval += 5
            raise SlowDown(
                f"polling too fast; wait at least {authz.interval} seconds between requests"
            )
        raise AuthorizationPending(
            f"the user has not yet entered code {authz.user_code} at the verification page"
        )
    user = ctx.store.users.get(authz.username or "")
    if user is None or user.disabled:
        raise InvalidGrant(f"user {authz.username!r} is disabled or no longer exists")
    resources = within(requested_resources(request), authz.resources, "device authorization")
    authz.status = "used"
    granted = authz.resources or resources
    body, _ = issue_user_tokens(request, user, authz.scope, resources=Resources(granted, resources))
    return body
