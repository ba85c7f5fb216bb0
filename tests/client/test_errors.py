"""The exception hierarchy, actionable messages, and no secret in any log line."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from pytest_authmock import client as lib
from pytest_authmock.client import (
    AuthError,
    ClientCredentialsGrant,
    InvalidCredentials,
    LoginRequired,
    OAuth2Auth,
    OAuthClient,
    PasswordGrant,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    RetryPolicy,
    TokenManager,
)


def test_one_hierarchy() -> None:
    for name in (
        "ConfigurationError",
        "InvalidCredentials",
        "InvalidToken",
        "TokenExpired",
        "TokenRevoked",
        "LoginRequired",
        "ProviderError",
        "ProviderUnavailable",
        "RateLimited",
        "StoreError",
    ):
        assert issubclass(getattr(lib, name), AuthError), name
    assert issubclass(lib.TokenExpired, lib.InvalidToken)
    assert issubclass(lib.TokenRevoked, lib.InvalidToken)
    assert issubclass(RateLimited, ProviderUnavailable)
    assert RateLimited("x", retry_after=3).retry_after == 3


def test_public_names_are_exported() -> None:
    assert sorted(lib.__all__) == lib.__all__
    for name in lib.__all__:
        assert hasattr(lib, name), name


ISSUER = "https://idp.example"


def oauth_answering(*answers: httpx.Response, **kwargs: Any) -> OAuthClient:
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("openid-configuration"):
            return httpx.Response(200, json={"issuer": ISSUER, "token_endpoint": ISSUER + "/t"})
        return queue.pop(0)

    http = httpx.Client(transport=httpx.MockTransport(handler))
    kwargs.setdefault("retry", RetryPolicy(jitter=False, sleep=lambda _: None))
    return OAuthClient(ISSUER, client_id="c", client_secret="s3cr3t", http_client=http, **kwargs)


def test_token_endpoint_429_is_retried_then_rate_limited_with_retry_after() -> None:
    busy = httpx.Response(429, headers={"Retry-After": "2"}, json={"error": "slow_down"})
    oauth = oauth_answering(busy, busy, busy, busy)
    with pytest.raises(RateLimited) as info:
        oauth.request_token(ClientCredentialsGrant())
    assert info.value.retry_after == 2


def test_token_endpoint_503_then_success() -> None:
    ok = httpx.Response(200, json={"access_token": "AT", "expires_in": 60})
    oauth = oauth_answering(httpx.Response(503), ok)
    assert oauth.request_token(ClientCredentialsGrant()).access_token == "AT"


@pytest.mark.parametrize(
    ("body", "status", "kind", "match"),
    [
        ({"error": "invalid_client"}, 401, InvalidCredentials, "check the client id"),
        ({"error": "unauthorized_client"}, 400, ProviderError, "may not use the"),
        ({"error": "unsupported_grant_type"}, 400, ProviderError, "does not support"),
        ({"error": "invalid_scope"}, 400, ProviderError, "scopes the client is allowed"),
        ({"error": "invalid_grant", "error_description": "bad"}, 400, InvalidCredentials, "bad"),
        ("not json", 400, ProviderError, "HTTP 400"),
    ],
)
def test_oauth_errors_map_to_actionable_exceptions(
    body: Any, status: int, kind: type[Exception], match: str
) -> None:
    answer = (
        httpx.Response(status, json=body)
        if isinstance(body, dict)
        else httpx.Response(status, text=body)
    )
    with pytest.raises(kind, match=match) as info:
        oauth_answering(answer).request_token(ClientCredentialsGrant())
    assert "s3cr3t" not in str(info.value)
    if isinstance(info.value, ProviderError):
        assert info.value.status_code == status


def test_200_that_is_not_json_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="not JSON"):
        oauth_answering(httpx.Response(200, text="<html>")).request_token(ClientCredentialsGrant())


def test_logs_never_contain_secrets(
    server: Any, make_oauth: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="pytest_authmock.client")
    client = server.add_client(access_token_ttl=300)
    user = server.add_user()
    url = (getattr(server, "url", None) or "https://api.authmock.test") + "/api/log"
    server.protect(url)
    oauth = make_oauth(client)
    auth = OAuth2Auth.password(oauth, user.username, user.password)
    with httpx.Client(auth=auth) as http:
        http.get(url)
        server.clock.advance(301)
        http.get(url)
    token = auth.manager.token
    assert token is not None
    assert token.refresh_token is not None
    text = "\n".join(r.getMessage() for r in caplog.records) + repr(auth) + repr(oauth)
    assert "token" in text  # something was logged
    for secret in (client.client_secret, user.password, token.access_token, token.refresh_token):
        assert secret not in text


def test_expired_session_error_says_what_to_do() -> None:
    manager = TokenManager(oauth_answering(), token=lib.Token("x", expires_at=1.0))
    with pytest.raises(LoginRequired, match="log in again"):
        manager.get_token()


def test_password_error_never_echoes_the_password() -> None:
    answer = httpx.Response(400, json={"error": "invalid_grant"})
    with pytest.raises(InvalidCredentials) as info:
        oauth_answering(answer).request_token(PasswordGrant("alice", "hunter2"))
    assert "hunter2" not in str(info.value)
    assert "hunter2" not in repr(info.value)
