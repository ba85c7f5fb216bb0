"""Command-line options of the contract suite (registered by the plugin, always)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pytest_authmock.contract.breadth_options import add_breadth_options

__all__ = ["ContractSettings", "add_options", "settings_from"]


@dataclasses.dataclass(frozen=True)
class ContractSettings:
    issuer: str
    client_id: str
    client_secret: str | None = dataclasses.field(repr=False)
    username: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    scope: str | None = None
    forbidden_grant: str | None = None
    device: bool = False
    ca: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    timeout: float = 10.0


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup(
        "authmock-contract",
        "contract suite (pytest --pyargs pytest_authmock.contract; see docs/contract-testing.md)",
    )
    group.addoption("--authmock-issuer", metavar="URL", help="issuer URL of the provider to check")
    group.addoption(
        "--authmock-client",
        metavar="ID:SECRET",
        help="a client allowed the client_credentials grant (ID alone for a public client)",
    )
    group.addoption(
        "--authmock-user",
        metavar="NAME:PASSWORD",
        help="a user for the password and refresh grants (one wrong-password attempt is made)",
    )
    group.addoption("--authmock-scope", metavar="SCOPE", help="scope to request (space-separated)")
    group.addoption(
        "--authmock-forbidden-grant",
        metavar="GRANT",
        help="a grant type the client may NOT use; reports which error the provider gives",
    )
    group.addoption(
        "--authmock-device",
        action="store_true",
        default=False,
        help="check the device authorization flow (RFC 8628) with the client",
    )
    group.addoption("--authmock-ca", metavar="PEM", help="CA bundle to trust for the issuer")
    group.addoption(
        "--authmock-client-cert", metavar="PEM", help="client certificate for the mTLS checks"
    )
    group.addoption("--authmock-client-key", metavar="PEM", help="its private key (PEM)")
    group.addoption(
        "--authmock-timeout", metavar="SECONDS", type=float, default=10.0, help="per request"
    )
    add_breadth_options(group)
    group.addoption(
        "--authmock-choices-json",
        metavar="PATH",
        help="also write the provider choices as JSON (to diff staging against the fake)",
    )


def _pair(value: str, option: str) -> tuple[str, str | None]:
    name, sep, secret = value.partition(":")
    if not name:
        raise pytest.UsageError(f"{option} expects ID:SECRET (or ID); the ID part is empty")
    return name, (secret if sep else None)


def settings_from(config: pytest.Config) -> ContractSettings:
    """The run's settings; a usage error names the missing option."""
    issuer = config.getoption("authmock_issuer")
    client = config.getoption("authmock_client")
    if not issuer or not client:
        raise pytest.UsageError(
            "the contract suite needs --authmock-issuer URL and --authmock-client ID:SECRET"
        )
    client_id, client_secret = _pair(client, "--authmock-client")
    username = password = None
    if config.getoption("authmock_user"):
        username, password = _pair(config.getoption("authmock_user"), "--authmock-user")
        if password is None:
            raise pytest.UsageError("--authmock-user expects NAME:PASSWORD")
    cert, key = config.getoption("authmock_client_cert"), config.getoption("authmock_client_key")
    if bool(cert) != bool(key):
        raise pytest.UsageError("--authmock-client-cert and --authmock-client-key go together")
    ca = config.getoption("authmock_ca")
    return ContractSettings(
        issuer=str(issuer).rstrip("/"),
        client_id=client_id,
        client_secret=client_secret,
        username=username,
        password=password,
        scope=config.getoption("authmock_scope"),
        forbidden_grant=config.getoption("authmock_forbidden_grant"),
        device=bool(config.getoption("authmock_device")),
        ca=Path(ca) if ca else None,
        client_cert=Path(cert) if cert else None,
        client_key=Path(key) if key else None,
        timeout=float(config.getoption("authmock_timeout")),
    )
