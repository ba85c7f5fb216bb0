"""Small helpers shared by the provider tests."""

from __future__ import annotations

from typing import Any

import httpx

from pytest_authmock import Client, FakeIdP, User


def token(
    http: httpx.Client,
    idp: FakeIdP,
    client: Client,
    *,
    post: bool = False,
    **params: Any,
) -> httpx.Response:
    """POST to the token endpoint, authenticating with Basic (or in the body with ``post``)."""
    data = {k: v for k, v in params.items() if v is not None}
    if post:
        data.update(client_id=client.client_id, client_secret=client.client_secret)
        return http.post(idp.url_for("token"), data=data)
    assert client.client_secret is not None
    return http.post(idp.url_for("token"), data=data, auth=(client.client_id, client.client_secret))


def password_grant(
    http: httpx.Client, idp: FakeIdP, client: Client, user: User, **params: Any
) -> httpx.Response:
    """The password grant's token request for ``user`` (RFC 6749 §4.3.2)."""
    return token(
        http,
        idp,
        client,
        grant_type="password",
        username=user.username,
        password=user.password,
        **params,
    )


def login(
    http: httpx.Client, idp: FakeIdP, client: Client, user: User, **params: Any
) -> dict[str, Any]:
    response = password_grant(http, idp, client, user, **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def free_loop_test(module: str, fixtures: str = "idp", client: str = "", setup: str = "") -> str:
    """Source of a downstream test: a delayed async request leaves the event loop free.

    The ticker counts how often it ran *while* the request waited; a delay slept
    on the event loop instead of awaited would leave it at 0. ``client`` is the
    async client to send with (``{module}.AsyncClient()`` by default), ``setup``
    a line that makes ``idp`` when no fixture gives it.
    """
    client = client or f"{module}.AsyncClient()"
    return f"""
import asyncio
import {module}
import pytest_authmock


def test_an_async_delay_leaves_the_loop_free({fixtures}):
    {setup or "pass"}
    idp.delay(0.2, endpoint="jwks")
    ticks = []

    async def tick():
        for _ in range(4):
            ticks.append(1)
            await asyncio.sleep(0.02)

    async def fetch(http):
        response = await http.get(idp.url_for("jwks"))
        return response.status_code, len(ticks)

    async def main():
        async with {client} as http:
            fetched, _ = await asyncio.gather(fetch(http), tick())
            return fetched

    assert asyncio.run(main()) == (200, 4)
"""
