"""Contract options of the discovery checks: resource indicators, registration, logout."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

__all__ = ["DiscoverySettings", "add_discovery_options", "discovery_settings"]

PREFIX = "--authmock-contract-"


@dataclasses.dataclass(frozen=True)
class DiscoverySettings:
    #: An RFC 8707 resource indicator the client may ask tokens for.
    resource_indicator: str | None = None
    #: A post-logout redirect URI registered for the client (OIDC RP-Initiated Logout).
    post_logout_redirect_uri: str | None = None
    #: The RFC 7591 §3 initial access token dynamic registration needs, if any.
    initial_access_token: str | None = dataclasses.field(default=None, repr=False)


_OPTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "resource-indicator",
        "URI",
        "an RFC 8707 resource the client may ask tokens for: checks that the token's"
        " audience follows it",
    ),
    (
        "post-logout-redirect-uri",
        "URI",
        "a post-logout redirect URI registered for the client: checks the logout redirect",
    ),
    (
        "initial-access-token",
        "TOKEN",
        "the initial access token dynamic client registration (RFC 7591 §3) needs, if any;"
        " the suite registers a client, reads, updates and deletes it",
    ),
)


def add_discovery_options(group: Any) -> None:
    for name, metavar, help_text in _OPTIONS:
        group.addoption(
            PREFIX + name,
            dest="authmock_contract_" + name.replace("-", "_"),
            metavar=metavar,
            help=help_text,
        )


def discovery_settings(config: pytest.Config) -> DiscoverySettings:
    def value(name: str) -> str | None:
        found = config.getoption("authmock_contract_" + name.replace("-", "_"), None)
        return str(found) if found else None

    return DiscoverySettings(
        resource_indicator=value("resource-indicator"),
        post_logout_redirect_uri=value("post-logout-redirect-uri"),
        initial_access_token=value("initial-access-token"),
    )
