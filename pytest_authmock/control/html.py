"""Server-rendered HTML for the home and debugger pages: no script, strict headers."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

import httpx

HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    # No script at all; forms post to this origin only; no framing (click-jacking,
    # RFC 6749 §10.13), no sniffing.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Browsers then send Origin on our own form posts, which the pages check.
    "Referrer-Policy": "same-origin",
}

_STYLE = """
:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.45; }
body { margin: 0; padding: 1.5rem 1rem 3rem; background: Canvas; color: CanvasText; }
main { max-width: 60rem; margin: 0 auto; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 1px solid GrayText; }
h3 { font-size: 1rem; margin: 1rem 0 .25rem; }
.lead { color: GrayText; margin: 0 0 1rem; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #8884;
         vertical-align: top; overflow-wrap: anywhere; }
th { font-weight: 600; }
code, pre, .mono { font-family: ui-monospace, monospace; font-size: .85rem; }
pre { padding: .75rem; border: 1px solid #8886; border-radius: .25rem; overflow-x: auto;
      white-space: pre-wrap; overflow-wrap: anywhere; margin: .25rem 0 .75rem; }
form.inline { display: inline; }
fieldset { border: 1px solid #8886; border-radius: .25rem; margin: 0 0 1rem; padding: .5rem 1rem 1rem; }
legend { font-weight: 600; padding: 0 .25rem; }
label { display: inline-block; min-width: 8rem; font-weight: 600; margin: .5rem 0 .25rem; }
input[type=text], input[type=password], select { font-size: .95rem; padding: .3rem .4rem;
      min-width: 16rem; border: 1px solid CanvasText; border-radius: .25rem; }
button { font-size: .95rem; padding: .35rem 1rem; border-radius: .25rem; cursor: pointer;
         border: 2px solid #1d4ed8; background: #1d4ed8; color: #fff; margin: .25rem .25rem 0 0; }
button.secondary { background: transparent; color: CanvasText; border-color: GrayText; }
:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.alert { border-left: 4px solid #b91c1c; padding: .5rem .75rem; background: #fee2e2; color: #7f1d1d; }
.ok { border-left: 4px solid #15803d; padding: .5rem .75rem; background: #dcfce7; color: #14532d; }
.muted { color: GrayText; }
nav a { margin-right: 1rem; }
"""


def page(
    title: str,
    body: str,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    document = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} · authmock serve</title>\n<style>{_STYLE}</style>\n"
        f"</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )
    return httpx.Response(status, headers={**HEADERS, **(headers or {})}, content=document.encode())


def redirect(location: str, *, headers: Mapping[str, str] | None = None) -> httpx.Response:
    """303 See Other: after a form post, the browser GETs the page again (no re-post on reload)."""
    return httpx.Response(
        303, headers={"Location": location, "Cache-Control": "no-store", **(headers or {})}
    )


def message(text: str | None, *, ok: bool = True) -> str:
    if not text:
        return ""
    css, role = ("ok", "status") if ok else ("alert", "alert")
    return f'<p class="{css}" role="{role}">{escape(text)}</p>\n'


def table(headings: Sequence[str], rows: Iterable[Sequence[str]], *, empty: str) -> str:
    """A table; cells are HTML already (use ``escape`` for text)."""
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>\n" for row in rows)
    if not body:
        return f'<p class="muted">{escape(empty)}</p>\n'
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headings)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>\n"


def hidden(fields: Mapping[str, str]) -> str:
    return "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in fields.items()
    )


def select(name: str, label: str, options: Iterable[tuple[str, str]], chosen: str = "") -> str:
    items = "".join(
        f'<option value="{escape(value)}"{" selected" if value == chosen else ""}>'
        f"{escape(text)}</option>"
        for value, text in options
    )
    return (
        f'<label for="{escape(name)}">{escape(label)}</label>\n'
        f'<select id="{escape(name)}" name="{escape(name)}">{items}</select><br>\n'
    )


def field(name: str, label: str, *, value: str = "", kind: str = "text", extra: str = "") -> str:
    return (
        f'<label for="{escape(name)}">{escape(label)}</label>\n'
        f'<input id="{escape(name)}" name="{escape(name)}" type="{kind}" '
        f'value="{escape(value)}"{extra}><br>\n'
    )


def pretty(value: Any) -> str:
    return f"<pre>{escape(json.dumps(value, indent=2, sort_keys=False, default=str))}</pre>"
