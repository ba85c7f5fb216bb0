"""Fixtures for the client library tests.

``server`` is the fake provider over each transport: in-process (``idp``,
respx) and, where the loopback fixture exists, a real socket (``idp_server``).
``clock`` is the client's clock, moved together with the provider's so that
expiry can be tested without sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_authmock.client import AuthHome, OAuthClient, RetryPolicy

TRANSPORTS = ["inprocess", "loopback"]


class TestClock:
    """Wall-clock time plus an offset that tests move (with the provider's)."""

    __test__ = False

    def __init__(self, idp: Any = None) -> None:
        self.offset = 0.0
        self.idp = idp

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        if self.idp is not None:
            self.idp.clock.advance(seconds)


@pytest.fixture(params=TRANSPORTS)
def server(request: pytest.FixtureRequest) -> Any:
    """The provider, reached in-process or over a loopback socket."""
    if request.param == "inprocess":
        return request.getfixturevalue("idp")
    try:
        return request.getfixturevalue("idp_server")
    except pytest.FixtureLookupError:
        pytest.skip("the idp_server fixture is not available in this checkout")


@pytest.fixture
def clock(server: Any) -> TestClock:
    return TestClock(server)


@pytest.fixture
def no_sleep() -> list[float]:
    """Delays the retry policy asked for, instead of sleeping them."""
    return []


@pytest.fixture
def retry(no_sleep: list[float]) -> RetryPolicy:
    async def asleep(delay: float) -> None:
        no_sleep.append(delay)

    return RetryPolicy(jitter=False, sleep=no_sleep.append, async_sleep=asleep)


@pytest.fixture
def make_oauth(
    server: Any, clock: TestClock, retry: RetryPolicy
) -> Iterator[Callable[..., OAuthClient]]:
    made: list[OAuthClient] = []

    def make(client: Any = None, **kwargs: Any) -> OAuthClient:
        if client is not None:
            kwargs.setdefault("client_id", client.client_id)
            kwargs.setdefault("client_secret", client.client_secret)
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("retry", retry)
        oauth = OAuthClient(server.issuer, **kwargs)
        made.append(oauth)
        return oauth

    yield make
    for oauth in made:
        oauth.close()


@pytest.fixture
def home(tmp_path: Path) -> AuthHome:
    """An application home in a temporary directory, never the real keyring."""
    return AuthHome.open("testapp", directory=tmp_path / "home", keyring="never")
