"""A tool registers itself with the provider on first use (RFC 7591, RFC 7592).

Nobody pre-registers the client: the tool posts its metadata to the
``registration_endpoint`` and keeps what comes back. Runs in-process and over
the loopback server.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_authmock import FakeIdP
from pytest_authmock.client import (
    ClientCredentialsGrant,
    InvalidCredentials,
    OAuthClient,
    RegistrationError,
    delete_registration,
    register_client,
    update_registration,
)


@pytest.fixture(params=["idp", "idp_server"])
def provider(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(request.param)


def test_a_service_registers_itself(provider: FakeIdP) -> None:
    # --8<-- [start:register]
    with OAuthClient(provider.issuer) as anonymous:  # no client yet
        registered = register_client(
            anonymous,
            {
                "client_name": "nightly-report",
                "grant_types": ["client_credentials"],
                "response_types": [],  # no browser flow (RFC 7591 §2 defaults to "code")
            },
        )
        # Keep client_id, client_secret and the registration access token.
        with registered.oauth_client() as oauth:
            assert oauth.request_token(ClientCredentialsGrant()).access_token
        # RFC 7592: change the registration, then remove it.
        registered = update_registration(
            anonymous,
            registered,
            {
                "client_name": "hourly-report",
                "grant_types": ["client_credentials"],
                "response_types": [],
            },
        )
        delete_registration(anonymous, registered)
    # --8<-- [end:register]
    assert registered.client_id not in provider.clients


def test_closed_registration_and_bad_metadata(provider: FakeIdP) -> None:
    # --8<-- [start:closed]
    provider.protocol_settings.initial_access_token = "ci-registration-token"
    with OAuthClient(provider.issuer) as anonymous:
        with pytest.raises(InvalidCredentials, match="initial access token"):
            register_client(anonymous, {"grant_types": ["client_credentials"]})
        with pytest.raises(RegistrationError) as refused:
            register_client(
                anonymous,
                {"redirect_uris": ["https://app.example/callback#x"]},
                initial_access_token="ci-registration-token",
            )
        assert refused.value.error == "invalid_redirect_uri"  # RFC 7591 §3.2.2
    # --8<-- [end:closed]
