"""Single-flight: 64 threads, 64 tasks, or both at once: one token request."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from pytest_authmock.client import (
    ClientCredentialsGrant,
    OAuth2Auth,
    OAuthClient,
    ProviderUnavailable,
    RetryPolicy,
    TokenManager,
)
from pytest_authmock.client.singleflight import SingleFlight

N = 64


def token_requests(server: Any) -> int:
    return server.journal.count(endpoint="token")


def test_64_threads_share_one_token_request(server: Any, make_oauth: Any) -> None:
    client = server.add_client()
    manager = TokenManager(make_oauth(client), ClientCredentialsGrant())
    barrier = threading.Barrier(N)

    def worker(_: int) -> str:
        barrier.wait()  # all threads ask at the same moment
        return manager.get_token().access_token

    with ThreadPoolExecutor(N) as pool:
        tokens = set(pool.map(worker, range(N)))
    assert len(tokens) == 1
    assert token_requests(server) == 1


def test_64_threads_refresh_an_expired_token_once(server: Any, make_oauth: Any, clock: Any) -> None:
    client = server.add_client(access_token_ttl=120)
    user = server.add_user()
    url = (getattr(server, "url", None) or "https://api.authmock.test") + "/api/sf"
    server.protect(url)
    auth = OAuth2Auth.password(make_oauth(client), user.username, user.password, leeway=10)
    with httpx.Client(auth=auth) as http:
        assert http.get(url).status_code == 200
        clock.advance(200)  # expired for both sides
        barrier = threading.Barrier(N)

        def worker(_: int) -> int:
            barrier.wait()
            return http.get(url).status_code

        with ThreadPoolExecutor(N) as pool:
            statuses = list(pool.map(worker, range(N)))
    assert statuses == [200] * N
    assert server.journal.count(endpoint="token", grant_type="refresh_token") == 1
    assert token_requests(server) == 2  # the login and the one refresh


def test_64_tasks_share_one_token_request(server: Any, make_oauth: Any) -> None:
    client = server.add_client()
    url = (getattr(server, "url", None) or "https://api.authmock.test") + "/api/sf"
    server.protect(url)
    auth = OAuth2Auth.client_credentials(make_oauth(client))

    async def main() -> list[int]:
        async with httpx.AsyncClient(auth=auth) as http:
            responses = await asyncio.gather(*(http.get(url) for _ in range(N)))
        return [r.status_code for r in responses]

    assert asyncio.run(main()) == [200] * N
    assert token_requests(server) == 1


def test_64_tasks_after_a_401_refresh_once(server: Any, make_oauth: Any) -> None:
    client = server.add_client(access_token_ttl=300)
    user = server.add_user()
    url = (getattr(server, "url", None) or "https://api.authmock.test") + "/api/sf"
    server.protect(url)
    auth = OAuth2Auth.password(make_oauth(client), user.username, user.password)

    async def main() -> list[int]:
        async with httpx.AsyncClient(auth=auth) as http:
            assert (await http.get(url)).status_code == 200
            server.clock.advance(301)  # only the provider knows the token expired
            responses = await asyncio.gather(*(http.get(url) for _ in range(N)))
        return [r.status_code for r in responses]

    assert asyncio.run(main()) == [200] * N
    assert server.journal.count(endpoint="token", grant_type="refresh_token") == 1


ISSUER = "https://slow.example"
META = {"issuer": ISSUER, "token_endpoint": ISSUER + "/token"}


def test_waiting_tasks_do_not_block_the_event_loop() -> None:
    """While the token request hangs, other coroutines on the loop keep running."""

    async def main() -> None:
        gate = asyncio.Event()
        token_calls = 0

        async def handler(request: httpx.Request) -> httpx.Response:
            nonlocal token_calls
            if request.url.path.endswith("openid-configuration"):
                return httpx.Response(200, json=META)
            token_calls += 1
            await gate.wait()  # released only by another coroutine on this loop
            return httpx.Response(200, json={"access_token": "AT", "expires_in": 60})

        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            oauth = OAuthClient(ISSUER, client_id="c", client_secret="s", async_http_client=http)
            manager = TokenManager(oauth, ClientCredentialsGrant())
            waiters = [asyncio.create_task(manager.aget_token()) for _ in range(N)]
            ticks = 0
            while ticks < 5:  # the loop is alive: this coroutine runs meanwhile
                await asyncio.sleep(0)
                ticks += 1
            assert not any(w.done() for w in waiters)
            gate.set()
            tokens = await asyncio.wait_for(asyncio.gather(*waiters), timeout=5)
        assert {t.access_token for t in tokens} == {"AT"}
        assert token_calls == 1

    asyncio.run(main())


def test_a_failed_flight_fails_every_waiter_with_one_request() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        if request.url.path.endswith("openid-configuration"):
            return httpx.Response(200, json=META)
        calls += 1
        time.sleep(0.2)  # long enough for every thread to join the flight
        return httpx.Response(503)

    http = httpx.Client(transport=httpx.MockTransport(handler))
    oauth = OAuthClient(
        ISSUER, client_id="c", client_secret="s", http_client=http, retry=RetryPolicy.never()
    )
    manager = TokenManager(oauth, ClientCredentialsGrant())
    oauth.metadata()
    barrier = threading.Barrier(16)

    def worker(_: int) -> str:
        barrier.wait()
        try:
            manager.get_token()
        except ProviderUnavailable as exc:
            return type(exc).__name__
        return "ok"

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(worker, range(16)))
    assert results == ["ProviderUnavailable"] * 16
    assert calls == 1


def test_single_flight_primitives() -> None:
    flight: SingleFlight[int] = SingleFlight()
    assert flight.do(lambda: 7) == 7
    with pytest.raises(KeyError):
        flight.do(lambda: {}["x"])  # type: ignore[index]
    assert flight.do(lambda: 8) == 8  # a failure does not wedge the next flight

    async def main() -> None:
        aflight: SingleFlight[int] = SingleFlight()
        started = asyncio.Event()
        release = asyncio.Event()
        runs = 0

        async def slow() -> int:
            nonlocal runs
            runs += 1
            started.set()
            await release.wait()
            return 42

        leader = asyncio.create_task(aflight.ado(slow))
        await started.wait()
        follower = asyncio.create_task(aflight.ado(slow))
        await asyncio.sleep(0)
        leader.cancel()  # the follower takes over instead of failing
        await asyncio.sleep(0)
        release.set()
        assert await follower == 42
        assert runs == 2
        with pytest.raises(asyncio.CancelledError):
            await leader

    asyncio.run(main())


def api_url(server: Any) -> str:
    url = (getattr(server, "url", None) or "https://api.authmock.test") + "/api/sf"
    server.protect(url)
    return url


def threads_and_tasks_at_once(auth: OAuth2Auth, url: str, verify: Any) -> list[int]:
    """N threads with httpx.Client and N tasks with httpx.AsyncClient, one auth, all at once."""
    go = threading.Event()
    shared = httpx.Client(auth=auth, verify=verify)  # thread-safe, and one CA load

    def worker(_: int) -> int:
        go.wait()
        return shared.get(url).status_code

    async def tasks() -> list[int]:
        async with httpx.AsyncClient(auth=auth, verify=verify) as http:

            async def one() -> int:
                return (await http.get(url)).status_code

            pending = [asyncio.ensure_future(one()) for _ in range(N)]
            go.set()  # the threads start as the tasks do
            return list(await asyncio.gather(*pending))

    with shared, ThreadPoolExecutor(N) as pool:
        threaded = pool.map(worker, range(N))
        from_tasks = asyncio.run(tasks())
        return list(threaded) + from_tasks


def test_threads_and_tasks_together_send_one_token_request(server: Any, make_oauth: Any) -> None:
    client = server.add_client()
    url = api_url(server)
    # The answer comes late: the flight is still out when every caller arrives.
    server.delay(0.3, endpoint="token")
    auth = OAuth2Auth.client_credentials(make_oauth(client))
    statuses = threads_and_tasks_at_once(auth, url, getattr(server, "httpx_verify", True))
    assert statuses == [200] * (2 * N)
    server.journal.assert_count(1, endpoint="token")


def test_threads_and_tasks_together_refresh_a_rotating_token_once(
    server: Any, make_oauth: Any, clock: Any
) -> None:
    # Two refreshes would present the same refresh token twice: reuse, and the
    # provider revokes the grant (RFC 9700 §4.14.2), logging everyone out.
    client = server.add_client(access_token_ttl=120)
    user = server.add_user()
    url = api_url(server)
    auth = OAuth2Auth.password(make_oauth(client), user.username, user.password, leeway=10)
    first = auth.manager.get_token()
    clock.advance(200)  # expired for both sides
    server.delay(0.3, endpoint="token", grant_type="refresh_token")
    statuses = threads_and_tasks_at_once(auth, url, getattr(server, "httpx_verify", True))
    assert statuses == [200] * (2 * N)
    server.journal.assert_count(1, endpoint="token", grant_type="refresh_token")
    server.journal.assert_count(0, endpoint="token", error="invalid_grant")
    assert auth.manager.token is not None
    assert auth.manager.token.refresh_token != first.refresh_token  # rotated, once


def test_a_thread_leader_wakes_waiting_tasks_and_a_task_leader_waiting_threads() -> None:
    flight: SingleFlight[int] = SingleFlight()
    started = threading.Event()
    release = threading.Event()
    runs: list[str] = []

    def slow() -> int:
        runs.append("thread")
        started.set()
        release.wait(5)
        return 1

    async def aslow() -> int:
        runs.append("task")
        return 2

    async def follow() -> list[int]:
        waiting = [asyncio.ensure_future(flight.ado(aslow)) for _ in range(8)]
        await asyncio.sleep(0.05)
        assert not any(w.done() for w in waiting)  # they wait, and the loop runs
        release.set()
        return list(await asyncio.wait_for(asyncio.gather(*waiting), 5))

    with ThreadPoolExecutor(1) as pool:
        leader = pool.submit(flight.do, slow)
        started.wait(5)
        assert asyncio.run(follow()) == [1] * 8
        assert leader.result(5) == 1
    assert runs == ["thread"]

    # And the other way round: a task leads, threads wait for it.
    runs.clear()
    pool = ThreadPoolExecutor(4)

    async def lead() -> tuple[int, list[Any]]:
        followers: list[Any] = []

        async def aslow_leader() -> int:
            runs.append("task")
            followers.extend(pool.submit(flight.do, lambda: 3) for _ in range(4))
            await asyncio.sleep(0.1)  # the threads are waiting for us now
            assert not any(f.done() for f in followers)
            return 4

        return await flight.ado(aslow_leader), followers

    try:
        result, followers = asyncio.run(lead())
        assert result == 4
        assert [f.result(5) for f in followers] == [4] * 4
    finally:
        pool.shutdown()
    assert runs == ["task"]


def test_a_blocking_call_on_the_loop_thread_of_the_leader_is_refused() -> None:
    flight: SingleFlight[int] = SingleFlight()

    async def main() -> None:
        async def leader() -> int:
            with pytest.raises(RuntimeError, match="use the async method"):
                flight.do(lambda: 1)
            return 2

        assert await flight.ado(leader) == 2

    asyncio.run(main())
