"""The control API of ``authmock serve``: drive the fake provider over HTTP.

Test suites in any language set up users and clients, decide device codes,
move the clock, plan faults, rotate keys, read the journal and reset, with JSON
under ``/_authmock/`` and the admin token as a bearer token.
"""

from __future__ import annotations

from pytest_authmock.control.api import ROUTES, ControlAPI, with_control
from pytest_authmock.control.auth import generate_admin_token
from pytest_authmock.control.baseline import Baseline

__all__ = ["ROUTES", "Baseline", "ControlAPI", "generate_admin_token", "with_control"]
