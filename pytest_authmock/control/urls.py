"""URL helpers shared by the control API's pages and ``authmock serve``."""

from __future__ import annotations

from pytest_authmock.control.pages_paths import DEBUGGER


def origin_of(url: str) -> str:
    """``https://host:port`` of a URL (no path)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def debugger_callback(issuer: str) -> str:
    """The redirect URI of the debugger's authorization-code sign-ins."""
    return origin_of(issuer) + DEBUGGER + "/callback"
