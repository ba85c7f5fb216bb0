"""Helpers for the interactive-flow tests: reading the HTML pages like a browser would."""

from __future__ import annotations

import base64
import hashlib
import re
from html import unescape
from typing import Any

import httpx

from pytest_authmock import FakeIdP

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
VERIFIER = "v" * 43 + "-._~0123456789"


def challenge(verifier: str = VERIFIER) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of a page's form."""
    return {
        unescape(name): unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    }


def alert(page: str) -> str | None:
    found = re.search(r'role="alert"[^>]*>([^<]*)<', page)
    return unescape(found.group(1)) if found else None


def status_text(page: str) -> str | None:
    found = re.search(r'role="status">([^<]*)<', page)
    return unescape(found.group(1)) if found else None


def start_device(
    http: httpx.Client, idp: FakeIdP, client_id: str, scope: str | None = "read"
) -> dict[str, Any]:
    data = {"client_id": client_id}
    if scope:
        data["scope"] = scope
    response = http.post(idp.metadata()["device_authorization_endpoint"], data=data)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def poll(http: httpx.Client, idp: FakeIdP, client_id: str, device_code: str) -> httpx.Response:
    return http.post(
        idp.url_for("token"),
        data={"client_id": client_id, "grant_type": DEVICE_GRANT, "device_code": device_code},
    )


def submit(http: httpx.Client, page: httpx.Response, url: str, **fields: str) -> httpx.Response:
    """Fill in and submit the form of ``page`` (hidden fields included)."""
    return http.post(url, data={**hidden_fields(page.text), **fields})
