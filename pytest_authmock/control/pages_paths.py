"""Where the HTML pages of ``authmock serve`` live (the rest of ``/_authmock/`` is JSON)."""

from __future__ import annotations

HOME = "/"
DEBUGGER = "/_authmock/debugger"


def is_page(path: str) -> bool:
    return path in (HOME, DEBUGGER) or path.startswith(DEBUGGER + "/")
