"""The client credentials grant (RFC 6749 §4.4): a client acting on its own behalf."""

from __future__ import annotations

import secrets
from typing import Any

from pytest_authmock.provider.context import GrantRequest
from pytest_authmock.provider.errors import UnauthorizedClient
from pytest_authmock.provider.grants.base import (
    new_refresh_token,
    requested_scope,
    token_response,
)

GRANT_TYPE = "client_credentials"


def grant(request: GrantRequest) -> dict[str, Any]:
    if request.client.public:
        raise UnauthorizedClient(
            f"client {request.client.client_id!r} is public; RFC 6749 §4.4 allows the "
            "client_credentials grant for confidential clients only"
        )
    scope = requested_scope(request)
    # RFC 6749 §4.4.3: a refresh token SHOULD NOT be included; some providers do.
    family_id = secrets.token_hex(8)
    refresh = new_refresh_token(request, None, scope, family_id)
    return token_response(
        request, user=None, scope=scope, family_id=family_id if refresh else None, refresh=refresh
    )
