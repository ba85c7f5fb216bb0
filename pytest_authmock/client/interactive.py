"""Interactive logins that end in a stored session: device code and browser.

The twins of :func:`~pytest_authmock.client.login.login_password` for the two
flows a person completes elsewhere (on a phone, in a browser).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from pytest_authmock.client.browser_login import authorize_in_browser
from pytest_authmock.client.device import DeviceAuthorization, DeviceFlow
from pytest_authmock.client.errors import AuthError
from pytest_authmock.client.grants import Resources
from pytest_authmock.client.oauth import OAuthClient
from pytest_authmock.client.resolver import CredentialResolver
from pytest_authmock.client.store import Session
from pytest_authmock.client.tokens import Token
from pytest_authmock.client.validate import unverified_claims

__all__ = ["login_browser", "login_device"]


def _session(oauth: OAuthClient, token: Token) -> Session:
    claims = unverified_claims(token.id_token or "") or unverified_claims(token.access_token) or {}
    username = claims.get("preferred_username")
    name = claims.get("name")
    if name is None and "openid" in token.scopes and oauth.metadata().userinfo_endpoint:
        try:
            info = oauth.userinfo(token.access_token)
            name, username = info.get("name"), username or info.get("preferred_username")
        except AuthError:  # signed in all the same; only the display name is missing
            pass
    return Session(
        token=token,
        issuer=oauth.issuer,
        client_id=oauth.client_id,
        username=username if isinstance(username, str) else None,
        display_name=name if isinstance(name, str) else None,
    )


def login_device(
    resolver: CredentialResolver,
    show: Callable[[DeviceAuthorization], object],
    *,
    context: str | None = None,
    scopes: Sequence[str] | None = None,
    cancel: threading.Event | None = None,
    sleep: Callable[[float], None] = time.sleep,
    resource: Resources = (),
) -> Session:
    """Run the device flow (``show`` prints the URL and code) and store the session.

    ``resource``: RFC 8707 resource indicator(s) of the API(s) the token is for.
    """
    ctx = resolver.context(context)
    oauth = resolver.oauth(ctx)
    try:
        flow = DeviceFlow(
            oauth,
            scopes=tuple(ctx.scopes if scopes is None else scopes),
            resource=resource,
            sleep=sleep,
        )
        token = flow.run(show, cancel=cancel)
        session = _session(oauth, token)
    finally:
        oauth.close()
    resolver.store.save(ctx.name, session)
    return session


def login_browser(
    resolver: CredentialResolver,
    *,
    context: str | None = None,
    scopes: Sequence[str] | None = None,
    **browser: Any,
) -> Session:
    """Run :func:`authorize_in_browser` (same keywords) and store the session."""
    ctx = resolver.context(context)
    oauth = resolver.oauth(ctx)
    try:
        chosen = tuple(ctx.scopes if scopes is None else scopes) or ("openid",)
        token = authorize_in_browser(oauth, scopes=chosen, **browser)
        session = _session(oauth, token)
    finally:
        oauth.close()
    resolver.store.save(ctx.name, session)
    return session
