"""Every flow against the fake provider, over each transport."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from pytest_authmock.client import (
    ClientCredentialsGrant,
    InvalidCredentials,
    LoginRequired,
    OAuth2Auth,
    PasswordGrant,
    ProviderError,
    Token,
    TokenManager,
)

API = "https://api.authmock.test/things"


def api_url(server: Any) -> str:
    # The loopback server also serves protected routes below its own origin.
    url = getattr(server, "url", None)
    return f"{url}/api/things" if url else API


def token_requests(server: Any, grant_type: str | None = None) -> int:
    return sum(
        1
        for e in server.journal
        if e.endpoint == "token" and e.status_code == 200 and grant_type in (None, e.grant_type)
    )


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_client_credentials_with_each_secret_method(
    server: Any, make_oauth: Any, method: str
) -> None:
    # Registered for one method only, so the other would be refused.
    client = server.add_client(token_endpoint_auth_method=method)
    server.protect(api_url(server))
    auth = OAuth2Auth.client_credentials(make_oauth(client, auth_method=method))
    with httpx.Client(auth=auth) as http:
        for _ in range(3):
            response = http.get(api_url(server))
            assert response.status_code == 200
            assert response.json()["client_id"] == client.client_id
    assert token_requests(server) == 1


def test_wrong_method_is_refused_with_invalid_credentials(server: Any, make_oauth: Any) -> None:
    client = server.add_client(token_endpoint_auth_method="client_secret_post")
    oauth = make_oauth(client, auth_method="client_secret_basic")
    with pytest.raises(InvalidCredentials, match="client_secret_basic") as info:
        oauth.request_token(ClientCredentialsGrant())
    assert client.client_secret not in str(info.value)


def test_scopes_are_requested(server: Any, make_oauth: Any) -> None:
    client = server.add_client(scopes=["read", "write"])
    token = make_oauth(client).request_token(ClientCredentialsGrant(["read"]))
    assert token.scopes == ("read",)
    with pytest.raises(ProviderError, match="invalid_scope"):
        make_oauth(client).request_token(ClientCredentialsGrant(["admin"]))


def test_password_login_then_refresh_with_rotation(server: Any, make_oauth: Any) -> None:
    client = server.add_client()
    user = server.add_user()
    oauth = make_oauth(client)
    manager = TokenManager(oauth, PasswordGrant(user.username, user.password, ["openid"]))
    first = manager.get_token()
    assert first.refresh_token
    manager.invalidate(first)
    second = manager.get_token()
    assert second.access_token != first.access_token
    assert second.refresh_token != first.refresh_token  # rotated
    assert token_requests(server, "password") == 1
    assert token_requests(server, "refresh_token") == 1


def test_wrong_password_is_invalid_credentials(server: Any, make_oauth: Any) -> None:
    client = server.add_client()
    user = server.add_user()
    with pytest.raises(InvalidCredentials, match="username or password") as info:
        make_oauth(client).request_token(PasswordGrant(user.username, "wrong-password"))
    assert "wrong-password" not in str(info.value)


def test_proactive_refresh_before_expiry(server: Any, make_oauth: Any, clock: Any) -> None:
    client = server.add_client(access_token_ttl=300)
    user = server.add_user()
    server.protect(api_url(server))
    oauth = make_oauth(client)
    auth = OAuth2Auth.password(oauth, user.username, user.password, leeway=60)
    with httpx.Client(auth=auth) as http:
        assert http.get(api_url(server)).status_code == 200
        clock.advance(230)  # 70 s left: outside the leeway
        assert http.get(api_url(server)).status_code == 200
        assert token_requests(server, "refresh_token") == 0
        clock.advance(20)  # 50 s left: inside it
        assert http.get(api_url(server)).status_code == 200
    assert token_requests(server, "refresh_token") == 1
    # Refreshed before use, so the API never saw an expired token.
    assert all(e.status_code == 200 for e in server.journal if e.endpoint == "resource")


def test_reactive_refresh_when_only_the_provider_knows(server: Any, make_oauth: Any) -> None:
    # The provider's clock moves, the client's does not: the client thinks
    # its token is fine, gets 401 invalid_token, refreshes once and retries.
    client = server.add_client(access_token_ttl=300)
    user = server.add_user()
    server.protect(api_url(server))
    auth = OAuth2Auth.password(make_oauth(client), user.username, user.password)
    with httpx.Client(auth=auth) as http:
        assert http.get(api_url(server)).status_code == 200
        server.clock.advance(301)
        response = http.post(api_url(server), json={"x": 1})
    assert response.status_code == 200
    statuses = [e.status_code for e in server.journal if e.endpoint == "resource"]
    assert statuses == [200, 401, 200]
    assert token_requests(server, "refresh_token") == 1


def test_revoked_session_asks_to_log_in_again(server: Any, make_oauth: Any) -> None:
    client = server.add_client(access_token_ttl=300)
    user = server.add_user()
    server.protect(api_url(server))
    oauth = make_oauth(client)
    token = oauth.request_token(PasswordGrant(user.username, user.password))
    assert token.refresh_token is not None
    oauth.revoke(token.refresh_token, token_type_hint="refresh_token")  # RFC 7009
    auth = OAuth2Auth.from_token(oauth, token)
    with httpx.Client(auth=auth) as http, pytest.raises(LoginRequired, match="log in again"):
        http.get(api_url(server))


def test_refresh_token_reuse_is_detected_and_reported(server: Any, make_oauth: Any) -> None:
    client = server.add_client()
    user = server.add_user()
    oauth = make_oauth(client)
    token = oauth.request_token(PasswordGrant(user.username, user.password))
    TokenManager(
        oauth, token=Token(token.access_token, refresh_token=token.refresh_token, expires_at=0)
    ).get_token()
    replay = TokenManager(oauth, token=Token("x", refresh_token=token.refresh_token, expires_at=0))
    with pytest.raises(LoginRequired):
        replay.get_token()


def test_never_expiring_token(server: Any, make_oauth: Any, clock: Any) -> None:
    client = server.add_client(access_token_ttl=None)
    token = make_oauth(client).request_token(ClientCredentialsGrant())
    assert token.expires_at is None
    clock.advance(10 * 365 * 24 * 3600)
    assert not token.is_stale(clock(), leeway=60)


def test_client_credentials_token_is_renewed_with_the_grant(
    server: Any, make_oauth: Any, clock: Any
) -> None:
    # RFC 6749 §4.4.3: no refresh token, so renewal repeats the grant.
    client = server.add_client(access_token_ttl=120)
    manager = TokenManager(make_oauth(client), ClientCredentialsGrant(), leeway=10)
    first = manager.get_token()
    assert first.refresh_token is None
    clock.advance(115)
    assert manager.get_token() is not first
    assert token_requests(server, "client_credentials") == 2


def test_async_flows(server: Any, make_oauth: Any) -> None:
    client = server.add_client(access_token_ttl=300)
    user = server.add_user()
    server.protect(api_url(server))
    cc = OAuth2Auth.client_credentials(make_oauth(client))
    pw = OAuth2Auth.password(make_oauth(client), user.username, user.password)

    async def main() -> list[int]:
        async with httpx.AsyncClient() as http:
            a = await http.get(api_url(server), auth=cc)
            b = await http.get(api_url(server), auth=pw)
            server.clock.advance(301)
            c = await http.post(api_url(server), auth=pw, content=b"payload")
            return [a.status_code, b.status_code, c.status_code]

    assert asyncio.run(main()) == [200, 200, 200]
    assert token_requests(server, "client_credentials") == 1
    assert token_requests(server, "password") == 1
    assert token_requests(server, "refresh_token") == 1


def test_async_token_request_errors(server: Any, make_oauth: Any) -> None:
    client = server.add_client()
    oauth = make_oauth(client, client_secret="not-the-secret")
    with pytest.raises(InvalidCredentials, match="invalid_client") as info:
        asyncio.run(oauth.arequest_token(ClientCredentialsGrant()))
    assert "not-the-secret" not in str(info.value)


def test_introspection_and_revocation(server: Any, make_oauth: Any) -> None:
    client = server.add_client()
    oauth = make_oauth(client)
    token = oauth.request_token(ClientCredentialsGrant())
    assert oauth.introspect(token.access_token)["active"] is True
    oauth.revoke(token.access_token)
    assert oauth.introspect(token.access_token) == {"active": False}
    oauth.revoke("never-issued")  # RFC 7009 §2.2: not an error

    async def again() -> dict[str, Any]:
        await oauth.arevoke(token.access_token)
        return await oauth.aintrospect(token.access_token)

    assert asyncio.run(again()) == {"active": False}


def test_freezegun_moves_the_client_and_the_provider_together(idp: Any) -> None:
    from freezegun import freeze_time

    from pytest_authmock.client import OAuthClient

    client = idp.add_client(access_token_ttl=300)
    user = idp.add_user()
    idp.protect(API)
    with freeze_time() as frozen:
        oauth = OAuthClient(
            idp.issuer, client_id=client.client_id, client_secret=client.client_secret
        )
        auth = OAuth2Auth.password(oauth, user.username, user.password, leeway=30)
        with oauth, httpx.Client(auth=auth) as http:
            assert http.get(API).status_code == 200
            frozen.tick(280)  # inside the leeway on the client's (frozen) clock
            assert http.get(API).status_code == 200
    # Refreshed proactively: the API never saw the token expire.
    assert idp.journal.count(endpoint="token", grant_type="refresh_token") == 1
    assert [e.status_code for e in idp.journal if e.endpoint == "resource"] == [200, 200]
