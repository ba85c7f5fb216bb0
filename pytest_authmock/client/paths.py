"""Where an application keeps its contexts and sessions by default."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["user_data_dir"]


def user_data_dir(app_name: str) -> Path:
    """The per-user data directory for ``app_name``, without extra dependencies.

    Follows the XDG base directory spec on Linux and BSD (``$XDG_DATA_HOME``,
    else ``~/.local/share``), ``~/Library/Application Support`` on macOS and
    ``%LOCALAPPDATA%`` on Windows: the same places ``platformdirs`` picks.
    """
    if not app_name or os.sep in app_name or (os.altsep and os.altsep in app_name):
        raise ValueError(f"app_name must be a plain directory name, got {app_name!r}")
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":  # pragma: no cover - exercised on macOS only
        base = Path.home() / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "")
        # The spec says a relative XDG path is invalid and must be ignored.
        base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / app_name
