"""RFC 8707 resource indicators on every grant, as they leave for the provider.

A gateway in front of the provider records each request's form, over both
transports: the provider may ignore ``resource``, a real one picks the token's
audience and format from it. Several indicators (RFC 8707 §2 repeats the
parameter) are checked against a scripted token endpoint: the fake provider
refuses a repeated parameter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from pytest_authmock.client import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    DeviceCodeGrant,
    DeviceFlow,
    OAuth2Auth,
    OAuthClient,
    PasswordGrant,
    RefreshTokenGrant,
    TokenManager,
    authorize_in_browser,
)
from tests.client.gateway import Gateway
from tests.client.test_browser_login import LOOPBACK, Browser

ORDERS = "https://orders.example.com/"
BILLING = "https://billing.example.com/api"


@pytest.fixture
def gateway(server: Any) -> Iterator[Gateway]:
    gateway = Gateway(server)
    yield gateway
    gateway.close()


@pytest.fixture
def via(make_oauth: Callable[..., OAuthClient], gateway: Gateway) -> Callable[..., OAuthClient]:
    def make(client: Any = None, **kwargs: Any) -> OAuthClient:
        return make_oauth(client, http_client=httpx.Client(transport=gateway), **kwargs)

    return make


def resources_sent(gateway: Gateway, grant_type: str) -> list[list[str]]:
    forms = gateway.forms("/token")
    return [f.get("resource", []) for f in forms if f.get("grant_type") == [grant_type]]


def test_client_credentials_sends_the_resource(
    server: Any, via: Callable[..., OAuthClient], gateway: Gateway
) -> None:
    auth = OAuth2Auth.client_credentials(via(server.add_client()), resource=ORDERS)
    assert auth.manager.get_token().access_token
    assert resources_sent(gateway, "client_credentials") == [[ORDERS]]


ISSUER = "https://idp.example.com"


def scripted(forms: list[httpx.QueryParams]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("openid-configuration"):
            return httpx.Response(200, json={"issuer": ISSUER, "token_endpoint": ISSUER + "/t"})
        forms.append(httpx.QueryParams(request.content.decode()))
        return httpx.Response(200, json={"access_token": "at", "expires_in": 60})

    return httpx.MockTransport(handle)


def test_several_indicators_repeat_the_parameter() -> None:
    forms: list[httpx.QueryParams] = []
    with httpx.Client(transport=scripted(forms)) as http:
        oauth = OAuthClient(ISSUER, client_id="c", client_secret="s", http_client=http)
        OAuth2Auth.client_credentials(oauth, resource=[ORDERS, BILLING]).manager.get_token()
        oauth.request_token(PasswordGrant("ada", "pw", resource=(BILLING, ORDERS)))
    assert [f.get_list("resource") for f in forms] == [[ORDERS, BILLING], [BILLING, ORDERS]]


def test_password_login_and_its_refresh_send_the_resource(
    server: Any, via: Callable[..., OAuthClient], gateway: Gateway, clock: Any
) -> None:
    user = server.add_user()
    auth = OAuth2Auth.password(
        via(server.add_client()), user.username, user.password, resource=ORDERS, leeway=0
    )
    auth.manager.get_token()
    clock.advance(3601)
    auth.manager.get_token()  # refreshed: for the same API (RFC 8707 §2.2)
    assert resources_sent(gateway, "password") == [[ORDERS]]
    assert resources_sent(gateway, "refresh_token") == [[ORDERS]]


def test_a_stored_session_refreshes_for_its_resource(
    server: Any, via: Callable[..., OAuthClient], gateway: Gateway
) -> None:
    user = server.add_user()
    oauth = via(server.add_client())
    token = oauth.request_token(PasswordGrant(user.username, user.password))
    stale = type(token)(token.access_token, refresh_token=token.refresh_token, expires_at=0)
    manager = TokenManager(oauth, token=stale, resource=[BILLING])
    manager.get_token()
    assert resources_sent(gateway, "refresh_token") == [[BILLING]]


def test_device_flow_sends_it_when_starting_and_polling(
    server: Any, via: Callable[..., OAuthClient], gateway: Gateway, clock: Any
) -> None:
    flow = DeviceFlow(
        via(server.add_client("tv", public=True)), resource=ORDERS, sleep=clock.advance
    )
    authz = flow.start()
    server.approve_device(authz.user_code, user=server.add_user())
    assert flow.poll(authz).access_token
    (started,) = gateway.forms("/device_authorization")
    assert started["resource"] == [ORDERS]
    assert resources_sent(gateway, DeviceCodeGrant.grant_type) == [[ORDERS]]


def test_browser_login_sends_it_in_the_authorization_request_and_the_exchange(
    server: Any, via: Callable[..., OAuthClient], gateway: Gateway
) -> None:
    server.add_user("ada", "correct horse")
    oauth = via(server.add_client("cli", public=True, redirect_uris=[LOOPBACK]))
    browser = Browser(server, password="correct horse")
    token = authorize_in_browser(oauth, open_browser=browser, resource=ORDERS)
    assert token.access_token
    (url,) = browser.opened
    assert httpx.URL(url).params.get_list("resource") == [ORDERS]
    assert resources_sent(gateway, "authorization_code") == [[ORDERS]]


def test_the_authorization_url_repeats_several_indicators() -> None:
    from pytest_authmock.client.browser_login import _authorization_url

    url = _authorization_url(
        ISSUER + "/authorize", "cli", LOOPBACK, ["openid"], "ch", "st", "no", (ORDERS, BILLING)
    )
    assert httpx.URL(url).params.get_list("resource") == [ORDERS, BILLING]


def test_async_requests_send_it_too(server: Any, make_oauth: Any, gateway: Gateway) -> None:
    async def main() -> None:
        async with httpx.AsyncClient(transport=gateway) as http:
            oauth = make_oauth(server.add_client(), async_http_client=http)
            await oauth.arequest_token(ClientCredentialsGrant(resource=ORDERS))

    asyncio.run(main())
    assert resources_sent(gateway, "client_credentials") == [[ORDERS]]


def test_without_resource_nothing_is_sent(
    server: Any, via: Callable[..., OAuthClient], gateway: Gateway
) -> None:
    via(server.add_client()).request_token(ClientCredentialsGrant())
    assert resources_sent(gateway, "client_credentials") == [[]]


@pytest.mark.parametrize(
    "make",
    [
        lambda r: ClientCredentialsGrant(resource=r),
        lambda r: PasswordGrant("ada", "pw", resource=r),
        lambda r: RefreshTokenGrant("rt", resource=r),
        lambda r: DeviceCodeGrant("dc", resource=r),
        lambda r: AuthorizationCodeGrant("code", LOOPBACK, "verifier", resource=r),
    ],
    ids=["client_credentials", "password", "refresh_token", "device_code", "authorization_code"],
)
def test_every_grant_takes_one_or_several_and_checks_them(make: Any) -> None:
    assert make(ORDERS).form()["resource"] == [ORDERS]  # one string is one indicator
    assert make([ORDERS, BILLING]).form()["resource"] == [ORDERS, BILLING]
    assert "resource" not in make(()).form()
    for bad in ("orders", "/relative/path", "https://api.example.com/#frag"):
        with pytest.raises(ValueError, match="RFC 8707"):
            make(bad)
