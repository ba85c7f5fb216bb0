"""The metadata entries of registration, pushed requests and logout, when each is switched on.

RFC 8414 §2 and OIDC Discovery §3: an endpoint is advertised exactly when it
works; a feature switched off in ``idp.protocol_settings`` is not listed, and
neither are pushed requests and logout of a provider without the code grant.
"""

from __future__ import annotations

from typing import Any

from pytest_authmock.provider.context import ProviderContext
from pytest_authmock.provider.paths import PATHS


def protocol_metadata(ctx: ProviderContext) -> dict[str, Any]:
    settings = ctx.flows.protocol.settings
    base = ctx.issuer
    body: dict[str, Any] = {}
    if settings.dynamic_registration:
        # RFC 7591 §3 (RFC 8414 §2 registration_endpoint).
        body["registration_endpoint"] = base + PATHS["registration"]
    # Pushed requests and logout belong to the browser flow: without the code grant
    # there is no authorization endpoint to push to, and no browser session to end.
    browser = "authorization_code" in ctx.grants
    if settings.pushed_authorization_requests and browser:
        # RFC 9126 §5.
        body["pushed_authorization_request_endpoint"] = base + PATHS["pushed_authorization_request"]
        body["require_pushed_authorization_requests"] = (
            settings.require_pushed_authorization_requests
        )
    if settings.end_session and browser:
        # OIDC RP-Initiated Logout 1.0 §2.1.
        body["end_session_endpoint"] = base + PATHS["end_session"]
    return body
