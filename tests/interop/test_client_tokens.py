"""The client library against oidc-provider: client credentials, caching, single flight,
introspection, revocation, JWT access tokens and the error mapping.

Token requests are counted where they arrive (server.mjs counts every POST to
the token endpoint before oidc-provider parses it), so "one request" means one
on the wire.
"""

from __future__ import annotations

import pytest

from pytest_authmock.client import (
    ClientCredentialsGrant,
    InvalidCredentials,
    OAuth2Auth,
    ProviderError,
    RefreshTokenGrant,
    TokenManager,
    validate_token,
)
from tests.interop.client_helpers import (
    Clock,
    ResourceClientCredentials,
    device_login,
    oauth,
    together,
)
from tests.interop.conftest import API, NodeProvider


# --8<-- [start:client_credentials]
@pytest.mark.parametrize("client_id", ["interop-basic", "interop-post"])
def test_client_credentials(node: NodeProvider, client_id: str) -> None:
    with oauth(node, client_id) as client:
        token = client.request_token(ClientCredentialsGrant())
        assert token.token_type.lower() == "bearer"
        assert token.expires_in() == pytest.approx(600, abs=5)
        introspected = client.introspect(token.access_token)
    assert introspected["active"] is True
    assert introspected["client_id"] == client_id
    assert node.counts()["success"] == {"client_credentials": 1}


# --8<-- [end:client_credentials]


def test_a_wrong_secret_is_invalid_credentials_without_the_secret(node: NodeProvider) -> None:
    client = oauth(node, client_secret="not-the-secret")
    with client, pytest.raises(InvalidCredentials, match="invalid_client") as caught:
        client.request_token(ClientCredentialsGrant())
    assert "not-the-secret" not in str(caught.value)


def test_tokens_are_cached(node: NodeProvider) -> None:
    auth = OAuth2Auth.client_credentials(oauth(node))
    first = auth.manager.get_token()
    assert auth.manager.get_token() is first
    assert auth.manager.get_token() is first
    auth.close()
    assert node.counts()["wire"] == {"token": 1}


def test_a_token_within_the_leeway_is_renewed_before_use(node: NodeProvider) -> None:
    # interop-short-lived tokens live 60 s; 40 s later one is within the (30 s) leeway.
    clock = Clock()
    auth = OAuth2Auth.client_credentials(oauth(node, "interop-short-lived", clock=clock))
    first = auth.manager.get_token()
    assert auth.manager.get_token() is first
    clock.advance(40)
    second = auth.manager.get_token()
    auth.close()
    assert first.access_token != second.access_token
    assert node.counts()["wire"] == {"token": 2}


def test_threads_and_tasks_together_send_one_token_request(node: NodeProvider) -> None:
    node.token_delay(300)  # a slow provider: every caller arrives during the flight
    with oauth(node) as client:
        manager = TokenManager(client, ClientCredentialsGrant())
        tokens = together(8, manager.get_token, 8, manager.aget_token)
    assert len({token.access_token for token in tokens}) == 1
    assert node.counts()["wire"] == {"token": 1}


def test_threads_and_tasks_together_refresh_once_with_rotation(node: NodeProvider) -> None:
    clock = Clock()
    client, token = device_login(node, clock=clock)
    with client:
        node.reset_counts()
        node.token_delay(300)
        # Ten minutes on, the token is stale: every caller wants a refresh.
        clock.advance(600)
        manager = TokenManager(client, token=token)
        tokens = together(8, manager.get_token, 8, manager.aget_token)
        assert len({token.access_token for token in tokens}) == 1
        # One refresh: a second one would present the rotated refresh token again,
        # and oidc-provider would revoke the whole grant (RFC 9700 §4.14.2).
        assert node.counts()["success"] == {"refresh_token": 1}
        assert node.counts()["error"] == {}
        assert client.introspect(tokens[0].access_token)["active"] is True


def test_revoking_an_access_token(node: NodeProvider) -> None:
    with oauth(node) as client:
        token = client.request_token(ClientCredentialsGrant())
        client.revoke(token.access_token, token_type_hint="access_token")
        assert client.introspect(token.access_token)["active"] is False
        client.revoke("never-issued")  # RFC 7009 §2.2: not an error


def test_introspecting_an_unknown_token(node: NodeProvider) -> None:
    with oauth(node) as client:
        assert client.introspect("never-issued") == {"active": False}


def test_a_custom_grant_gets_a_jwt_access_token_for_an_api(node: NodeProvider) -> None:
    with oauth(node) as client:
        token = client.request_token(ResourceClientCredentials())
    header, _, _ = token.access_token.partition(".")
    assert token.access_token.count(".") == 2
    assert header  # a JWS: oidc-provider's at+jwt for the API (RFC 9068)
    assert token.scopes == ("api:read",)


def test_introspection_errors_keep_the_providers_words(node: NodeProvider) -> None:
    # oidc-provider does not introspect its JWT access tokens: 400 unsupported_token_type.
    with oauth(node) as client:
        jwt = client.request_token(ResourceClientCredentials()).access_token
        with pytest.raises(ProviderError) as caught:
            client.introspect(jwt)
    assert caught.value.error == "unsupported_token_type"
    assert "unsupported_token_type" in str(caught.value)
    assert "cannot be introspected" in str(caught.value)


def test_the_resource_parameter_selects_the_api(node: NodeProvider) -> None:
    with oauth(node) as client:
        token = client.request_token(ClientCredentialsGrant(scopes=["api:read"], resource=API))
    assert token.access_token.count(".") == 2
    assert node.counts()["success"] == {"client_credentials": 1}


def test_a_jwt_access_token_is_validated_locally(node: NodeProvider) -> None:
    with oauth(node) as client:
        jwt = client.request_token(ResourceClientCredentials()).access_token
        identity = validate_token(client, jwt, method="jwt", audience=API)
    assert identity.client_id == "interop-basic"
    assert identity.scopes == ("api:read",)
    assert identity.checked_with == "jwt"


def test_validate_token_for_a_client_token_with_openid(node: NodeProvider) -> None:
    # Active at introspection; userinfo rightly refuses it (no user) for the name lookup.
    with oauth(node) as client:
        token = client.request_token(ClientCredentialsGrant(scopes=["openid", "api:read"]))
        identity = validate_token(client, token.access_token)
    assert identity.client_id == "interop-basic"
    assert identity.checked_with == "introspection"


def test_a_grant_this_client_may_not_use(node: NodeProvider) -> None:
    # interop-short-lived may only use client credentials; oidc-provider says invalid_request.
    client = oauth(node, "interop-short-lived")
    with client, pytest.raises(ProviderError) as caught:
        client.request_token(RefreshTokenGrant("some-refresh-token"))
    assert caught.value.error == "invalid_request"
    assert caught.value.status_code == 400
    assert "not allowed for this client" in str(caught.value)
    assert "some-refresh-token" not in str(caught.value)
