"""The async path reuses one httpx.AsyncClient per event loop, and closes it."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import httpx
import pytest

from pytest_authmock.client import ClientCredentialsGrant, OAuth2Auth, OAuthClient
from pytest_authmock.client.validate import avalidate_token


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[httpx.AsyncClient]:
    """Every httpx.AsyncClient created during the test."""
    clients: list[httpx.AsyncClient] = []
    original = httpx.AsyncClient

    class Counting(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            clients.append(self)

    monkeypatch.setattr(httpx, "AsyncClient", Counting)
    return clients


def test_one_async_client_for_every_call_on_a_loop(
    server: Any, make_oauth: Any, made: list[httpx.AsyncClient]
) -> None:
    client = server.add_client()
    oauth = make_oauth(client, verify=getattr(server, "httpx_verify", True))

    async def main() -> None:
        for _ in range(5):
            token = await oauth.arequest_token(ClientCredentialsGrant(["openid"]))
            await oauth.aintrospect(token.access_token)
            await avalidate_token(oauth, token.access_token)
            await oauth.arevoke(token.access_token)
        await asyncio.gather(*(oauth.arequest_token(ClientCredentialsGrant()) for _ in range(10)))
        assert len(made) == 1
        assert not made[0].is_closed

    asyncio.run(main())
    assert server.journal.count(endpoint="token") == 15
    assert len(made) == 1
    assert made[0].is_closed  # closed by the loop's shutdown, inside the loop


def test_aclose_closes_it_and_the_next_call_makes_a_new_one(
    server: Any, make_oauth: Any, made: list[httpx.AsyncClient]
) -> None:
    oauth = make_oauth(server.add_client(), verify=getattr(server, "httpx_verify", True))

    async def main() -> None:
        await oauth.arequest_token(ClientCredentialsGrant())
        await oauth.aclose()
        assert made[0].is_closed
        await oauth.aclose()  # idempotent
        await oauth.arequest_token(ClientCredentialsGrant())
        assert len(made) == 2
        assert not made[1].is_closed

    asyncio.run(main())
    assert made[1].is_closed


def test_each_event_loop_gets_its_own_and_none_is_left_open(
    server: Any, made: list[httpx.AsyncClient]
) -> None:
    client = server.add_client()
    url = (getattr(server, "url", None) or "https://api.authmock.test") + "/api/async"
    server.protect(url)
    verify = getattr(server, "httpx_verify", True)

    async def call(auth: OAuth2Auth) -> int:
        async with httpx.AsyncClient(auth=auth, verify=verify) as http:
            return (await http.get(url)).status_code

    async def closing(oauth: OAuthClient) -> int:
        async with oauth:
            return await call(OAuth2Auth.client_credentials(oauth, leeway=0))

    oauth = OAuthClient(
        server.issuer, client_id=client.client_id, client_secret=client.client_secret, verify=verify
    )
    auth = OAuth2Auth.client_credentials(oauth)
    assert asyncio.run(call(auth)) == 200
    assert asyncio.run(call(auth)) == 200  # a second loop: a second client of ours
    assert asyncio.run(closing(oauth)) == 200
    gc.collect()  # an unclosed client would warn here (warnings are errors)
    assert all(c.is_closed for c in made)
    # The callers' own: one per call (3). Ours: one per loop that needed a
    # token (2): the second loop used the token the first one fetched.
    assert len(made) == 5
    server.journal.assert_count(2, endpoint="token")


def test_a_given_async_client_is_used_and_left_open(server: Any, make_oauth: Any) -> None:
    async def main() -> None:
        async with httpx.AsyncClient(verify=getattr(server, "httpx_verify", True)) as http:
            oauth = make_oauth(server.add_client(), async_http_client=http)
            await oauth.arequest_token(ClientCredentialsGrant())
            assert await oauth.async_http() is http
            await oauth.aclose()
            assert not http.is_closed  # not ours to close

    asyncio.run(main())
