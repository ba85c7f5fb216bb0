"""The debugger page: get a token with any client and grant and see it decoded; decide
pending device codes; read the journal. Every action goes through the provider's
public methods, token requests through ``idp.handle`` like any client's (so they are
journaled)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Mapping, Sequence
from html import escape
from time import gmtime, strftime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import httpx

from pytest_authmock.control.html import field, hidden, message, page, redirect, select, table
from pytest_authmock.control.pages_paths import DEBUGGER, HOME
from pytest_authmock.control.session import PageError, Session
from pytest_authmock.control.token_view import TokenResult
from pytest_authmock.control.token_view import render as render_result
from pytest_authmock.control.urls import debugger_callback

if TYPE_CHECKING:
    from pytest_authmock.provider.idp import FakeIdP
    from pytest_authmock.provider.models import Client

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
GRANTS = (
    ("client_credentials", "client credentials"),
    ("password", "password (the user below)"),
    ("authorization_code", "authorization code + PKCE, in this browser"),
    ("device_code", "device code: start a device login"),
)


def _refuse(text: str) -> Exception:
    return PageError(text)


# -- talking to the provider ---------------------------------------------------------------


def _post(idp: FakeIdP, url: str, client: Client, params: Mapping[str, str]) -> tuple[int, Any]:
    """A form post to one of the provider's endpoints, authenticated as ``client``."""
    form = dict(params)
    headers = {}
    if client.public:
        form["client_id"] = client.client_id
    elif client.client_secret:
        # RFC 6749 §2.3.1: both parts form-encoded before Basic.
        pair = f"{quote(client.client_id, safe='')}:{quote(client.client_secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    else:
        raise _refuse(
            f"Client {client.client_id} authenticates with a certificate; the debugger has "
            "none to present. Pick a client with a secret, or a public one."
        )
    response = idp.handle(httpx.Request("POST", url, data=form, headers=headers))
    response.read()
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, response.text


def _token(
    idp: FakeIdP, session: Session, client: Client, what: str, params: dict[str, str]
) -> None:
    status, body = _post(idp, idp.metadata()["token_endpoint"], client, params)
    session.result = TokenResult(what, status, body, client.client_id)


def _client(idp: FakeIdP, client_id: str | None) -> Client:
    client = idp.clients.get(client_id or "")
    if client is None:
        raise _refuse(f"No client {client_id!r}: pick one from the list.")
    return client


# -- actions (form posts) ------------------------------------------------------------------


def get_token(idp: FakeIdP, session: Session, form: dict[str, str]) -> httpx.Response:
    grant = form.get("grant", "")
    scope = form.get("scope", "").strip()
    if grant in dict(GRANTS):  # the form shows the last choice again
        session.chosen = {k: form.get(k, "") for k in ("client_id", "grant", "scope")}
    if grant == "device_poll":
        if session.device is None:
            raise _refuse("Start a device login first.")
        client_id, device_code, user_code = session.device
        poll = {"grant_type": DEVICE_GRANT, "device_code": device_code}
        _token(idp, session, _client(idp, client_id), f"device code {user_code}", poll)
        return redirect(DEBUGGER + "#result")
    client = _client(idp, form.get("client_id"))
    if grant == "authorization_code":
        return _authorize(idp, session, client, scope)
    if grant == "device_code":
        status, body = _post(
            idp,
            idp.metadata()["device_authorization_endpoint"],
            client,
            {"scope": scope} if scope else {},
        )
        if status != 200 or not isinstance(body, dict):
            session.result = TokenResult(
                f"device authorization for {client.client_id}", status, body, client.client_id
            )
            return redirect(DEBUGGER + "#result")
        session.device = (client.client_id, body["device_code"], body["user_code"])
        session.notice = (
            f"Device login started for {client.client_id}: code {body['user_code']}. Approve it "
            "under Pending device codes (or on the device page), then get the token.",
            True,
        )
        return redirect(DEBUGGER + "#device")
    params: dict[str, str] = {"grant_type": grant}
    if grant == "password":
        params.update(username=form.get("username", ""), password=form.get("password", ""))
    elif grant == "refresh_token":
        params["refresh_token"] = form.get("refresh_token", "")
    elif grant != "client_credentials":
        raise _refuse(f"Unknown grant {grant!r}: pick one from the list.")
    if scope:
        params["scope"] = scope
    _token(idp, session, client, f"{grant} with {client.client_id}", params)
    return redirect(DEBUGGER + "#result")


def _authorize(idp: FakeIdP, session: Session, client: Client, scope: str) -> httpx.Response:
    callback = debugger_callback(idp.issuer)
    if callback not in client.redirect_uris:
        raise _refuse(
            f"Client {client.client_id} does not list {callback} among its redirect URIs, so "
            "the sign-in could not come back here (the demo clients list it)."
        )
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    state = secrets.token_urlsafe(16)
    session.pending[state] = (client.client_id, verifier)
    while len(session.pending) > 16:  # abandoned sign-ins
        session.pending.pop(next(iter(session.pending)))
    query = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": callback,
        "state": state,
        # RFC 7636 §4.2: S256, never plain.
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    if scope:
        query["scope"] = scope
    return redirect(idp.metadata()["authorization_endpoint"] + "?" + urlencode(query))


def callback(idp: FakeIdP, session: Session, params: dict[str, str]) -> None:
    """Where the provider sends the browser back after a sign-in the debugger started."""
    pending = session.pending.pop(params.get("state", ""), None)
    if pending is None:
        session.notice = (
            "That sign-in answer matches no sign-in started here; start again.",
            False,
        )
        return
    client_id, verifier = pending
    if "error" in params:
        text = f"The sign-in ended with {params['error']}: {params.get('error_description', '')}"
        session.notice = (text.strip().rstrip(":"), False)
        return
    client = _client(idp, client_id)
    form = {
        "grant_type": "authorization_code",
        "code": params.get("code", ""),
        "redirect_uri": debugger_callback(idp.issuer),
        "code_verifier": verifier,
    }
    _token(idp, session, client, f"authorization_code with {client_id}", form)


def decide_device(idp: FakeIdP, session: Session, form: dict[str, str]) -> httpx.Response:
    user_code = form.get("user_code", "")
    try:
        if form.get("decision") == "deny":
            idp.deny_device(user_code)
            session.notice = (f"Denied {user_code}.", True)
        else:
            username = form.get("username", "")
            idp.approve_device(user_code, user=username)
            session.notice = (f"Approved {user_code} as {username}.", True)
    except LookupError as error:
        session.notice = (str(error).strip("'\""), False)
    return redirect(DEBUGGER + "#device")


ACTIONS: dict[str, Callable[[FakeIdP, Session, dict[str, str]], httpx.Response]] = {
    "token": get_token,
    "device": decide_device,
}


# -- the page ------------------------------------------------------------------------------


def _form(action: str, csrf: str, inner: str, *, css: str = "") -> str:
    extra = f' class="{css}"' if css else ""
    return (
        f'<form method="post" action="{DEBUGGER}/{action}"{extra}>'
        + hidden({"csrf": csrf})
        + inner
        + "</form>"
    )


def _token_form(idp: FakeIdP, session: Session, demo: bool) -> str:
    clients = [
        (c.client_id, f"{c.client_id} ({'public' if c.public else 'confidential'})")
        for c in idp.clients.values()
    ]
    demo_user = idp.users.get("demo") if demo else None
    chosen = session.chosen
    inner = (
        "<fieldset><legend>Get a token</legend>\n"
        + select("client_id", "Client", clients, chosen.get("client_id", ""))
        + select("grant", "Grant", GRANTS, chosen.get("grant", ""))
        + field(
            "scope",
            "Scope",
            value=chosen.get("scope", ""),
            extra=' placeholder="openid profile (optional)"',
        )
        + field("username", "Username", value=demo_user.username if demo_user else "")
        + field(
            "password", "Password", kind="password", value=demo_user.password if demo_user else ""
        )
        + "<button>Get a token</button>\n</fieldset>\n"
    )
    return _form("token", session.csrf, inner)


def _device_panel(session: Session) -> str:
    if session.device is None:
        return ""
    client_id, _, user_code = session.device
    inner = hidden({"grant": "device_poll"}) + "<button>Get the token</button>"
    return (
        f"<div>Device login of <strong>{escape(client_id)}</strong>, code "
        f"<code>{escape(user_code)}</code>: approve it below, then "
        + _form("token", session.csrf, inner, css="inline")
        + "</div>\n"
    )


def _pending(idp: FakeIdP, session: Session) -> str:
    users = [(name, name) for name in idp.users]
    now = idp.clock.now()
    rows = []
    for authz in idp.device_authorizations():
        approve = _form(
            "device",
            session.csrf,
            hidden({"user_code": authz.user_code, "decision": "approve"})
            + select(f"username-{authz.user_code}", "as", users).replace(
                f'name="username-{authz.user_code}"', 'name="username"'
            )
            + "<button>Approve</button>",
            css="inline",
        )
        deny = _form(
            "device",
            session.csrf,
            hidden({"user_code": authz.user_code, "decision": "deny"})
            + '<button class="secondary">Deny</button>',
            css="inline",
        )
        rows.append(
            (
                f"<code>{escape(authz.user_code)}</code>",
                escape(authz.client_id),
                escape(" ".join(authz.scope)),
                f"{max(0, int(authz.expires_at - now))} s",
                approve + deny,
            )
        )
    return table(
        ("code", "client", "scope", "expires in", "decision"),
        rows,
        empty="No device code is waiting.",
    )


def _journal(idp: FakeIdP) -> str:
    entries = list(idp.journal)[-30:][::-1]
    rows = [
        (
            strftime("%H:%M:%S", gmtime(entry.time)),
            escape(f"{entry.method} {entry.path}"),
            escape(entry.endpoint),
            str(entry.status_code),
            escape(entry.grant_type or ""),
            escape(entry.client_id or ""),
            escape(entry.username or ""),
            escape(entry.error or entry.fault or ""),
        )
        for entry in entries
    ]
    headings = ("time (UTC)", "request", "endpoint", "status", "grant", "client", "user", "error")
    return table(headings, rows, empty="No request yet.")


def render(idp: FakeIdP, session: Session, demo: Sequence[tuple[str, str]]) -> httpx.Response:
    notice, session.notice = session.notice, None
    logout = _form(
        "logout", session.csrf, '<button class="secondary">Sign out</button>', css="inline"
    )
    body = (
        "<h1>authmock serve debugger</h1>\n"
        f'<p class="lead">{escape(idp.issuer)} · provider time '
        f"{strftime('%Y-%m-%d %H:%M:%S UTC', gmtime(idp.clock.now()))}</p>\n"
        f'<nav><a href="{HOME}">Home</a><a href="/.well-known/openid-configuration">Discovery</a>'
        f"{logout}</nav>\n"
        + (message(notice[0], ok=notice[1]) if notice else "")
        + _token_form(idp, session, bool(demo))
        + (render_result(idp, session.result, session.csrf) if session.result else "")
        + '<h2 id="device">Pending device codes</h2>\n'
        + _device_panel(session)
        + _pending(idp, session)
        + '<h2>Journal</h2>\n<p class="muted">The last 30 requests, newest first.</p>\n'
        + _journal(idp)
    )
    return page("Debugger", body)
