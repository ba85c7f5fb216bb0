"""Fixtures of the contract suite and the "provider choices" report."""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_authmock.contract.checks import Choices, Provider, require_supported, said
from pytest_authmock.contract.codeflow import CodeFlow
from pytest_authmock.contract.discovery_options import DiscoverySettings, discovery_settings
from pytest_authmock.contract.grants import ClientGrants
from pytest_authmock.contract.options import (
    ContractSettings,
    deprecated_names_used,
    option,
    settings_from,
)
from pytest_authmock.contract.profile import profile_document, write_profile
from pytest_authmock.contract.users import UserLogin

CHOICES_KEY = pytest.StashKey[Choices]()


def _choices(config: pytest.Config) -> Choices:
    found = config.stash.get(CHOICES_KEY, None)
    if found is None:
        found = config.stash[CHOICES_KEY] = Choices()
    return found


def pytest_configure(config: pytest.Config) -> None:
    for name in deprecated_names_used(config):
        config.issue_config_time_warning(
            pytest.PytestDeprecationWarning(
                f"{name} is deprecated; use {name.replace('--authmock-', '--authmock-contract-')}"
            ),
            stacklevel=2,
        )


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
def resource(provider: Provider) -> str:
    """The protected API given with --authmock-contract-resource (skips without one)."""
    if provider.settings.resource is None:
        pytest.skip(
            "pass --authmock-contract-resource URL (an API that takes the provider's tokens)"
        )
    return provider.settings.resource


@pytest.fixture(scope="session")
def mtls_http(contract: ContractSettings) -> Iterator[httpx.Client]:
    if contract.client_cert is None:
        pytest.skip(
            "pass --authmock-contract-client-cert and --authmock-contract-client-key to check mTLS"
        )
    with httpx.Client(verify=_verify(contract, with_cert=True), timeout=contract.timeout) as http:
        yield http


@pytest.fixture(scope="session")
def metadata(provider: Provider) -> dict[str, Any]:
    return provider.metadata()


@pytest.fixture(scope="session")
def needs_grant(metadata: dict[str, Any]) -> Callable[[str], None]:
    return lambda grant: require_supported(metadata, grant)


@pytest.fixture(scope="session")
def client_grants(contract: ContractSettings, choices: Choices) -> ClientGrants:
    """Which grants this client was seen to use (the metadata only says what the provider can)."""
    grants = ClientGrants(contract.client_id, choices)
    if contract.refresh_token:
        grants.saw("refresh_token")
    return grants


@pytest.fixture(scope="session")
def client_credentials(
    provider: Provider, needs_grant: Callable[[str], None], client_grants: ClientGrants
) -> Callable[..., httpx.Response]:
    """A client credentials request; skips when this client may not use the grant."""
    needs_grant("client_credentials")

    def request(**form: str) -> httpx.Response:
        response = provider.token({"grant_type": "client_credentials", **form})
        reason = client_grants.refusal("client_credentials", response)
        if reason:
            pytest.skip(reason)
        if response.status_code == 200:
            client_grants.saw("client_credentials")
        return response

    return request


@pytest.fixture(scope="session")
def browser(contract: ContractSettings) -> Iterator[httpx.Client]:
    """A cookie-keeping HTTP client for the provider's sign-in pages."""
    with httpx.Client(verify=_verify(contract, with_cert=False), timeout=contract.timeout) as http:
        yield http


@pytest.fixture(scope="session")
def code_flow(provider: Provider, browser: httpx.Client) -> CodeFlow:
    return CodeFlow.for_settings(provider, browser)


@pytest.fixture(scope="session")
def user_login(provider: Provider, client_grants: ClientGrants, browser: httpx.Client) -> UserLogin:
    return UserLogin(provider, client_grants, lambda: CodeFlow.for_settings(provider, browser))


@pytest.fixture
def own_token(request: pytest.FixtureRequest, user_login: UserLogin) -> Callable[[], str]:
    """A fresh access token of this client: by client credentials, else the user's."""

    def get() -> str:
        try:
            response = request.getfixturevalue("client_credentials")()
        except pytest.skip.Exception as exc:
            why = str(exc.msg)
        else:
            assert response.status_code == 200, (
                f"client_credentials answered {said(response)} (RFC 6749 §4.4.3 answers a token)"
            )
            return str(response.json()["access_token"])
        try:
            return str(user_login.any().body["access_token"])
        except pytest.skip.Exception as exc:
            pytest.skip(f"no access token to work with: {why}; {exc.msg}")

    return get


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    # A check that skipped or failed leaves its choices unobserved; the profile says why.
    if report.skipped or (report.failed and report.when in ("setup", "call")):
        reason = ""
        if report.skipped and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        name = getattr(item, "originalname", item.name)
        _choices(item.config).check_ended(name, report.outcome, reason)
    return report


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    found = config.stash.get(CHOICES_KEY, None)
    if found is None or not (found.items or found.unobserved or found.observations):
        return
    terminalreporter.section("authmock contract: provider choices")
    for line in found.lines():
        terminalreporter.write_line(line)
    path = option(config, "choices-json")
    if path:
        Path(path).write_text(json.dumps(found.as_json(), indent=2, sort_keys=True) + "\n")
    profile = option(config, "profile")
    if profile:
        issuer = str(option(config, "issuer")).rstrip("/")
        write_profile(Path(profile), profile_document(found, issuer))
        terminalreporter.write_line(
            f"provider profile written to {profile}: {len(found.items)} choices observed;"
            " replay it with @pytest.mark.authmock(profile=...) or authmock serve --profile"
        )


@pytest.fixture(scope="session")
def discovery(pytestconfig: pytest.Config) -> DiscoverySettings:
    """The options of the discovery checks (resource indicators, registration, logout)."""
    return discovery_settings(pytestconfig)
