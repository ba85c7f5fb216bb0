"""Pushed authorization requests (RFC 9126) from the client's side, over both transports."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_authmock.client import (
    ConfigurationError,
    InvalidCredentials,
    OAuthClient,
    ProviderError,
    apush_authorization_request,
    authorize_in_browser,
    push_authorization_request,
)
from tests.client.test_browser_login import LOOPBACK, Browser

WEB = "https://app.example/cb"


def request(client_id: str = "web", redirect_uri: str = WEB) -> dict[str, Any]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid",
        "state": "st",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        "resource": ["https://orders.example.com/", "https://billing.example.com/"],
    }


@pytest.fixture
def web(server: Any, make_oauth: Callable[..., OAuthClient]) -> OAuthClient:
    server.add_client("web", "s3cret", redirect_uris=[WEB])
    return make_oauth(client_id="web", client_secret="s3cret")


def test_push_then_open(server: Any, web: OAuthClient) -> None:
    pushed = push_authorization_request(web, request())
    assert pushed.request_uri.startswith("urn:ietf:params:oauth:request_uri:")
    assert pushed.expires_in == 60
    url = pushed.authorization_url(web.metadata().endpoint("authorization_endpoint"), "web")
    assert set(httpx.URL(url).params) == {"client_id", "request_uri"}
    server.auto_approve = server.add_user()
    with httpx.Client() as browser:
        landed = browser.get(url)
    assert "code" in httpx.URL(landed.headers["location"]).params
    server.journal.assert_count(1, endpoint="pushed_authorization_request", client_id="web")


def test_async_push(web: OAuthClient) -> None:
    async def main() -> str:
        return (await apush_authorization_request(web, request())).request_uri

    assert asyncio.run(main())


def test_the_browser_login_pushes_when_asked(
    server: Any, make_oauth: Callable[..., OAuthClient]
) -> None:
    server.add_user("ada", "correct horse")
    server.add_client("cli", public=True, redirect_uris=[LOOPBACK])
    oauth = make_oauth(client_id="cli")
    browser = Browser(server, password="correct horse")
    token = authorize_in_browser(oauth, open_browser=browser, par=True)
    assert token.id_token
    (opened,) = browser.opened
    assert set(httpx.URL(opened).params) == {"client_id", "request_uri"}
    server.journal.assert_count(1, endpoint="pushed_authorization_request", client_id="cli")


def test_the_browser_login_pushes_when_the_provider_requires_it(
    server: Any, make_oauth: Callable[..., OAuthClient]
) -> None:
    server.add_user("ada", "correct horse")
    server.add_client("cli", public=True, redirect_uris=[LOOPBACK])
    server.protocol_settings.require_pushed_authorization_requests = True
    browser = Browser(server, password="correct horse")
    assert authorize_in_browser(make_oauth(client_id="cli"), open_browser=browser).access_token
    assert "request_uri" in httpx.URL(browser.opened[0]).params
    # Told not to push, the login is refused by the provider (RFC 9126 §5).
    server.auto_approve = "ada"
    headless = Browser(server)
    with pytest.raises(ProviderError, match="requires pushed authorization requests"):
        authorize_in_browser(make_oauth(client_id="cli"), open_browser=headless, par=False)


def test_refusals(server: Any, web: OAuthClient, make_oauth: Callable[..., OAuthClient]) -> None:
    with pytest.raises(ProviderError, match="not registered") as bad:
        push_authorization_request(web, request(redirect_uri="https://evil.example/cb"))
    assert bad.value.error == "invalid_request"
    wrong = make_oauth(client_id="web", client_secret="guess")
    with pytest.raises(InvalidCredentials, match="pushed authorization request"):
        push_authorization_request(wrong, request())
    with pytest.raises(ValueError, match="request_uri"):
        push_authorization_request(web, {**request(), "request_uri": "urn:x"})
    with pytest.raises(ConfigurationError, match="needs the client"):
        push_authorization_request(make_oauth(), request())


def test_a_provider_without_par(server: Any, web: OAuthClient) -> None:
    server.protocol_settings.pushed_authorization_requests = False
    with pytest.raises(ConfigurationError, match="pushed_authorization_request_endpoint"):
        push_authorization_request(web, request())
