"""Shared steps of the client-library interop tests: clients, a signed-in user, concurrency."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import httpx

from pytest_authmock.client import DeviceAuthorization, DeviceFlow, OAuthClient, Token
from pytest_authmock.contract.signin import sign_in
from tests.interop.conftest import API, USER, NodeProvider, secret


def oauth(node: NodeProvider, client_id: str = "interop-basic", **kwargs: Any) -> OAuthClient:
    method = "client_secret_post" if client_id == "interop-post" else "client_secret_basic"
    options: dict[str, Any] = {"auth_method": method, "client_secret": secret(client_id), **kwargs}
    return OAuthClient(node.issuer, client_id=client_id, **options)


class Clock:
    """The client's clock, moved by hand: a token goes stale without waiting for it."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def at_the_device_page(authorization: DeviceAuthorization, decision: str = "approve") -> str:
    """The user opens the verification URL, signs in and decides; returns the last page."""
    with httpx.Client(timeout=10) as browser:
        landed = sign_in(
            browser,
            authorization.url,
            username=USER[0],
            password=USER[1],
            arrived=lambda url: False,
            values={"user_code": authorization.user_code},
            decision=decision,
            end_on_page=True,
        )
    return landed.page


def no_wait(_: float) -> None:
    """DeviceFlow's sleep: the user already decided, so poll at once."""


# --8<-- [start:device_login]
def device_login(
    node: NodeProvider, client_id: str = "interop-basic", **kwargs: Any
) -> tuple[OAuthClient, Token]:
    """A user's tokens (with a refresh token) through the device flow."""
    client = oauth(node, client_id, **kwargs)
    flow = DeviceFlow(client, scopes=["openid", "offline_access"], sleep=no_wait)
    authorization = flow.start()
    at_the_device_page(authorization)
    return client, flow.poll(authorization)


# --8<-- [end:device_login]


@dataclasses.dataclass(frozen=True)
class ResourceClientCredentials:
    """Client credentials for one API (RFC 8707 ``resource``): oidc-provider then issues
    a JWT access token with that audience. A custom grant, as the Grant protocol allows."""

    resource: str = API
    scope: str = "api:read"
    grant_type: ClassVar[str] = "client_credentials"
    reusable: ClassVar[bool] = True
    idempotent: ClassVar[bool] = True

    def form(self) -> dict[str, str]:
        return {"grant_type": self.grant_type, "resource": self.resource, "scope": self.scope}


def together(
    threads: int,
    sync_call: Callable[[], Token],
    tasks: int,
    async_call: Callable[[], Awaitable[Token]],
) -> list[Token]:
    """Run ``threads`` threads and ``tasks`` asyncio tasks at once; every result."""
    results: list[Token] = []
    errors: list[BaseException] = []
    start = threading.Barrier(threads + 1)

    def in_thread() -> None:
        start.wait()
        try:
            results.append(sync_call())
        except BaseException as exc:  # reported below, in the caller's thread
            errors.append(exc)

    async def in_loop() -> None:
        await asyncio.to_thread(start.wait)
        results.extend(await asyncio.gather(*(async_call() for _ in range(tasks))))

    workers = [threading.Thread(target=in_thread) for _ in range(threads)]
    for worker in workers:
        worker.start()
    asyncio.run(in_loop())
    for worker in workers:
        worker.join(timeout=30)
    assert not errors, errors
    return results
