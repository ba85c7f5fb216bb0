"""The control API of ``authmock serve``: drive the fake provider over HTTP.

Test suites in any language set up users and clients, decide device codes,
move the clock, plan faults, rotate keys, read the journal and reset, with JSON
under ``/_authmock/`` and the admin token as a bearer token.

The names load on first use: ``authmock serve`` imports parts of this package
(the admin token check, the paths) before the provider, whose import it
overlaps with generating the signing key.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_authmock.control.api import ROUTES, ControlAPI, with_control
    from pytest_authmock.control.auth import generate_admin_token
    from pytest_authmock.control.baseline import Baseline

_LAZY = {
    "ROUTES": "pytest_authmock.control.api",
    "ControlAPI": "pytest_authmock.control.api",
    "with_control": "pytest_authmock.control.api",
    "generate_admin_token": "pytest_authmock.control.auth",
    "Baseline": "pytest_authmock.control.baseline",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_authmock.control' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = ["ROUTES", "Baseline", "ControlAPI", "generate_admin_token", "with_control"]
