"""Contract options for the breadth checks: JWT client authentication, DPoP, assertion grants."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

__all__ = ["BreadthSettings", "add_breadth_options", "breadth_settings"]


@dataclasses.dataclass(frozen=True)
class BreadthSettings:
    #: A client registered for private_key_jwt, and its private key (PEM file).
    jwt_client_id: str | None = None
    jwt_key: Path | None = None


def add_breadth_options(group: Any) -> None:
    group.addoption(
        "--authmock-jwt-client",
        metavar="ID:KEY_PEM",
        help="a client registered for private_key_jwt and its private key file (PEM)",
    )


def breadth_settings(config: pytest.Config) -> BreadthSettings:
    value = config.getoption("authmock_jwt_client", None)
    if not value:
        return BreadthSettings()
    client_id, sep, key = str(value).partition(":")
    if not client_id or not sep or not key:
        raise pytest.UsageError("--authmock-jwt-client expects ID:KEY_PEM (a PEM private key file)")
    path = Path(key)
    if not path.is_file():
        raise pytest.UsageError(f"--authmock-jwt-client: no key file at {path}")
    return BreadthSettings(jwt_client_id=client_id, jwt_key=path)
