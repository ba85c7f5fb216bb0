"""Handling the client library's errors: one hierarchy, a message a user can act on."""

from __future__ import annotations

import httpx
import pytest

from pytest_authmock import FakeIdP
from pytest_authmock.client import (
    AuthError,
    ClientCredentialsGrant,
    InvalidCredentials,
    LoginRequired,
    OAuth2Auth,
    OAuthClient,
    PasswordGrant,
    ProviderUnavailable,
    RateLimited,
    RetryPolicy,
    TokenManager,
)

API = "https://api.example.test/orders"


# --8<-- [start:handler]
def fetch_orders(http: httpx.Client) -> str:
    try:
        return http.get(API).text
    except LoginRequired as exc:  # the session is over: refresh token revoked or expired
        return f"please log in again ({exc})"
    except InvalidCredentials as exc:  # wrong secret/password, refused certificate
        return f"check your credentials: {exc}"
    except RateLimited as exc:  # 429 after the bounded retries
        return f"busy; retry in {exc.retry_after} s"
    except ProviderUnavailable as exc:  # network down or 5xx after retries
        return f"identity provider unavailable: {exc}"
    except AuthError as exc:  # everything else the library raises
        return f"authentication failed: {exc}"


# --8<-- [end:handler]


def test_revoked_session(idp: FakeIdP) -> None:
    idp.add_client("cli", public=True)
    ada = idp.add_user("ada")
    idp.protect(API)
    oauth = OAuthClient(idp.issuer, client_id="cli")
    token = oauth.request_token(PasswordGrant("ada", ada.password))
    oauth.revoke(token.refresh_token or "")
    with httpx.Client(auth=OAuth2Auth.from_token(oauth, token)) as http:
        message = fetch_orders(http)
    assert message.startswith("please log in again (the session can no longer be refreshed")


def test_wrong_secret(idp: FakeIdP) -> None:
    service = idp.add_client()
    oauth = OAuthClient(idp.issuer, client_id=service.client_id, client_secret="not-it")
    with httpx.Client(auth=OAuth2Auth.client_credentials(oauth)) as http:
        message = fetch_orders(http)
    assert message.startswith(
        f"check your credentials: the provider rejected client '{service.client_id}'"
    )
    assert "not-it" not in message  # secrets never appear in messages


def test_retries_then_unavailable(idp: FakeIdP, respx_mock) -> None:  # type: ignore[no-untyped-def]
    # --8<-- [start:retry]
    retry = RetryPolicy(max_attempts=3, backoff_base=0.1, backoff_max=2.0, max_retry_after=30)
    oauth = OAuthClient("https://down.example.test", client_id="c", client_secret="s", retry=retry)
    # --8<-- [end:retry]
    respx_mock.route(host="down.example.test").mock(return_value=httpx.Response(503))
    oauth.retry = RetryPolicy(max_attempts=3, jitter=False, sleep=lambda _: None)  # no real waiting
    with pytest.raises(ProviderUnavailable, match="HTTP 503 after 3 attempt"):
        TokenManager(oauth, ClientCredentialsGrant()).get_token()
