"""The client library's device flow and refresh against oidc-provider.

The user's side is oidc-provider's own device pages (enter or confirm the code,
sign in, allow or cancel), driven over HTTP by the contract suite's page driver.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

from pytest_authmock.client import (
    DeviceFlow,
    DeviceFlowDenied,
    DeviceFlowError,
    DeviceFlowExpired,
    LoginRequired,
    RefreshTokenGrant,
    TokenManager,
)
from tests.interop.client_helpers import Clock, at_the_device_page, device_login, no_wait, oauth
from tests.interop.conftest import USER, NodeProvider


def test_approved_at_the_device_page(node: NodeProvider) -> None:
    client, token = device_login(node)
    with client:
        assert token.refresh_token, "offline_access was asked for"
        assert client.userinfo(token.access_token)["sub"] == USER[0]
    assert node.counts()["success"] == {"urn:ietf:params:oauth:grant-type:device_code": 1}


def test_approved_with_the_async_api(node: NodeProvider) -> None:
    async def no_async_wait(_: float) -> None:
        return None

    async def login() -> str:
        with oauth(node) as client:
            flow = DeviceFlow(client, scopes=["openid"], async_sleep=no_async_wait)
            authorization = await flow.astart()
            await asyncio.to_thread(at_the_device_page, authorization)
            token = await flow.apoll(authorization)
            return str((await client.auserinfo(token.access_token))["sub"])

    assert asyncio.run(login()) == USER[0]


def test_polling_before_the_user_decides_is_pending(node: NodeProvider) -> None:
    pending: list[str] = []
    with oauth(node) as client:
        flow = DeviceFlow(client, scopes=["openid"], sleep=no_wait)
        authorization = flow.start()

        def user_acts_now(shown: object) -> None:
            pending.append("authorization_pending")
            at_the_device_page(authorization)

        token = flow.poll(authorization, on_pending=user_acts_now)
    assert pending == ["authorization_pending"]
    assert token.access_token


def test_denied_at_the_device_page(node: NodeProvider) -> None:
    with oauth(node) as client:
        flow = DeviceFlow(client, scopes=["openid"], sleep=no_wait)
        authorization = flow.start()
        at_the_device_page(authorization, decision="deny")
        with pytest.raises(DeviceFlowDenied, match="denied"):
            flow.poll(authorization)


def test_the_code_expires(node: NodeProvider) -> None:
    # interop-device-short's codes live 2 s.
    with oauth(node, "interop-device-short") as client:
        flow = DeviceFlow(client, sleep=no_wait)
        authorization = flow.start()
        time.sleep(2.5)
        with pytest.raises(DeviceFlowExpired, match="expired"):
            flow.poll(authorization)
        # Had the client thought the code still valid, the provider's expired_token
        # (RFC 8628 §3.5) would end the flow the same way.
        believed = dataclasses.replace(authorization, expires_at=time.time() + 600)
        with pytest.raises(DeviceFlowExpired, match="expired"):
            flow.poll(believed)
    assert node.counts()["wire"] == {"token": 1}


def test_a_used_device_code_is_refused(node: NodeProvider) -> None:
    with oauth(node) as client:
        flow = DeviceFlow(client, scopes=["openid"], sleep=no_wait)
        authorization = flow.start()
        at_the_device_page(authorization)
        flow.poll(authorization)
        with pytest.raises(DeviceFlowError, match="no longer accepts"):
            flow.poll(authorization)


# --8<-- [start:refresh]
def test_refresh_rotates_and_reuse_ends_the_session(node: NodeProvider) -> None:
    clock = Clock()
    client, token = device_login(node, clock=clock)
    with client:
        manager = TokenManager(client, token=token)
        clock.advance(600)  # stale: the next use refreshes
        renewed = manager.get_token()
        assert renewed.access_token != token.access_token
        assert renewed.refresh_token
        assert renewed.refresh_token != token.refresh_token
        # Presenting the rotated refresh token again is reuse (RFC 9700 §4.14.2):
        # refused, and oidc-provider revokes the grant, newer tokens included.
        with pytest.raises(LoginRequired, match="log in again"):
            client.request_token(RefreshTokenGrant(token.refresh_token or ""))
        assert client.introspect(renewed.access_token)["active"] is False
        clock.advance(600)
        with pytest.raises(LoginRequired):
            manager.get_token()


# --8<-- [end:refresh]


def test_revoking_the_refresh_token_ends_the_session(node: NodeProvider) -> None:
    clock = Clock()
    client, token = device_login(node, clock=clock)
    with client:
        client.revoke(token.refresh_token or "", token_type_hint="refresh_token")
        clock.advance(600)
        with pytest.raises(LoginRequired, match="log in again"):
            TokenManager(client, token=token).get_token()
