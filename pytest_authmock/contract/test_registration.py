"""Dynamic client registration (RFC 7591) and management (RFC 7592).

Skipped when the metadata has no ``registration_endpoint``. The suite registers
one client (with ``--authmock-contract-initial-access-token`` when registration
is closed), uses it, and deletes it again when the provider supports RFC 7592.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_authmock.client import (
    ClientCredentialsGrant,
    InvalidCredentials,
    OAuthClient,
    RegisteredClient,
    RegistrationError,
    delete_registration,
    read_registration,
    register_client,
    update_registration,
)
from pytest_authmock.contract.checks import Provider
from pytest_authmock.contract.discovery_options import DiscoverySettings

SERVICE = {
    "client_name": "authmock contract check",
    "grant_types": ["client_credentials"],
    # RFC 7591 §2: response_types defaults to "code", which needs redirect URIs.
    "response_types": [],
    "token_endpoint_auth_method": "client_secret_basic",
}


@pytest.fixture(scope="module")
def anonymous(provider: Provider) -> Iterator[OAuthClient]:
    provider.endpoint_or_skip("registration_endpoint")
    with OAuthClient(provider.settings.issuer, http_client=provider.http) as oauth:
        yield oauth


@pytest.fixture(scope="module")
def registered(
    provider: Provider,
    anonymous: OAuthClient,
    discovery: DiscoverySettings,
    metadata: dict[str, Any],
) -> Iterator[RegisteredClient]:
    if "client_credentials" not in metadata.get("grant_types_supported", ["client_credentials"]):
        pytest.skip(
            "the provider does not support client_credentials, the registered client's grant"
        )
    token = discovery.initial_access_token
    try:
        client = register_client(anonymous, SERVICE, initial_access_token=token)
    except (InvalidCredentials, RegistrationError) as exc:
        # 401 with a challenge is RFC 7591 §3's answer; some providers say 400
        # access_denied (pytest-iam's canaille) or 403 when registration is closed.
        closed = isinstance(exc, InvalidCredentials) or (
            exc.error == "access_denied" or exc.status_code == 403
        )
        if not closed:
            raise
        if token is not None:
            raise AssertionError(
                f"the provider refused --authmock-contract-initial-access-token ({exc})"
            ) from None
        pytest.skip(
            f"registration is closed: pass --authmock-contract-initial-access-token TOKEN ({exc})"
        )
    yield client
    if client.registration_client_uri and client.registration_access_token:
        # Deleted already by the management check, if it ran.
        with contextlib.suppress(InvalidCredentials, RegistrationError):
            delete_registration(anonymous, client)


def test_the_answer_carries_credentials(registered: RegisteredClient) -> None:
    assert registered.client_id, "no client_id (RFC 7591 §3.2.1 REQUIRED)"
    assert registered.client_secret, (
        "a client_secret_basic client got no client_secret (RFC 7591 §3.2.1)"
    )
    assert registered.client_secret_expires_at is not None, (
        "client_secret_expires_at is missing; RFC 7591 §3.2.1 makes it REQUIRED with a secret"
    )


def test_the_registered_client_gets_a_token(
    provider: Provider, registered: RegisteredClient
) -> None:
    with registered.oauth_client(http_client=provider.http) as oauth:
        assert oauth.request_token(ClientCredentialsGrant()).access_token


def test_a_bad_redirect_uri_is_refused(
    anonymous: OAuthClient, discovery: DiscoverySettings, registered: RegisteredClient
) -> None:
    bad = {
        "redirect_uris": ["https://authmock-contract.invalid/cb#fragment"],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
    }
    with pytest.raises(RegistrationError) as refused:
        register_client(anonymous, bad, initial_access_token=discovery.initial_access_token)
    assert refused.value.status_code == 400, "RFC 7591 §3.2.2 answers 400"
    assert refused.value.error in ("invalid_redirect_uri", "invalid_client_metadata"), (
        f"a redirect URI with a fragment answered {refused.value.error} (RFC 7591 §3.2.2)"
    )


def test_read_update_and_delete(anonymous: OAuthClient, registered: RegisteredClient) -> None:
    if not (registered.registration_client_uri and registered.registration_access_token):
        pytest.skip("no registration_client_uri and registration_access_token (no RFC 7592)")
    read = read_registration(anonymous, registered)
    assert read.client_id == registered.client_id
    renamed = update_registration(
        anonymous, read, {**SERVICE, "client_name": "authmock contract check (renamed)"}
    )
    assert renamed.metadata.get("client_name") == "authmock contract check (renamed)"
    delete_registration(anonymous, renamed)
    with pytest.raises(InvalidCredentials):
        read_registration(anonymous, renamed)  # RFC 7592 §2.3: gone
