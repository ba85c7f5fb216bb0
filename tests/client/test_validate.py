"""Validating a pasted token: who and until when; invalid, expired and offline apart."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pytest_authmock.client import (
    AuthHome,
    InvalidToken,
    OAuthClient,
    ProviderUnavailable,
    RetryPolicy,
    TokenExpired,
    login_token,
    validate_token,
)
from pytest_authmock.client.validate import avalidate_token


def test_introspection_names_the_user_and_expiry(server: Any, make_oauth: Any) -> None:
    client = server.add_client()
    user = server.add_user()
    token = server.issue_token(client, user=user, scopes=["openid", "profile"])
    identity = validate_token(make_oauth(client), token)
    assert identity.checked_with == "introspection"
    assert identity.username == user.username
    assert identity.name == user.profile["name"]  # from userinfo, as openid was granted
    assert identity.display_name == user.profile["name"]
    assert identity.expires_at is not None
    assert identity.expires_at_datetime is not None


def test_public_client_falls_back_to_userinfo(server: Any, make_oauth: Any) -> None:
    cli = server.add_client("cli", public=True)
    user = server.add_user()
    token = server.issue_token(cli, user=user, scopes=["openid", "profile"])
    identity = validate_token(make_oauth(client_id="cli"), token)
    assert identity.checked_with == "userinfo"
    assert identity.subject == user.sub
    assert identity.name == user.profile["name"]


@pytest.mark.parametrize("method", ["introspection", "userinfo"])
def test_unknown_token_is_invalid(server: Any, make_oauth: Any, method: str) -> None:
    client = server.add_client()
    with pytest.raises(InvalidToken, match="does not accept") as info:
        validate_token(make_oauth(client), "made-up-token", method=method)  # type: ignore[arg-type]
    assert not isinstance(info.value, TokenExpired)
    assert "made-up-token" not in str(info.value)


@pytest.mark.parametrize("method", ["introspection", "userinfo"])
def test_expired_token_is_told_apart(server: Any, make_oauth: Any, clock: Any, method: str) -> None:
    # Introspection only says "inactive"; the JWT's own exp tells why.
    client = server.add_client()
    user = server.add_user()
    token = server.issue_token(client, user=user, scopes=["openid"], ttl=60)
    clock.advance(61)
    with pytest.raises(TokenExpired, match="expired") as info:
        validate_token(make_oauth(client), token, method=method)  # type: ignore[arg-type]
    assert token not in str(info.value)


def test_revoked_token_is_invalid(server: Any, make_oauth: Any) -> None:
    client = server.add_client()
    oauth = make_oauth(client)
    token = server.issue_token(client, scopes=[])
    oauth.revoke(token)
    with pytest.raises(InvalidToken):
        validate_token(oauth, token)


@pytest.mark.parametrize("bad", ["", "   ", "two words"])
def test_malformed_input_fails_before_any_request(bad: str) -> None:
    oauth = OAuthClient("https://nowhere.invalid", client_id="x")
    with pytest.raises(InvalidToken, match="paste it again"):
        validate_token(oauth, bad)


def test_network_problem_is_provider_unavailable() -> None:
    # Nothing listens on port 9 (discard); the connection is refused at once.
    oauth = OAuthClient("http://127.0.0.1:9", client_id="x", retry=RetryPolicy.never())
    with oauth, pytest.raises(ProviderUnavailable, match="cannot reach the provider"):
        validate_token(oauth, "some-token")


def test_async_validation(server: Any, make_oauth: Any) -> None:
    client = server.add_client()
    user = server.add_user()
    good = server.issue_token(client, user=user)
    oauth = make_oauth(client)
    assert asyncio.run(avalidate_token(oauth, good)).username == user.username
    with pytest.raises(InvalidToken):
        asyncio.run(avalidate_token(oauth, "nope", method="userinfo"))


def test_login_token_stores_only_valid_tokens(
    server: Any, home: AuthHome, make_oauth: Any, clock: Any
) -> None:
    cli = server.add_client("cli", public=True)
    user = server.add_user()
    home.contexts.create("default", issuer=server.issuer)
    resolver = home.resolver(default_client_id="cli", environ={}, clock=clock)
    with pytest.raises(InvalidToken):
        login_token(resolver, "not-a-token")
    assert home.store.load("default") is None
    token = server.issue_token(cli, user=user, scopes=["openid", "profile"])
    identity, _ = login_token(resolver, token)
    assert identity.name == user.profile["name"]
    stored = home.store.load("default")
    assert stored is not None
    assert stored.token.access_token == token
    assert stored.display_name == user.profile["name"]
    assert resolver.status().user == user.profile["name"]
    # store=False (a --token flag) validates without writing.
    other = server.issue_token(cli, user=user, scopes=["openid"])
    login_token(resolver, other, store=False)
    assert home.store.load("default").token.access_token == token  # type: ignore[union-attr]


def test_userinfo_without_openid_scope_says_so(server: Any, make_oauth: Any) -> None:
    from pytest_authmock.client import ProviderError

    cli = server.add_client("cli", public=True)
    token = server.issue_token(cli, user=server.add_user(), scopes=[])
    with pytest.raises(ProviderError, match="lacks the 'openid' scope"):
        validate_token(make_oauth(client_id="cli"), token)


def test_revoked_token_at_userinfo_is_told_apart(server: Any, make_oauth: Any) -> None:
    from pytest_authmock.client import TokenRevoked

    cli = server.add_client("cli", public=True)
    token = server.issue_token(cli, user=server.add_user(), scopes=["openid"])
    server.revoke_token(token)
    with pytest.raises(TokenRevoked, match="revoked"):
        validate_token(make_oauth(client_id="cli"), token)


@pytest.mark.authmock(token_format="opaque")
def test_opaque_token_via_userinfo_has_an_unknown_expiry(idp: Any) -> None:
    cli = idp.add_client("cli", public=True)
    token = idp.issue_token(cli, user=idp.add_user(), scopes=["openid"])
    with OAuthClient(idp.issuer, client_id="cli") as oauth:
        identity = validate_token(oauth, token)
    assert identity.expires_at is None
    assert identity.expiry_known is False


@pytest.mark.authmock(token_format="opaque", access_token_ttl=None)
def test_never_expiring_opaque_token_via_introspection(idp: Any) -> None:
    client = idp.add_client()
    token = idp.issue_token(client, user=idp.add_user())
    with OAuthClient(
        idp.issuer, client_id=client.client_id, client_secret=client.client_secret
    ) as oauth:
        identity = validate_token(oauth, token)
    assert identity.expires_at is None
    assert identity.expiry_known is True


def test_client_credentials_token_with_openid_is_valid(server: Any, make_oauth: Any) -> None:
    # Introspection says active; userinfo refuses a token with no user (OIDC Core
    # §5.3). The display-name lookup must not turn that into "invalid token".
    client = server.add_client()
    token = server.issue_token(client, scopes=["openid"])
    oauth = make_oauth(client)
    identity = validate_token(oauth, token)
    assert identity.checked_with == "introspection"
    assert identity.client_id == client.client_id
    assert identity.name is None
    assert identity.display_name in (identity.subject, client.client_id)
    assert asyncio.run(avalidate_token(oauth, token)).client_id == client.client_id
    assert server.journal.count(endpoint="userinfo") == 2  # asked, and refused, both times


@pytest.mark.parametrize("endpoint", ["introspection", "revocation", "userinfo"])
def test_endpoint_errors_keep_the_providers_words(
    server: Any, make_oauth: Any, endpoint: str
) -> None:
    from pytest_authmock.client import ProviderError

    client = server.add_client()
    token = server.issue_token(client, user=server.add_user(), scopes=["openid"])
    oauth = make_oauth(client)
    body = {"error": "unsupported_token_type", "error_description": "JWTs are not introspected"}
    server.fail(400, body=body, endpoint=endpoint)
    call = {
        "introspection": oauth.introspect,
        "revocation": oauth.revoke,
        "userinfo": oauth.userinfo,
    }[endpoint]
    with pytest.raises(ProviderError) as info:
        call(token)
    message = str(info.value)
    assert "HTTP 400, unsupported_token_type: JWTs are not introspected" in message
    assert info.value.error == "unsupported_token_type"
    assert info.value.error_description == "JWTs are not introspected"
    assert token not in message
