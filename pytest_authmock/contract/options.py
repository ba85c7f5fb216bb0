"""Command-line options of the contract suite (registered by the plugin, always).

Every option is ``--authmock-contract-...``: the plugin's own ``authmock_*`` ini
names configure the fake, these name the real provider under test. The earlier
``--authmock-issuer`` style names still work, hidden from ``--help``, with a
deprecation warning.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from pytest_authmock.contract.discovery_options import add_discovery_options

__all__ = ["ContractSettings", "add_options", "deprecated_names_used", "settings_from"]

PREFIX = "--authmock-contract-"


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
    redirect_uri: str | None = None
    refresh_token: str | None = dataclasses.field(default=None, repr=False)
    resource: str | None = None


#: (name after the prefix, argparse keywords, whether the old ``--authmock-NAME`` works too)
_OPTIONS: tuple[tuple[str, dict[str, Any], bool], ...] = (
    ("issuer", {"metavar": "URL", "help": "issuer URL of the provider to check"}, True),
    (
        "client",
        {
            "metavar": "ID:SECRET",
            "help": "the client the suite acts as (ID alone for a public client)",
        },
        True,
    ),
    (
        "user",
        {
            "metavar": "NAME:PASSWORD",
            "help": "a user for the password grant and the sign-in pages"
            " (one wrong-password attempt is made)",
        },
        True,
    ),
    ("scope", {"metavar": "SCOPE", "help": "scope to request (space-separated)"}, True),
    (
        "forbidden-grant",
        {
            "metavar": "GRANT",
            "help": "a grant type the client may NOT use; reports which error the provider gives",
        },
        True,
    ),
    (
        "device",
        {
            "action": "store_true",
            "default": False,
            "help": "check the device authorization flow (RFC 8628) with the client",
        },
        True,
    ),
    (
        "redirect-uri",
        {
            "metavar": "URI",
            "help": "a redirect URI registered for the client: enables the authorization code"
            " and PKCE checks, signing in with --authmock-contract-user on the provider's pages",
        },
        False,
    ),
    (
        "refresh-token",
        {
            "metavar": "TOKEN",
            "help": "a refresh token of the client obtained beforehand, for the refresh checks"
            " when the suite cannot sign in by itself (it is used up by the run)",
        },
        False,
    ),
    (
        "resource",
        {
            "metavar": "URL",
            "help": "a protected API that accepts the provider's tokens: checks its 401 answers",
        },
        False,
    ),
    (
        "jwt-client",
        {
            "metavar": "ID:KEY_PEM",
            "help": "a client registered for private_key_jwt and its private key file (PEM):"
            " JWT client authentication and JWT bearer checks",
        },
        False,
    ),
    ("ca", {"metavar": "PEM", "help": "CA bundle to trust for the issuer"}, True),
    ("client-cert", {"metavar": "PEM", "help": "client certificate for the mTLS checks"}, True),
    ("client-key", {"metavar": "PEM", "help": "its private key (PEM)"}, True),
    ("timeout", {"metavar": "SECONDS", "type": float, "help": "per request (default 10)"}, True),
    (
        "choices-json",
        {
            "metavar": "PATH",
            "help": "also write the provider choices as JSON (to diff staging against the fake)",
        },
        True,
    ),
    (
        "profile",
        {
            "metavar": "PATH",
            "help": "write the provider profile: every choice observed, with its evidence, for the"
            " fake to replay (@pytest.mark.authmock(profile=PATH), authmock serve --profile)",
        },
        False,
    ),
)


def _dest(name: str, *, old: bool = False) -> str:
    return ("authmock_" if old else "authmock_contract_") + name.replace("-", "_")


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup(
        "authmock-contract",
        "contract suite (pytest --pyargs pytest_authmock.contract; see docs/contract-testing.md)",
    )
    for name, keywords, _ in _OPTIONS:
        group.addoption(PREFIX + name, dest=_dest(name), **keywords)
    add_discovery_options(group)
    for name, keywords, aliased in _OPTIONS:
        if aliased:
            hidden = {k: v for k, v in keywords.items() if k in ("action", "type", "metavar")}
            group.addoption(
                f"--authmock-{name}", dest=_dest(name, old=True), help=argparse.SUPPRESS, **hidden
            )


def deprecated_names_used(config: pytest.Config) -> list[str]:
    """The old option names given in this run (each still works, with a warning)."""
    return [
        f"--authmock-{name}"
        for name, _, aliased in _OPTIONS
        if aliased and config.getoption(_dest(name, old=True), None) not in (None, False)
    ]


def option(config: pytest.Config, name: str) -> Any:
    """The value of ``--authmock-contract-NAME``, or of its deprecated alias."""
    value = config.getoption(_dest(name), None)
    if value in (None, False):
        value = config.getoption(_dest(name, old=True), value)
    return value


def _pair(value: str, option: str) -> tuple[str, str | None]:
    name, sep, secret = value.partition(":")
    if not name:
        raise pytest.UsageError(f"{option} expects ID:SECRET (or ID); the ID part is empty")
    return name, (secret if sep else None)


def settings_from(config: pytest.Config) -> ContractSettings:
    """The run's settings; a usage error names the missing option."""
    issuer, client = option(config, "issuer"), option(config, "client")
    if not issuer or not client:
        raise pytest.UsageError(
            f"the contract suite needs {PREFIX}issuer URL and {PREFIX}client ID:SECRET"
        )
    client_id, client_secret = _pair(client, f"{PREFIX}client")
    username = password = None
    if option(config, "user"):
        username, password = _pair(option(config, "user"), f"{PREFIX}user")
        if password is None:
            raise pytest.UsageError(f"{PREFIX}user expects NAME:PASSWORD")
    cert, key = option(config, "client-cert"), option(config, "client-key")
    if bool(cert) != bool(key):
        raise pytest.UsageError(f"{PREFIX}client-cert and {PREFIX}client-key go together")
    ca = option(config, "ca")
    timeout = option(config, "timeout")
    return ContractSettings(
        issuer=str(issuer).rstrip("/"),
        client_id=client_id,
        client_secret=client_secret,
        username=username,
        password=password,
        scope=option(config, "scope"),
        forbidden_grant=option(config, "forbidden-grant"),
        device=bool(option(config, "device")),
        ca=Path(ca) if ca else None,
        client_cert=Path(cert) if cert else None,
        client_key=Path(key) if key else None,
        timeout=float(timeout) if timeout is not None else 10.0,
        redirect_uri=option(config, "redirect-uri"),
        refresh_token=option(config, "refresh-token"),
        resource=option(config, "resource"),
    )
