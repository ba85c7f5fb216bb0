"""Retries against the provider's fault plan, over both transports."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from pytest_authmock.client import (
    ClientCredentialsGrant,
    LoginRequired,
    PasswordGrant,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    Token,
    TokenManager,
)
from tests.client.gateway import Gateway, first


def statuses(server: Any, endpoint: str = "token") -> list[int | None]:
    return [e.status_code for e in server.journal if e.endpoint == endpoint]


def test_5xx_at_the_token_endpoint_is_retried(
    server: Any, make_oauth: Any, no_sleep: list[float]
) -> None:
    client = server.add_client()
    server.fail(503, endpoint="token", times=2)
    token = make_oauth(client).request_token(ClientCredentialsGrant())
    assert token.access_token
    assert statuses(server) == [503, 503, 200]
    assert no_sleep == [0.25, 0.5]  # exponential backoff (jitter off in the fixture)


def test_429_retry_after_is_honoured(server: Any, make_oauth: Any, no_sleep: list[float]) -> None:
    client = server.add_client()
    server.rate_limit(7, endpoint="token")
    make_oauth(client).request_token(ClientCredentialsGrant())
    assert statuses(server) == [429, 200]
    assert no_sleep == [7.0]


def test_429_retry_after_as_http_date(server: Any, make_oauth: Any, no_sleep: list[float]) -> None:
    client = server.add_client()
    server.rate_limit(20, http_date=True, endpoint="token")
    make_oauth(client).request_token(ClientCredentialsGrant())
    assert statuses(server) == [429, 200]
    assert len(no_sleep) == 1
    assert 0 <= no_sleep[0] <= 21  # an HTTP date has one-second resolution


def test_long_retry_after_is_not_waited_for(
    server: Any, make_oauth: Any, no_sleep: list[float]
) -> None:
    client = server.add_client()
    server.rate_limit(3600, endpoint="token")
    with pytest.raises(RateLimited) as info:
        make_oauth(client).request_token(ClientCredentialsGrant())
    assert info.value.retry_after == 3600
    assert no_sleep == []
    assert statuses(server) == [429]


def test_persistent_failure_gives_up_after_the_bound(
    server: Any, make_oauth: Any, no_sleep: list[float]
) -> None:
    client = server.add_client()
    server.fail(500, endpoint="token", times=None)
    with pytest.raises(ProviderUnavailable, match="HTTP 500 after 4 attempt"):
        make_oauth(client).request_token(ClientCredentialsGrant())
    assert statuses(server) == [500] * 4
    assert len(no_sleep) == 3


def test_discovery_failure_is_retried(server: Any, make_oauth: Any) -> None:
    client = server.add_client()
    server.fail(502, endpoint="discovery")
    make_oauth(client).request_token(ClientCredentialsGrant())
    assert statuses(server, "discovery") == [502, 200]


def test_refused_connection_is_retried(server: Any, make_oauth: Any) -> None:
    client = server.add_client()
    server.refuse(endpoint="token")
    assert make_oauth(client).request_token(ClientCredentialsGrant()).access_token
    assert statuses(server)[-1] == 200


def test_lost_answer_to_a_refresh_is_not_replayed(server: Any, make_oauth: Any) -> None:
    # The connection drops after the refresh request was sent: resending the
    # same refresh token could look like token theft (reuse), so the library
    # reports the failure instead and keeps the session.
    client = server.add_client()
    user = server.add_user()
    oauth = make_oauth(client)
    token = oauth.request_token(PasswordGrant(user.username, user.password))
    manager = TokenManager(
        oauth, token=Token(token.access_token, refresh_token=token.refresh_token, expires_at=0)
    )
    server.disconnect(endpoint="token", grant_type="refresh_token")
    with pytest.raises(ProviderUnavailable):
        manager.get_token()
    assert server.journal.count(endpoint="token", grant_type="refresh_token") == 1
    # The provider did not process it, so the next attempt still works.
    assert manager.get_token().access_token != token.access_token


def test_lost_answer_to_client_credentials_is_retried(server: Any, make_oauth: Any) -> None:
    client = server.add_client()
    server.disconnect(endpoint="token")
    assert make_oauth(client).request_token(ClientCredentialsGrant()).access_token
    assert server.journal.count(endpoint="token") == 2


def test_malformed_token_answer_is_a_provider_error(server: Any, make_oauth: Any) -> None:
    client = server.add_client()
    server.malformed_json(endpoint="token")
    with pytest.raises(ProviderError, match="not JSON"):
        make_oauth(client).request_token(ClientCredentialsGrant())


def test_invalid_grant_after_rotation_asks_to_log_in(server: Any, make_oauth: Any) -> None:
    client = server.add_client()
    user = server.add_user()
    oauth = make_oauth(client)
    token = oauth.request_token(PasswordGrant(user.username, user.password))
    stale = Token(token.access_token, refresh_token=token.refresh_token, expires_at=0)
    TokenManager(oauth, token=stale).get_token()  # rotates
    with pytest.raises(LoginRequired, match="log in again"):
        TokenManager(oauth, token=stale).get_token()  # the old refresh token


def test_gateway_502_after_rotation_is_not_replayed(
    server: Any, make_oauth: Any, clock: Any
) -> None:
    # The provider rotates the refresh token, the gateway loses its answer and
    # says 502. Resending the old refresh token would be reuse (RFC 9700
    # §4.14.2): the provider would revoke the grant and log the user out.
    client = server.add_client()
    user = server.add_user()
    gateway = Gateway(server, lose=first("refresh_token"))
    with httpx.Client(transport=gateway) as http:
        oauth = make_oauth(client, http_client=http)
        manager = TokenManager(oauth, PasswordGrant(user.username, user.password), leeway=0)
        first_token = manager.get_token()
        clock.advance(3601)
        with pytest.raises(ProviderUnavailable, match=r"HTTP 502.*not repeated") as info:
            manager.get_token()
    assert not isinstance(info.value, RateLimited)
    assert len(gateway.lost) == 1
    assert server.journal.count(endpoint="token", grant_type="refresh_token") == 1
    assert server.journal.count(endpoint="token", error="invalid_grant") == 0
    assert manager.token is first_token  # kept; the next call decides


def test_gateway_502_after_rotation_is_not_replayed_async(
    server: Any, make_oauth: Any, clock: Any
) -> None:
    client = server.add_client()
    user = server.add_user()
    gateway = Gateway(server, lose=first("refresh_token"))

    async def main() -> None:
        async with httpx.AsyncClient(transport=gateway) as http:
            oauth = make_oauth(client, async_http_client=http)
            manager = TokenManager(oauth, PasswordGrant(user.username, user.password), leeway=0)
            await manager.aget_token()
            clock.advance(3601)
            with pytest.raises(ProviderUnavailable, match=r"HTTP 502.*not repeated"):
                await manager.aget_token()

    asyncio.run(main())
    assert len(gateway.lost) == 1
    assert server.journal.count(endpoint="token", grant_type="refresh_token") == 1
    assert server.journal.count(endpoint="token", error="invalid_grant") == 0


def test_429_on_a_refresh_is_not_replayed(
    server: Any, make_oauth: Any, no_sleep: list[float]
) -> None:
    client = server.add_client()
    user = server.add_user()
    oauth = make_oauth(client)
    token = oauth.request_token(PasswordGrant(user.username, user.password))
    manager = TokenManager(
        oauth, token=Token(token.access_token, refresh_token=token.refresh_token, expires_at=0)
    )
    server.rate_limit(retry_after=2, endpoint="token", grant_type="refresh_token")
    with pytest.raises(RateLimited, match="not repeated") as info:
        manager.get_token()
    assert info.value.retry_after == 2
    assert no_sleep == []
    assert server.journal.count(endpoint="token", grant_type="refresh_token") == 1
