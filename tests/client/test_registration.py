"""Dynamic client registration (RFC 7591) and management (RFC 7592) from the client's side."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_authmock.client import (
    ClientCredentialsGrant,
    ConfigurationError,
    InvalidCredentials,
    OAuthClient,
    RegisteredClient,
    RegistrationError,
    aregister_client,
    delete_registration,
    read_registration,
    register_client,
    update_registration,
)

SERVICE = {"client_name": "nightly report", "grant_types": ["client_credentials"]}


@pytest.fixture
def anonymous(make_oauth: Callable[..., OAuthClient]) -> OAuthClient:
    """An OAuthClient of the issuer with no client yet."""
    return make_oauth()


def test_register_then_get_a_token(server: Any, anonymous: OAuthClient, make_oauth: Any) -> None:
    registered = register_client(anonymous, SERVICE)
    assert registered.issuer == server.issuer
    assert registered.client_secret
    assert registered.token_endpoint_auth_method == "client_secret_basic"
    assert registered.metadata["client_name"] == "nightly report"
    assert "client_secret" not in registered.metadata
    assert registered.client_secret not in repr(registered)  # a fingerprint at most
    assert "sha256:" in repr(registered)
    with registered.oauth_client(http_client=anonymous.http) as oauth:
        token = oauth.request_token(ClientCredentialsGrant())
    assert token.access_token
    assert server.clients[registered.client_id].client_secret == registered.client_secret


def test_a_public_client(server: Any, anonymous: OAuthClient) -> None:
    registered = register_client(
        anonymous,
        {
            "redirect_uris": ["http://127.0.0.1/callback"],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
        },
    )
    assert registered.client_secret is None
    assert registered.client_auth().method == "none"
    assert server.clients[registered.client_id].public


def test_refused_metadata_names_the_field(anonymous: OAuthClient) -> None:
    with pytest.raises(
        RegistrationError, match=r"invalid_redirect_uri.*fix redirect_uris"
    ) as caught:
        register_client(anonymous, {"redirect_uris": ["https://app.example/cb#x"]})
    assert caught.value.error == "invalid_redirect_uri"
    assert caught.value.status_code == 400
    with pytest.raises(RegistrationError) as bad_grant:
        register_client(anonymous, {"grant_types": ["implicit"]})
    assert bad_grant.value.error == "invalid_client_metadata"


def test_closed_registration_needs_the_initial_access_token(
    server: Any, anonymous: OAuthClient
) -> None:
    server.protocol_settings.initial_access_token = "ci-token"
    with pytest.raises(InvalidCredentials, match="initial access token"):
        register_client(anonymous, SERVICE)
    assert register_client(anonymous, SERVICE, initial_access_token="ci-token").client_id
    # Not resent: a registration that may have arrived could create a second client.
    server.journal.assert_count(2, endpoint="registration")


def test_read_update_delete(server: Any, anonymous: OAuthClient) -> None:
    registered = register_client(anonymous, SERVICE)
    assert read_registration(anonymous, registered).metadata == registered.metadata
    renamed = update_registration(
        anonymous, registered, {**SERVICE, "client_name": "hourly report"}
    )
    assert renamed.metadata["client_name"] == "hourly report"
    assert renamed.client_secret == registered.client_secret  # kept by the provider
    assert renamed.registration_access_token == registered.registration_access_token
    delete_registration(anonymous, renamed)
    assert registered.client_id not in server.clients
    with pytest.raises(InvalidCredentials, match="no longer opens it"):
        read_registration(anonymous, renamed)


def test_async_registration(server: Any, make_oauth: Callable[..., OAuthClient]) -> None:
    async def main() -> RegisteredClient:
        async with make_oauth() as oauth:
            return await aregister_client(oauth, SERVICE)

    assert asyncio.run(main()).client_id in server.clients


def test_a_provider_without_registration(server: Any, anonymous: OAuthClient) -> None:
    server.protocol_settings.dynamic_registration = False
    with pytest.raises(ConfigurationError, match="does not publish a registration_endpoint"):
        register_client(anonymous, SERVICE)


def test_management_needs_rfc_7592(anonymous: OAuthClient) -> None:
    bare = RegisteredClient(issuer="https://idp.example", client_id="c")
    with pytest.raises(ConfigurationError, match="RFC 7592"):
        read_registration(anonymous, bare)


def test_an_answer_without_client_id() -> None:
    response = httpx.Response(201, json={"client_name": "x"})
    with pytest.raises(Exception, match="no client_id"):
        RegisteredClient.from_response("https://idp.example", response)
