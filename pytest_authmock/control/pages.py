"""The HTML pages of ``authmock serve``: ``/`` and the debugger, behind the admin token.

A person opens the debugger in a browser, signs in once with the admin token
and gets a session cookie (HttpOnly, SameSite=Strict, limited to the debugger's
path). Every form carries the session's CSRF token and is refused from another
origin; no page sends a script.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import traceback
from collections import OrderedDict
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

import httpx

from pytest_authmock.control import debugger, home
from pytest_authmock.control.html import field, message, page, redirect
from pytest_authmock.control.pages_paths import DEBUGGER, HOME
from pytest_authmock.control.session import PageError, Session
from pytest_authmock.control.urls import origin_of

if TYPE_CHECKING:
    from cryptography import x509

    from pytest_authmock.provider.idp import FakeIdP

COOKIE = "authmock_debugger"
#: Enough for every person and browser on a test machine; the oldest go first.
MAX_SESSIONS = 64
MAX_FORM_BYTES = 16 * 1024


class Pages:
    """``handle(request, peer_cert)`` for ``/`` and ``/_authmock/debugger*``."""

    def __init__(
        self, idp: FakeIdP, admin_token: str, *, demo: Sequence[tuple[str, str]] = ()
    ) -> None:
        self.idp = idp
        self._admin_token = admin_token
        self.demo = tuple(demo)
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()
        #: Tracebacks of requests the pages failed on (a bug: they answered 500).
        self.errors: list[str] = []

    def handle(
        self, request: httpx.Request, peer_cert: x509.Certificate | None = None
    ) -> httpx.Response:
        try:
            return self._route(request)
        except PageError as error:
            return page("Not done", message(str(error), ok=False), status=error.status)
        except Exception:
            self.errors.append(traceback.format_exc())
            return page("Error", message("pytest-authmock pages bug", ok=False), status=500)

    # -- routing ------------------------------------------------------------------------

    def _route(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        if path == HOME:
            self._only(method, "GET", "HEAD")
            return home.render(self.idp, self.demo)
        if path == DEBUGGER + "/login":
            self._only(method, "POST")
            return self._login(request)
        session = self._session(request)
        if path == DEBUGGER:
            self._only(method, "GET", "HEAD")
            if session is None:
                return self._login_form()
            with self._lock:
                return debugger.render(self.idp, session, self.demo)
        if session is None:
            return redirect(DEBUGGER)  # signed out (or never in): start over
        if path == DEBUGGER + "/callback":
            self._only(method, "GET")
            with self._lock:
                debugger.callback(self.idp, session, dict(request.url.params))
            return redirect(DEBUGGER + "#result")
        name = path.removeprefix(DEBUGGER + "/")
        action = debugger.ACTIONS.get(name)
        if action is None and name != "logout":
            raise PageError(f"No page at {path}.", 404)
        self._only(method, "POST")
        form = self._form(request, session)
        with self._lock:
            if action is not None:
                return action(self.idp, session, form)
            for key in [k for k, v in self._sessions.items() if v is session]:
                del self._sessions[key]
        return redirect(DEBUGGER, headers={"Set-Cookie": self._cookie("", clear=True)})

    @staticmethod
    def _only(method: str, *allowed: str) -> None:
        if method not in allowed:
            raise PageError(f"{method} is not allowed here.", 405)

    # -- sign-in and sessions ---------------------------------------------------------------

    def _login_form(self, error: str | None = None, status: int = 200) -> httpx.Response:
        body = (
            "<h1>authmock serve debugger</h1>\n"
            f'<p class="lead">{escape(self.idp.issuer)}</p>\n'
            + message(error, ok=False)
            + "<p>Sign in with the admin token that <code>authmock serve</code> printed "
            "at start (the <code>admin token</code> line, or <code>admin_token</code> "
            "of the <code>--json</code> start record).</p>\n"
            f'<form method="post" action="{DEBUGGER}/login">\n'
            + field(
                "admin_token", "Admin token", kind="password", extra=' autocomplete="off" required'
            )
            + "<button>Sign in</button>\n</form>\n"
            + f'<p><a href="{HOME}">Home</a></p>'
        )
        return page("Debugger sign-in", body, status=status)

    def _login(self, request: httpx.Request) -> httpx.Response:
        self._check_origin(request)
        given = self._parse(request).get("admin_token", "")
        if not hmac.compare_digest(given.encode(), self._admin_token.encode()):
            return self._login_form("That is not this server's admin token.", 401)
        session_id = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[session_id] = Session(csrf=secrets.token_urlsafe(24))
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return redirect(DEBUGGER, headers={"Set-Cookie": self._cookie(session_id)})

    def _cookie(self, value: str, *, clear: bool = False) -> str:
        secure = "; Secure" if self.idp.issuer.startswith("https://") else ""
        expiry = "; Max-Age=0" if clear else ""
        return f"{COOKIE}={value}; Path={DEBUGGER}; HttpOnly; SameSite=Strict{secure}{expiry}"

    def _session(self, request: httpx.Request) -> Session | None:
        # Our cookie's value is URL-safe base64: no quoting to undo (RFC 6265 §4.2.1).
        for pair in request.headers.get("cookie", "").split(";"):
            name, _, value = pair.strip().partition("=")
            if name == COOKIE and value:
                with self._lock:
                    return self._sessions.get(value)
        return None

    # -- forms ---------------------------------------------------------------------------

    def _check_origin(self, request: httpx.Request) -> None:
        origin = request.headers.get("origin")
        if origin is None:
            return  # not a browser form post from another site (those always send Origin)
        url = request.url
        own = {f"{url.scheme}://{url.netloc.decode('ascii')}", origin_of(self.idp.issuer)}
        if origin not in own:
            raise PageError("This form was sent from another site, so it was ignored.", 403)

    @staticmethod
    def _parse(request: httpx.Request) -> dict[str, str]:
        raw = request.content
        if len(raw) > MAX_FORM_BYTES:
            raise PageError("The form is too large.", 413)
        try:
            return dict(parse_qsl(raw.decode("utf-8"), max_num_fields=32))
        except (UnicodeDecodeError, ValueError):
            raise PageError("The form could not be read.") from None

    def _form(self, request: httpx.Request, session: Session) -> dict[str, str]:
        self._check_origin(request)
        form = self._parse(request)
        if not hmac.compare_digest(form.get("csrf", "").encode(), session.csrf.encode()):
            raise PageError("This form did not come from the debugger page; reload it.", 403)
        return form
