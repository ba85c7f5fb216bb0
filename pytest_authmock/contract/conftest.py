"""Fixtures of the contract suite and the "provider choices" report."""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_authmock.contract.checks import Choices, Provider
from pytest_authmock.contract.options import ContractSettings, settings_from

CHOICES_KEY = pytest.StashKey[Choices]()


def _choices(config: pytest.Config) -> Choices:
    found = config.stash.get(CHOICES_KEY, None)
    if found is None:
        found = config.stash[CHOICES_KEY] = Choices()
    return found


@pytest.fixture(scope="session")
def contract(pytestconfig: pytest.Config) -> ContractSettings:
    return settings_from(pytestconfig)


@pytest.fixture(scope="session")
def choices(pytestconfig: pytest.Config) -> Choices:
    """Record which RFC variant the provider chose (printed at the end of the run)."""
    return _choices(pytestconfig)


def _verify(contract: ContractSettings, *, with_cert: bool) -> ssl.SSLContext | bool:
    if contract.ca is None and not with_cert:
        return True
    context = ssl.create_default_context(cafile=str(contract.ca) if contract.ca else None)
    if with_cert and contract.client_cert and contract.client_key:
        context.load_cert_chain(str(contract.client_cert), str(contract.client_key))
    return context


@pytest.fixture(scope="session")
def provider(contract: ContractSettings) -> Iterator[Provider]:
    with httpx.Client(verify=_verify(contract, with_cert=False), timeout=contract.timeout) as http:
        yield Provider(contract, http)


@pytest.fixture(scope="session")
def mtls_http(contract: ContractSettings) -> Iterator[httpx.Client]:
    if contract.client_cert is None:
        pytest.skip("pass --authmock-client-cert and --authmock-client-key to check mTLS")
    with httpx.Client(verify=_verify(contract, with_cert=True), timeout=contract.timeout) as http:
        yield http


@pytest.fixture(scope="session")
def metadata(provider: Provider) -> dict[str, Any]:
    return provider.metadata()


@pytest.fixture(scope="session")
def needs_grant(metadata: dict[str, Any]) -> Callable[[str], None]:
    def check(grant: str) -> None:
        # RFC 8414 §2 defaults an absent list to authorization_code and implicit, but
        # many providers simply omit it: then the grant is tried rather than skipped.
        supported = metadata.get("grant_types_supported")
        if isinstance(supported, list) and grant not in supported:
            pytest.skip(f"the provider does not list {grant!r} in grant_types_supported")

    return check


@pytest.fixture(scope="session")
def user(contract: ContractSettings) -> tuple[str, str]:
    if contract.username is None or contract.password is None:
        pytest.skip("pass --authmock-user NAME:PASSWORD to check the password and refresh grants")
    return contract.username, contract.password


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    found = config.stash.get(CHOICES_KEY, None)
    if found is None or not found.items:
        return
    terminalreporter.section("authmock contract: provider choices")
    for line in found.lines():
        terminalreporter.write_line(line)
    path = config.getoption("authmock_choices_json")
    if path:
        Path(path).write_text(json.dumps(found.as_json(), indent=2, sort_keys=True) + "\n")
