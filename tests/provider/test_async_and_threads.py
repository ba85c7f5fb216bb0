"""The in-process provider serves async clients and many threads at once."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx

from pytest_authmock import FakeIdP


def test_async_client_reaches_the_fixture(idp: FakeIdP) -> None:
    client = idp.add_client()
    assert client.client_secret

    async def fetch() -> list[int]:
        async with httpx.AsyncClient() as http:
            responses = await asyncio.gather(
                *(
                    http.post(
                        idp.url_for("token"),
                        data={"grant_type": "client_credentials"},
                        auth=(client.client_id, str(client.client_secret)),
                    )
                    for _ in range(20)
                )
            )
        return [response.status_code for response in responses]

    assert asyncio.run(fetch()) == [200] * 20
    idp.journal.assert_count(20, endpoint="token", status_code=200)


def test_threads_get_distinct_tokens(idp: FakeIdP) -> None:
    client = idp.add_client()
    secret = str(client.client_secret)

    def fetch(_: int) -> str:
        response = httpx.post(
            idp.url_for("token"),
            data={"grant_type": "client_credentials"},
            auth=(client.client_id, secret),
        )
        value: str = response.json()["access_token"]
        return value

    with ThreadPoolExecutor(max_workers=16) as pool:
        tokens = list(pool.map(fetch, range(64)))
    assert len(set(tokens)) == 64
    assert all(idp.check_bearer(f"Bearer {value}").ok for value in tokens)
