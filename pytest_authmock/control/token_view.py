"""The debugger's view of a token answer: each JWT decoded (header, claims, expiry)."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from datetime import datetime, timezone
from html import escape
from typing import TYPE_CHECKING, Any

from pytest_authmock.control.html import hidden, message, pretty

if TYPE_CHECKING:
    from pytest_authmock.provider.idp import FakeIdP


@dataclasses.dataclass
class TokenResult:
    """What the token endpoint answered to a request the debugger made."""

    what: str  # "client_credentials with demo-client"
    status: int
    body: Any  # the parsed JSON, or the text when it was not JSON
    client_id: str


def _segment(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def decode_jwt(token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Header and claims of a JWS compact token, unverified; ``None`` if it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header, claims = _segment(parts[0]), _segment(parts[1])
    except (ValueError, binascii.Error):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return header, claims


def _when(seconds: object, now: float) -> str:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        return "never (no exp claim)"
    try:
        moment = datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return f"{seconds} (not a date)"
    left = int(seconds - now)
    relative = f"in {left} s" if left > 0 else f"expired {-left} s ago"
    return f"{moment} ({relative}, on the provider's clock)"


def _signature(idp: FakeIdP, token: str) -> tuple[bool, str]:
    from joserfc import jwt
    from joserfc.jwk import KeySet

    try:
        jwt.decode(token, KeySet.import_key_set(idp.jwks()))  # type: ignore[arg-type]
    except Exception as exc:  # joserfc raises several types; each is a verdict here
        return False, f"signature not verified with the published keys: {exc}"
    return True, "signature verified with the provider's published keys"


def _token(idp: FakeIdP, name: str, token: str) -> str:
    decoded = decode_jwt(token)
    if decoded is None:
        return (
            f"<h3>{escape(name)}</h3>\n"
            f'<p class="mono">{escape(token)}</p>\n<p class="muted">An opaque token: '
            "only the provider knows what it means (introspection tells).</p>\n"
        )
    header, claims = decoded
    ok, verdict = _signature(idp, token)
    return (
        f"<h3>{escape(name)}</h3>\n"
        f'<details><summary>the token</summary><p class="mono">{escape(token)}</p></details>\n'
        + message(verdict, ok=ok)
        + f"<p><strong>Expires:</strong> {escape(_when(claims.get('exp'), idp.clock.now()))}</p>\n"
        + "<p><strong>Header</strong></p>\n"
        + pretty(header)
        + "<p><strong>Claims</strong></p>\n"
        + pretty(claims)
    )


def render(idp: FakeIdP, result: TokenResult, csrf: str) -> str:
    """The result section of the debugger page."""
    body = result.body
    html = f'<section aria-labelledby="result"><h2 id="result">Result: {escape(result.what)}</h2>\n'
    if result.status != 200 or not isinstance(body, dict):
        html += message(f"The token endpoint answered {result.status}.", ok=False) + pretty(body)
        return html + "</section>\n"
    html += message(f"The token endpoint answered {result.status}.")
    shown = {
        k: v for k, v in body.items() if k not in ("access_token", "id_token", "refresh_token")
    }
    html += "<p><strong>Answer</strong> (tokens below)</p>\n" + pretty(shown)
    for name in ("access_token", "id_token"):
        if isinstance(body.get(name), str):
            html += _token(idp, name, body[name])
    refresh = body.get("refresh_token")
    if isinstance(refresh, str):
        html += (
            '<h3>refresh_token</h3>\n<form method="post" action="/_authmock/debugger/token">'
            + hidden(
                {
                    "csrf": csrf,
                    "grant": "refresh_token",
                    "client_id": result.client_id,
                    "refresh_token": refresh,
                }
            )
            + '<p class="mono">'
            + escape(refresh)
            + "</p><button>Use the refresh token</button></form>\n"
        )
    return html + "</section>\n"
