"""The client's device flow (RFC 8628): polling, slow_down, expiry, denial, cancel, async."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_authmock.client import InvalidCredentials, OAuthClient, ProviderError
from pytest_authmock.client.device import (
    DeviceAuthorization,
    DeviceCodeGrant,
    DeviceFlow,
    DeviceFlowCancelled,
    DeviceFlowDenied,
    DeviceFlowError,
    DeviceFlowExpired,
)
from tests.client.conftest import TestClock
from tests.client.gateway import Gateway, first


@pytest.fixture
def oauth(server: Any, make_oauth: Callable[..., OAuthClient]) -> OAuthClient:
    return make_oauth(server.add_client("tv-cli", public=True))


def test_start_returns_what_to_show(server: Any, oauth: OAuthClient, clock: TestClock) -> None:
    authz = DeviceFlow(oauth, scopes=["read"]).start()
    assert authz.verification_uri == server.issuer + "/device"
    assert authz.url == f"{server.issuer}/device?user_code={authz.user_code}"
    assert (
        authz.instructions() == f"Open {server.issuer}/device and enter the code {authz.user_code}"
    )
    assert authz.interval == 5
    assert authz.expires_at == pytest.approx(clock() + 300, abs=2)
    assert authz.device_code not in repr(authz)
    assert server.device_authorizations()[0].scope == ("read",)


def test_poll_waits_the_interval_until_approved(
    server: Any, oauth: OAuthClient, clock: TestClock
) -> None:
    user = server.add_user("ada")
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds)

    pending: list[str] = []

    def on_pending(authz: DeviceAuthorization) -> None:
        pending.append(authz.user_code)
        if len(pending) == 2:
            server.approve_device(authz.user_code, user=user)

    flow = DeviceFlow(oauth, scopes=["openid"], sleep=sleep)
    token = flow.poll(flow.start(), on_pending=on_pending)
    assert token.refresh_token
    assert waits == [5, 5, 5]
    server.journal.assert_count(3, endpoint="token", grant_type=DeviceCodeGrant.grant_type)
    server.journal.assert_count(0, endpoint="token", error="slow_down")


def test_slow_down_grows_the_interval(server: Any, oauth: OAuthClient, clock: TestClock) -> None:
    user = server.add_user("ada")
    waits: list[float] = []

    def impatient(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(1)  # the provider sees polls one second apart

    def on_pending(authz: DeviceAuthorization) -> None:
        if len(waits) == 3:
            server.approve_device(authz.user_code, user=user)

    flow = DeviceFlow(oauth, sleep=impatient)
    flow.poll(flow.start(), on_pending=on_pending)
    assert waits == [5, 5, 10, 15]
    assert server.journal.count(endpoint="token", error="slow_down") == 2


def test_expired(server: Any, oauth: OAuthClient, clock: TestClock) -> None:
    flow = DeviceFlow(oauth, sleep=clock.advance)
    authz = flow.start()
    with pytest.raises(DeviceFlowExpired, match="start the login again"):
        flow.poll(authz)
    assert server.journal.count(endpoint="token") == 59  # every 5 s for 300 s, minus the last


def test_expired_at_the_provider(server: Any, oauth: OAuthClient, clock: TestClock) -> None:
    flow = DeviceFlow(oauth, sleep=lambda s: server.clock.advance(400))  # only the provider's clock
    with pytest.raises(DeviceFlowExpired, match="expired before the user confirmed"):
        flow.poll(flow.start())


def test_denied(server: Any, oauth: OAuthClient, clock: TestClock) -> None:
    flow = DeviceFlow(oauth, sleep=clock.advance)
    with pytest.raises(DeviceFlowDenied, match="denied the login"):
        flow.poll(flow.start(), on_pending=lambda authz: server.deny_device(authz.user_code))


def test_used_code(server: Any, oauth: OAuthClient, clock: TestClock) -> None:
    flow = DeviceFlow(oauth, sleep=clock.advance)
    authz = flow.start()
    server.approve_device(authz.user_code, user=server.add_user())
    flow.poll(authz)
    with pytest.raises(DeviceFlowError, match="no longer accepts the device code"):
        flow.poll(authz)


def test_a_5xx_poll_is_not_resent_and_polling_slows_down(
    server: Any, oauth: OAuthClient, clock: TestClock, no_sleep: list[float]
) -> None:
    # RFC 8628 §3.5: poll less often after a failure (doubling); the retry
    # layer does not resend the poll itself, as it may have consumed the code.
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds)

    flow = DeviceFlow(oauth, sleep=sleep)
    authz = flow.start()
    server.approve_device(authz.user_code, user=server.add_user())
    server.fail(503, endpoint="token", grant_type=DeviceCodeGrant.grant_type)
    assert flow.poll(authz).access_token
    assert waits == [5, 10]
    assert no_sleep == []  # no retry inside a poll
    assert server.journal.count(endpoint="token", grant_type=DeviceCodeGrant.grant_type) == 2


def test_a_lost_answer_to_the_approved_poll_says_so(
    server: Any, make_oauth: Callable[..., OAuthClient], clock: TestClock
) -> None:
    # The provider issued the tokens and the gateway lost them: the code is
    # used. The next poll gets invalid_grant, and the message tells why.
    gateway = Gateway(server, lose=first(DeviceCodeGrant.grant_type))
    with httpx.Client(transport=gateway) as http:
        oauth = make_oauth(server.add_client("tv-cli", public=True), http_client=http)
        flow = DeviceFlow(oauth, sleep=clock.advance)
        authz = flow.start()
        server.approve_device(authz.user_code, user=server.add_user())
        with pytest.raises(DeviceFlowError, match="answer to an earlier poll was lost"):
            flow.poll(authz)
    assert server.journal.count(endpoint="token", grant_type=DeviceCodeGrant.grant_type) == 2
    assert len(gateway.lost) == 1


def test_cancel(server: Any, oauth: OAuthClient, clock: TestClock) -> None:
    cancel = threading.Event()
    flow = DeviceFlow(oauth, sleep=clock.advance)
    with pytest.raises(DeviceFlowCancelled):
        flow.poll(flow.start(), cancel=cancel, on_pending=lambda authz: cancel.set())
    assert server.journal.count(endpoint="token") == 1


def test_cancel_with_the_real_sleep_returns_at_once(server: Any, oauth: OAuthClient) -> None:
    cancel = threading.Event()
    cancel.set()
    flow = DeviceFlow(oauth)
    with pytest.raises(DeviceFlowCancelled):
        flow.poll(flow.start(), cancel=cancel)
    assert server.journal.count(endpoint="token") == 0


def test_run(server: Any, oauth: OAuthClient, clock: TestClock) -> None:
    user = server.add_user("ada")
    shown: list[str] = []

    def show(authz: DeviceAuthorization) -> None:
        shown.append(authz.user_code)
        server.approve_device(authz.user_code, user=user)

    token = DeviceFlow(oauth, sleep=clock.advance).run(show)
    assert token.access_token
    assert len(shown) == 1


def test_async(server: Any, oauth: OAuthClient, clock: TestClock) -> None:
    user = server.add_user("ada")

    async def advance(seconds: float) -> None:
        clock.advance(seconds)

    async def main() -> str:
        flow = DeviceFlow(oauth, async_sleep=advance)
        authz = await flow.astart()
        token = await flow.apoll(
            authz, on_pending=lambda a: server.approve_device(a.user_code, user=user)
        )
        return token.access_token

    assert asyncio.run(main())
    assert server.journal.count(endpoint="token", status_code=200) == 1


def test_async_cancel(server: Any, oauth: OAuthClient) -> None:
    async def main() -> None:
        cancel = asyncio.Event()
        flow = DeviceFlow(oauth)
        authz = await flow.astart()
        asyncio.get_running_loop().call_later(0.05, cancel.set)
        await flow.apoll(authz, cancel=cancel)

    with pytest.raises(DeviceFlowCancelled):
        asyncio.run(main())


def test_async_task_cancellation(server: Any, oauth: OAuthClient) -> None:
    async def main() -> None:
        flow = DeviceFlow(oauth)
        task = asyncio.create_task(flow.apoll(await flow.astart()))
        await asyncio.sleep(0.01)
        task.cancel()
        await task

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(main())


def test_client_not_allowed(server: Any, make_oauth: Callable[..., OAuthClient]) -> None:
    oauth = make_oauth(server.add_client(grant_types=["client_credentials"]))
    with pytest.raises(ProviderError, match="unauthorized_client") as caught:
        DeviceFlow(oauth).start()
    assert caught.value.error == "unauthorized_client"


def test_wrong_secret(server: Any, make_oauth: Callable[..., OAuthClient]) -> None:
    client = server.add_client()
    oauth = make_oauth(client_id=client.client_id, client_secret="guess")
    with pytest.raises(InvalidCredentials, match="rejected client"):
        DeviceFlow(oauth).start()


def test_scopes_must_be_a_list(oauth: OAuthClient) -> None:
    with pytest.raises(TypeError, match="not the string"):
        DeviceFlow(oauth, scopes="read")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "not a JSON object"),
        ({"device_code": "d", "user_code": "u"}, "lacks device_code"),
        (
            {"device_code": "d", "user_code": "u", "verification_uri": "https://x"},
            "no numeric expires_in",
        ),
    ],
)
def test_bad_answers(body: Any, message: str) -> None:
    with pytest.raises(ProviderError, match=message):
        DeviceAuthorization.from_response(body, 0.0)


def test_draft_field_names_and_defaults() -> None:
    authz = DeviceAuthorization.from_response(
        {
            "device_code": "d",
            "user_code": "U",
            "verification_url": "https://x/d",
            "expires_in": 60,
            "interval": -1,
        },
        100.0,
    )
    assert (authz.verification_uri, authz.url, authz.interval, authz.expires_at) == (
        "https://x/d",
        "https://x/d",
        5.0,
        160.0,
    )


def test_login_device_stores_the_session(server: Any, tmp_path: Any, clock: TestClock) -> None:
    from pytest_authmock.client import AuthHome, login_device

    server.add_client("tv-cli", public=True)
    ada = server.add_user("ada")
    home = AuthHome.open("toolx", directory=tmp_path / "home", keyring="never")
    home.contexts.create("default", issuer=server.issuer, activate=True)
    resolver = home.resolver(default_client_id="tv-cli", environ={})
    shown: list[str] = []

    def show(authz: DeviceAuthorization) -> None:
        shown.append(authz.instructions())
        server.approve_device(authz.user_code, user=ada)

    session = login_device(resolver, show, scopes=["openid", "profile"], sleep=clock.advance)
    assert session.username == "ada"
    assert shown[0].startswith(f"Open {server.issuer}/device and enter the code ")
    assert resolver.store.load("default") == session
