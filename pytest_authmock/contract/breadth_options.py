"""Contract settings of the breadth checks: JWT client authentication, DPoP, assertion grants.

The option itself (``--authmock-contract-jwt-client``) is registered with the
others in :mod:`pytest_authmock.contract.options`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pytest_authmock.contract.options import PREFIX, option

__all__ = ["BreadthSettings", "breadth_settings"]


@dataclasses.dataclass(frozen=True)
class BreadthSettings:
    #: A client registered for private_key_jwt, and its private key (PEM file).
    jwt_client_id: str | None = None
    jwt_key: Path | None = None


def breadth_settings(config: pytest.Config) -> BreadthSettings:
    value = option(config, "jwt-client")
    if not value:
        return BreadthSettings()
    client_id, sep, key = str(value).partition(":")
    if not client_id or not sep or not key:
        raise pytest.UsageError(f"{PREFIX}jwt-client expects ID:KEY_PEM (a PEM private key file)")
    path = Path(key)
    if not path.is_file():
        raise pytest.UsageError(f"{PREFIX}jwt-client: no key file at {path}")
    return BreadthSettings(jwt_client_id=client_id, jwt_key=path)
