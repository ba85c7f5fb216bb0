"""Design rule: the client library knows nothing about the fake provider."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest_authmock.client

CLIENT_DIR = Path(pytest_authmock.client.__file__).parent
FORBIDDEN = ("pytest_authmock.provider", "pytest_authmock.transport", "pytest_authmock.plugin")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_client_never_imports_the_fake() -> None:
    files = sorted(CLIENT_DIR.glob("*.py"))
    assert len(files) > 10
    for path in files:
        bad = {m for m in imported_modules(path) if m.startswith(FORBIDDEN)}
        assert not bad, f"{path.name} imports {sorted(bad)}"
        assert not any(
            m == "pytest" or m.startswith(("respx", "faker")) for m in imported_modules(path)
        ), path.name


def test_modules_stay_small() -> None:
    for path in CLIENT_DIR.glob("*.py"):
        lines = len(path.read_text().splitlines())
        assert lines <= 400, f"{path.name} has {lines} lines; split it"
