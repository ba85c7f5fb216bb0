"""Following a logout through the provider's pages, confirming it when asked."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import httpx

from pytest_authmock.contract.signin import parse_forms

__all__ = ["walk"]

#: Buttons that confirm a logout (and those that would keep the session).
_CONFIRM = re.compile(r"log ?out|sign ?out|yes|confirm|continue", re.I)
_KEEP = re.compile(r"\bno\b|stay|cancel|abort", re.I)
MAX_STEPS = 8


def _same(url: str, target: str) -> bool:
    a, b = urlsplit(url), urlsplit(target)
    return (a.scheme, a.netloc, a.path) == (b.scheme, b.netloc, b.path)


def walk(http: httpx.Client, start: str, target: str) -> str | None:
    """Follow the logout from ``start``, confirming it; where it sent the browser (or None)."""
    method, url, data = "GET", start, None
    for _ in range(MAX_STEPS):
        response = http.request(method, url, data=data, follow_redirects=False)
        if response.is_redirect:
            location = urljoin(str(response.url), str(response.headers.get("location", "")))
            if _same(location, target):
                return location
            method, url, data = "GET", location, None
            continue
        forms, _ = (
            parse_forms(response.text)
            if "html" in response.headers.get("content-type", "")
            else ([], [])
        )
        chosen = [
            (form, button)
            for form in forms
            for button in form.buttons
            if _CONFIRM.search(button.words()) and not _KEEP.search(button.words())
        ]
        if not chosen:
            return None
        form, button = chosen[0]
        data = form.data(button, "", "", {})
        method, url = form.method, urljoin(str(response.url), form.action)
    return None
