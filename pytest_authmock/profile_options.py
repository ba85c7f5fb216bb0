"""The ``profile`` option of the fixtures: which provider profile a test's provider replays.

A profile comes from the marker (``@pytest.mark.authmock(profile="okta.json")``,
relative to the test file), the ``config=`` TOML file's ``profile`` key
(relative to that file) or the ini option ``authmock_profile`` (relative to the
ini file); the closest wins, as for every option. Its choices sit under every
option given explicitly, wherever it was given: an explicit option always wins,
and ``idp.profile`` says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_authmock.provider import switches

if TYPE_CHECKING:
    from pytest_authmock.provider.profile import AppliedProfile, Profile

__all__ = ["adopt", "check_ini_profile", "from_ini_text", "ini_help", "is_switch", "path_option"]


def is_switch(name: str) -> bool:
    """Whether ``name`` is one of the provider's switches (read from ini text by this module)."""
    return name in switches.DEFAULTS


def ini_help(name: str) -> str | None:
    """``pytest --help`` text of a switch's ini option; ``None`` for other options."""
    if name == "profile":
        return "provider profile (JSON) the fake replays, relative to the ini file"
    description = switches.DESCRIPTIONS.get(name)
    if description is None:
        return None
    return f"{description} (default: {_as_ini_text(switches.DEFAULTS[name])})"


def _as_ini_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return " ".join(value) or "empty"
    return str(value)


def from_ini_text(name: str, raw: str) -> Any:
    """A switch's value from an ini line; a bad one stops the run with its name."""
    try:
        return switches.from_text(name, raw)
    except ValueError as error:
        raise pytest.UsageError(f"ini option authmock_{name} {error}") from None


def _load(path: Path) -> Profile:
    from pytest_authmock.provider.profile import load_profile

    return load_profile(path)


def check_ini_profile(config: pytest.Config, raw: str) -> str:
    """The ini option's profile path, made absolute (relative to the ini file) and loaded once."""
    from pytest_authmock.provider.profile import ProfileError

    base = config.inipath.parent if config.inipath else config.rootpath
    path = base / raw
    try:
        _load(path)  # a bad profile stops the run now, not every test later
    except ProfileError as error:
        raise pytest.UsageError(f"pytest-authmock ini option authmock_profile: {error}") from None
    return str(path)


def path_option(
    request: pytest.FixtureRequest, name: str, path: object, kind: str, *, from_marker: bool
) -> Path:
    """A file option's path; a marker's is relative to the test file (others come resolved)."""
    if not isinstance(path, (str, Path)):
        pytest.fail(
            f"@pytest.mark.authmock option {name} must be a path to {kind}; got {path!r}",
            pytrace=False,
        )
    resolved = Path(path)
    if not resolved.is_absolute() and from_marker:
        resolved = Path(request.node.path).parent / resolved
    return resolved


def adopt(
    request: pytest.FixtureRequest,
    options: dict[str, Any],
    path: object,
    *,
    from_marker: bool,
) -> tuple[dict[str, Any], AppliedProfile | None]:
    """``options`` (all explicit) over the profile at ``path``; fails the test on a bad profile."""
    if path is None:
        return options, None
    from pytest_authmock.provider.profile import ProfileError

    resolved = path_option(request, "profile", path, "a profile JSON file", from_marker=from_marker)
    try:
        profile = _load(resolved)
    except ProfileError as error:
        pytest.fail(f"pytest-authmock: {error}", pytrace=False)
    return profile.adopt(options)
