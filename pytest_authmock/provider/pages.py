"""The provider's HTML pages: device verification, sign-in and consent, and errors.

Plain, accessible HTML: every field has a label, errors are announced
(``role="alert"``) and tied to the fields they concern, the pages work without
JavaScript (none is sent; the Content-Security-Policy forbids scripts), and every
form carries a CSRF token bound to a cookie (:class:`~.flow_state.CsrfTokens`).
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterable, Mapping
from html import escape
from http.cookies import CookieError, SimpleCookie

import httpx

from pytest_authmock.provider.context import ProviderContext
from pytest_authmock.provider.flow_state import CsrfTokens
from pytest_authmock.provider.http import NO_STORE

HTML = "text/html; charset=utf-8"
_HEADERS = {
    **NO_STORE,
    "Content-Type": HTML,
    # No scripts at all; inline styles only. Framing is refused so a consent
    # button cannot be click-jacked (RFC 6749 §10.13).
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    # Not "no-referrer": with it, browsers send ``Origin: null`` on the form's POST and
    # the origin check below could not tell our own page from a sandboxed attacker.
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

_STYLE = """
:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
body { margin: 0; padding: 2rem 1rem; background: Canvas; color: CanvasText; }
main { max-width: 26rem; margin: 0 auto; padding: 1.5rem 2rem 2rem;
       border: 1px solid GrayText; border-radius: .5rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
.issuer { font-size: .875rem; color: GrayText; margin: 0 0 1.5rem; overflow-wrap: anywhere; }
label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
input[type=text], input[type=password] { box-sizing: border-box; width: 100%; padding: .5rem;
       font-size: 1rem; border: 1px solid CanvasText; border-radius: .25rem; }
input.code { font-family: ui-monospace, monospace; font-size: 1.25rem; letter-spacing: .15em;
       text-transform: uppercase; }
.buttons { display: flex; gap: .75rem; margin-top: 1.5rem; }
button { font-size: 1rem; padding: .5rem 1.25rem; border-radius: .25rem; cursor: pointer;
       border: 2px solid #1d4ed8; background: #1d4ed8; color: #fff; }
button.secondary { background: transparent; color: CanvasText; border-color: GrayText; }
:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.alert { border-left: 4px solid #b91c1c; padding: .5rem .75rem; background: #fee2e2;
       color: #7f1d1d; margin: 0 0 1rem; }
.ok { border-left: 4px solid #15803d; padding: .5rem .75rem; background: #dcfce7;
       color: #14532d; margin: 0 0 1rem; }
ul.scopes { margin: .25rem 0 0; padding-left: 1.25rem; }
code { font-family: ui-monospace, monospace; }
.hint { border-left: 4px solid #1d4ed8; padding: .5rem .75rem; margin: 0 0 1rem; }
"""


@dataclasses.dataclass(frozen=True)
class FormGuard:
    """A CSRF token for one form, and the cookie to set if the browser had none."""

    token: str
    set_cookie: str | None


def _cookie(request: httpx.Request) -> str | None:
    raw = request.headers.get("cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        return None
    morsel = jar.get(CsrfTokens.COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def guard(ctx: ProviderContext, request: httpx.Request) -> FormGuard:
    """Issue the CSRF token of a form about to be rendered."""
    cookie = _cookie(request)
    set_cookie = None
    if cookie is None:
        cookie = secrets.token_urlsafe(24)
        secure = "; Secure" if ctx.issuer.startswith("https://") else ""
        set_cookie = f"{CsrfTokens.COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Lax{secure}"
    return FormGuard(ctx.flows.csrf.issue(cookie, ctx.clock.now()), set_cookie)


def check_form(ctx: ProviderContext, request: httpx.Request, form: Mapping[str, str]) -> str | None:
    """Why a submitted form is refused (``None`` when it is genuine)."""
    origin = request.headers.get("origin")
    if origin is not None:
        own = httpx.URL(ctx.issuer)
        expected = f"{own.scheme}://{own.netloc.decode('ascii')}"
        if origin != expected:
            return "This form was sent from another site, so it was ignored."
    if not ctx.flows.csrf.consume(form.get("csrf"), _cookie(request), ctx.clock.now()):
        return (
            "This form has expired or was not sent from this page. "
            "It was not processed; please fill it in again."
        )
    return None


def respond(status: int, title: str, body: str, *, set_cookie: str | None = None) -> httpx.Response:
    headers = dict(_HEADERS)
    if set_cookie is not None:
        headers["Set-Cookie"] = set_cookie
    document = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} · pytest-authmock</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )
    return httpx.Response(status, headers=headers, content=document.encode())


def _alert(message: str | None) -> str:
    if not message:
        return ""
    return f'<p class="alert" role="alert" id="form-error">{escape(message)}</p>\n'


def _field(
    name: str,
    label: str,
    *,
    value: str = "",
    kind: str = "text",
    autocomplete: str,
    invalid: bool = False,
    extra: str = "",
) -> str:
    described = ' aria-invalid="true" aria-describedby="form-error"' if invalid else ""
    return (
        f'<label for="{name}">{escape(label)}</label>\n'
        f'<input id="{name}" name="{name}" type="{kind}" value="{escape(value)}" '
        f'autocomplete="{autocomplete}" required{described}{extra}>\n'
    )


def _hidden(fields: Mapping[str, str]) -> str:
    return "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">\n'
        for name, value in fields.items()
    )


def _scopes(scopes: Iterable[str]) -> str:
    items = "".join(f"<li><code>{escape(scope)}</code></li>" for scope in scopes)
    return f'<ul class="scopes">{items}</ul>' if items else "<p>Basic access to your account.</p>"


def _hint(ctx: ProviderContext) -> str:
    hint = ctx.flows.settings.sign_in_hint
    return f'<p class="hint" id="sign-in-hint">{escape(hint)}</p>\n' if hint else ""


def _sign_in(username: str, *, invalid: bool, approve: str) -> str:
    """Username, password, and the approve and deny buttons that end every form."""
    return (
        _field(
            "username",
            "Username",
            value=username,
            autocomplete="username",
            invalid=invalid,
            extra=' autocapitalize="none" spellcheck="false"',
        )
        + _field(
            "password",
            "Password",
            kind="password",
            autocomplete="current-password",
            invalid=invalid,
        )
        + '<div class="buttons">\n'
        + f'<button type="submit" name="action" value="approve">{escape(approve)}</button>\n'
        + '<button type="submit" name="action" value="deny" class="secondary" formnovalidate>'
        + "Deny</button>\n</div>\n</form>"
    )


def _header(title: str, issuer: str) -> str:
    return f'<h1>{escape(title)}</h1>\n<p class="issuer">{escape(issuer)}</p>\n'


def device_form(
    ctx: ProviderContext,
    form_guard: FormGuard,
    *,
    action: str,
    user_code: str = "",
    username: str = "",
    client_id: str | None = None,
    scope: tuple[str, ...] = (),
    error: str | None = None,
    error_field: str | None = None,
    status: int = 200,
) -> httpx.Response:
    """The verification page (RFC 8628 §3.3): enter the code, sign in, approve or deny."""
    if client_id is not None:
        request = (
            f"<p><strong>{escape(client_id)}</strong> is asking to sign in to your account "
            f"with access to:</p>\n{_scopes(scope)}\n"
        )
    else:
        request = "<p>Enter the code shown on your device, then sign in to connect it.</p>\n"
    body = (
        _header("Connect a device", ctx.issuer)
        + _alert(error)
        + _hint(ctx)
        + request
        + f'<form method="post" action="{escape(action)}">\n'
        + _hidden({"csrf": form_guard.token})
        + _field(
            "user_code",
            "Code shown on your device",
            value=user_code,
            autocomplete="one-time-code",
            invalid=error_field == "user_code",
            extra=' class="code" autocapitalize="characters" spellcheck="false"',
        )
        + _sign_in(username, invalid=error_field == "credentials", approve="Approve")
    )
    return respond(status, "Connect a device", body, set_cookie=form_guard.set_cookie)


def authorize_form(
    ctx: ProviderContext,
    form_guard: FormGuard,
    *,
    action: str,
    params: Mapping[str, str],
    client_id: str,
    scope: tuple[str, ...],
    username: str = "",
    error: str | None = None,
    status: int = 200,
) -> httpx.Response:
    """The sign-in and consent page of the authorization endpoint."""
    body = (
        _header("Sign in", ctx.issuer)
        + _alert(error)
        + _hint(ctx)
        + f"<p><strong>{escape(client_id)}</strong> wants to access your account with:</p>\n"
        + _scopes(scope)
        + f'\n<form method="post" action="{escape(action)}">\n'
        + _hidden({**params, "csrf": form_guard.token})
        + _sign_in(username, invalid=error is not None, approve="Sign in and allow")
    )
    return respond(status, "Sign in", body, set_cookie=form_guard.set_cookie)


def message(
    ctx: ProviderContext, title: str, text: str, *, status: int = 200, ok: bool = True
) -> httpx.Response:
    """A page that only tells the user what happened (success, denial or an error)."""
    css = "ok" if ok else "alert"
    role = "status" if ok else "alert"
    body = _header(title, ctx.issuer) + f'<p class="{css}" role="{role}">{escape(text)}</p>'
    return respond(status, title, body)
