"""The resource owner password credentials grant (RFC 6749 §4.3)."""

from __future__ import annotations

from typing import Any

from pytest_authmock.provider.context import GrantRequest
from pytest_authmock.provider.errors import InvalidGrant
from pytest_authmock.provider.grants.base import (
    Resources,
    issue_user_tokens,
    requested_resources,
    requested_scope,
)

GRANT_TYPE = "password"


def grant(request: GrantRequest) -> dict[str, Any]:
    username, secret = request.required("username", "password", section="RFC 6749 §4.3.2")
    request.username = username
    scope = requested_scope(request)
    resources = requested_resources(request)
    user = request.ctx.store.users.get(username)
    if user is None or not user.check_password(secret):
        # One message for both, as a real provider would not reveal which users exist.
        raise InvalidGrant(f"wrong username or password for user {username!r}")
    if user.disabled:
        raise InvalidGrant(f"user {username!r} is disabled")
    body, _ = issue_user_tokens(request, user, scope, resources=Resources(resources, resources))
    return body
