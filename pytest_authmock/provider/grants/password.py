"""The resource owner password credentials grant (RFC 6749 §4.3)."""

from __future__ import annotations

from typing import Any

from pytest_authmock.provider.context import GrantRequest
from pytest_authmock.provider.errors import InvalidGrant, InvalidRequest
from pytest_authmock.provider.grants.base import issue_user_tokens, requested_scope

GRANT_TYPE = "password"


def grant(request: GrantRequest) -> dict[str, Any]:
    username = request.params.get("username")
    secret = request.params.get("password")
    missing = [name for name, value in (("username", username), ("password", secret)) if not value]
    if missing or username is None or secret is None:
        raise InvalidRequest(f"the password grant needs {' and '.join(missing)} (RFC 6749 §4.3.2)")
    request.username = username
    scope = requested_scope(request)
    user = request.ctx.store.users.get(username)
    if user is None or not user.check_password(secret):
        # One message for both, as a real provider would not reveal which users exist.
        raise InvalidGrant(f"wrong username or password for user {username!r}")
    if user.disabled:
        raise InvalidGrant(f"user {username!r} is disabled")
    body, _ = issue_user_tokens(request, user, scope)
    return body
