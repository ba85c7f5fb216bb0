"""The ``/`` page of ``authmock serve``: what this is, its endpoints, the demo credentials."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

import httpx

from pytest_authmock.control.html import page, table
from pytest_authmock.control.pages_paths import DEBUGGER
from pytest_authmock.control.routes import PREFIX

if TYPE_CHECKING:
    from pytest_authmock.provider.idp import FakeIdP


def endpoints(idp: FakeIdP) -> dict[str, str]:
    """Every endpoint of the metadata by name, with discovery and the device page."""
    found = {"discovery": idp.issuer + "/.well-known/openid-configuration"}
    for key, value in idp.metadata().items():
        if isinstance(value, str) and (key.endswith("_endpoint") or key.endswith("_uri")):
            found[key.removesuffix("_endpoint").removesuffix("_uri")] = value
    found["device_verification"] = idp.url_for("device_verification")
    return found


def _link(url: str) -> str:
    return f'<a href="{escape(url)}">{escape(url)}</a>'


def render(idp: FakeIdP, demo: Sequence[tuple[str, str]]) -> httpx.Response:
    rows = [(escape(name.replace("_", " ")), _link(url)) for name, url in endpoints(idp).items()]
    rows += [("protected API", _link(str(resource.url))) for resource in idp.resources]
    body = (
        "<h1>authmock serve</h1>\n"
        f'<p class="lead">{escape(idp.issuer)}</p>\n'
        "<p>A fake OAuth 2.0 / OpenID Connect provider for tests, from "
        '<a href="https://pypi.org/project/pytest-authmock/">pytest-authmock</a>. It issues, '
        "expires and revokes tokens as the standards say; nothing here is real and the tokens "
        "protect nothing.</p>\n"
        '<nav><a href="' + DEBUGGER + '">Debugger</a>'
        '<a href="/.well-known/openid-configuration">Discovery document</a></nav>\n'
    )
    if demo:
        body += "<h2>Demo credentials</h2>\n" + table(
            ("what", "credentials"),
            [(escape(name), f"<code>{escape(value)}</code>") for name, value in demo],
            empty="",
        )
    body += "<h2>Endpoints</h2>\n" + table(("endpoint", "URL"), rows, empty="")
    body += (
        "<h2>Control API</h2>\n"
        f"<p>Test suites in any language drive this server with JSON under "
        f"<code>{PREFIX}/</code>: users, clients, device decisions, the clock, faults, key "
        "rotation, the journal and resets. Every call needs the admin token printed at start "
        f"(<code>admin token</code>) as a bearer token; the routes are described at "
        f"<code>{PREFIX}/openapi.json</code>.</p>\n"
    )
    return page("authmock serve", body)
