"""Signing in through a provider's own HTML pages, as a person with a browser would.

Providers differ in their pages (one page or several, a consent step or not),
but they are plain HTML forms: a username field, a password field, hidden
fields, and buttons that either go on (sign in, allow, continue) or stop (deny,
cancel). The driver fills and submits them, keeps the cookies, and follows the
redirects until the provider sends the browser back to the client. It runs no
JavaScript; a provider whose pages need it makes the checks skip with the
reason, never fail.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

__all__ = ["Form", "SignInError", "choose", "parse_forms", "sign_in"]

#: Field names (or ids, or autocomplete values) that take the username.
USERNAME_FIELDS = frozenset(
    {"username", "user", "login", "user_name", "email", "identifier", "sub", "subject"}
)
_STOP = re.compile(
    r"deny|cancel|abort|reject|decline|log ?out|sign ?out|forgot|register|back", re.I
)
_DENY = re.compile(r"deny|cancel|abort|reject|decline", re.I)
_GO = re.compile(
    r"allow|accept|approve|authori[sz]e|consent|continue|confirm|sign ?in|log ?in|yes|next|grant",
    re.I,
)
MAX_PAGES = 12


class SignInError(Exception):
    """The driver could not find its way through the provider's pages."""


@dataclasses.dataclass
class Button:
    name: str | None
    value: str
    label: str = ""

    def words(self) -> str:
        return " ".join(part for part in (self.name, self.value, self.label) if part)


@dataclasses.dataclass
class Form:
    action: str
    method: str
    id: str | None = None
    #: (name, value, input type, autocomplete), in document order.
    fields: list[tuple[str, str, str, str]] = dataclasses.field(default_factory=list)
    buttons: list[Button] = dataclasses.field(default_factory=list)

    def kinds(self) -> set[str]:
        return {_field_kind(name, kind, auto) for name, _, kind, auto in self.fields}

    def data(
        self, button: Button | None, username: str, password: str, values: Mapping[str, str]
    ) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value, kind, auto in self.fields:
            role = _field_kind(name, kind, auto)
            if name in values:
                out[name] = values[name]
            elif role == "password":
                out[name] = password
            elif role == "username":
                out[name] = username
            else:
                out[name] = value
        if button is not None and button.name:
            out[button.name] = button.value
        return out


def _field_kind(name: str, kind: str, autocomplete: str) -> str:
    if kind == "password":
        return "password"
    if kind in ("text", "email", "") and (
        name.lower() in USERNAME_FIELDS or autocomplete in ("username", "email")
    ):
        return "username"
    return kind


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.alerts: list[str] = []
        self._open: Form | None = None
        self._button: tuple[Button, Form | None] | None = None
        self._alert_depth = 0

    def _owner(self, attrs: dict[str, str | None]) -> Form | None:
        # A control's form= attribute names its form by id (HTML §4.10.17.3).
        form_id = attrs.get("form")
        if form_id:
            return next((form for form in self.forms if form.id == form_id), None)
        return self._open

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attrs_list)
        if attrs.get("role") == "alert":
            self._alert_depth += 1
            self.alerts.append("")
        if tag == "form":
            self._open = Form(
                action=attrs.get("action") or "",
                method=(attrs.get("method") or "get").upper(),
                id=attrs.get("id"),
            )
            self.forms.append(self._open)
        elif tag == "input":
            self._input(attrs)
        elif tag == "button" and (attrs.get("type") or "submit").lower() == "submit":
            self._button = (Button(attrs.get("name"), attrs.get("value") or ""), self._owner(attrs))

    def _input(self, attrs: dict[str, str | None]) -> None:
        form, name = self._owner(attrs), attrs.get("name")
        kind = (attrs.get("type") or "text").lower()
        if form is None:
            return
        if kind in ("submit", "image"):
            form.buttons.append(Button(name, attrs.get("value") or "", attrs.get("value") or ""))
        elif name and (kind not in ("checkbox", "radio") or "checked" in attrs):
            value = attrs.get("value") or ("on" if kind in ("checkbox", "radio") else "")
            form.fields.append((name, value, kind, attrs.get("autocomplete") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None
        elif tag == "button" and self._button is not None:
            button, form = self._button
            if form is not None:
                form.buttons.append(button)
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button[0].label += data.strip()
        if self._alert_depth and self.alerts:
            self.alerts[-1] += data.strip()


def parse_forms(html: str) -> tuple[list[Form], list[str]]:
    """The page's forms and the text of its alerts (``role="alert"``)."""
    parser = _Parser()
    parser.feed(html)
    return parser.forms, [alert for alert in parser.alerts if alert]


def choose(forms: list[Form], decision: str) -> tuple[Form, Button | None] | None:
    """The form and button a person would press for ``decision`` ("approve" or "deny").

    Going on, the form that asks for credentials wins over one that only goes on,
    and a button that stops (deny, cancel, log out) is never pressed; denying,
    the first deny or cancel button wins.
    """
    best: tuple[int, Form, Button | None] | None = None
    for form in forms:
        kinds = form.kinds()
        buttons: list[Button | None] = [*form.buttons] or [None]
        for button in buttons:
            words = button.words() if button else ""
            if decision == "deny" and _DENY.search(words):
                score = 10
            elif _STOP.search(words):
                continue
            else:
                score = (
                    2 * ("password" in kinds) + 2 * ("username" in kinds) + bool(_GO.search(words))
                )
            if best is None or score > best[0]:
                best = (score, form, button)
    return (best[1], best[2]) if best else None


@dataclasses.dataclass(frozen=True)
class SignedIn:
    #: The URL the provider sent the browser to (``None`` when it ended on a page).
    url: str | None
    #: The text of the last page, when it ended on one.
    page: str = ""


def sign_in(
    http: httpx.Client,
    start: str,
    *,
    username: str,
    password: str,
    arrived: Callable[[str], bool],
    values: Mapping[str, str] | None = None,
    decision: str = "approve",
    end_on_page: bool = False,
) -> SignedIn:
    """Follow the pages from ``start`` until a redirect that ``arrived`` accepts.

    ``values`` fills fields by name (``user_code``); ``decision="deny"`` presses
    the first deny or cancel button met. With ``end_on_page`` a page without a
    form ends the walk (the device flow ends on a "you may close this" page), and
    so does the page after a deny.
    """
    method, url, data = "GET", start, None
    credentials_sent = 0
    denied = False
    for _ in range(MAX_PAGES):
        response = http.request(method, url, data=data, follow_redirects=False)
        where = urlsplit(url).path or "/"
        if response.is_redirect:
            location = urljoin(str(response.url), response.headers.get("location", ""))
            if arrived(location):
                return SignedIn(location)
            method, url, data = "GET", location, None
            continue
        forms, alerts = (
            parse_forms(response.text)
            if "html" in response.headers.get("content-type", "")
            else ([], [])
        )
        said = f" ({'; '.join(alerts)})" if alerts else ""
        if response.status_code >= 400:
            raise SignInError(f"{where} answered HTTP {response.status_code}{said}")
        chosen = None if denied else choose(forms, decision)
        if chosen is None:
            if end_on_page:
                return SignedIn(None, response.text)
            raise SignInError(
                f"{where} (HTTP {response.status_code}) has no form to go on with{said}"
            )
        form, button = chosen
        denied = decision == "deny" and button is not None and bool(_DENY.search(button.words()))
        if "password" in form.kinds():
            credentials_sent += 1
            if credentials_sent > 2:
                raise SignInError(f"the sign-in at {where} was refused{said}")
        data = form.data(button, username, password, values or {})
        method, url = form.method, urljoin(str(response.url), form.action)
        if method == "GET":
            url, data = str(httpx.URL(url, params=data)), None
    raise SignInError(f"no redirect back to the client after {MAX_PAGES} pages")
