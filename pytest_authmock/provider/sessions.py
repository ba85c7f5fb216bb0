"""Browser sessions of the sign-in page: who signed in, remembered by a cookie.

A user who signs in on the authorization page starts a session; later
authorization requests from the same browser are answered at once, without the
page, as a real provider's single sign-on does (unless ``prompt=login`` or
``prompt=consent`` asks for the page). Logout (OIDC RP-Initiated Logout 1.0)
ends the session, so the next authorization request asks to sign in again.
"""

from __future__ import annotations

import secrets

import httpx

from pytest_authmock.provider.context import ProviderContext
from pytest_authmock.provider.models import User
from pytest_authmock.provider.pages import read_cookie
from pytest_authmock.provider.protocol_state import BrowserSession

COOKIE = "authmock_session"
#: Browser sessions held at once; past that the oldest ends. Sign-ins are
#: requests anyone can send, and a session never expires on its own.
MAX_SESSIONS = 10_000


def _attributes(ctx: ProviderContext) -> str:
    # Scoped to the issuer's path, so issuers sharing a host keep separate sessions.
    path = httpx.URL(ctx.issuer).path or "/"
    secure = "; Secure" if ctx.issuer.startswith("https://") else ""
    return f"Path={path}; HttpOnly; SameSite=Lax{secure}"


def current(ctx: ProviderContext, request: httpx.Request) -> BrowserSession | None:
    """The live session of the browser that sent ``request``, if any."""
    protocol = ctx.flows.protocol
    if not protocol.settings.browser_sessions:
        return None
    sid = read_cookie(request, COOKIE)
    session = protocol.sessions.get(sid) if sid else None
    if session is None:
        return None
    user = ctx.store.users.get(session.username)
    if user is None or user.disabled:
        return None
    return session


def start(
    ctx: ProviderContext, user: User, client_id: str, *, replacing: BrowserSession | None
) -> str | None:
    """Start a session for ``user``; the ``Set-Cookie`` value, or ``None`` when switched off."""
    protocol = ctx.flows.protocol
    if replacing is not None:
        protocol.sessions.pop(replacing.sid, None)
    if not protocol.settings.browser_sessions:
        return None
    sessions = protocol.sessions
    while len(sessions) >= MAX_SESSIONS:
        # The oldest session ends: its browser signs in again, nothing else is lost.
        sessions.popitem(last=False)
    sid = secrets.token_urlsafe(32)
    sessions[sid] = BrowserSession(
        sid=sid, username=user.username, auth_time=ctx.clock.now(), client_ids={client_id}
    )
    return f"{COOKIE}={sid}; {_attributes(ctx)}"


def end(ctx: ProviderContext, session: BrowserSession) -> str:
    """End ``session``; the ``Set-Cookie`` value that clears the browser's cookie."""
    ctx.flows.protocol.sessions.pop(session.sid, None)
    return clear_cookie(ctx)


def clear_cookie(ctx: ProviderContext) -> str:
    return f"{COOKIE}=; Max-Age=0; {_attributes(ctx)}"
