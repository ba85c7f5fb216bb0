"""The client library under timeouts, key rotation, clock skew and mid-session changes.

Complements test_faults.py (status codes, 429, connection drops) with the
faults that need a clock or a resource server, over both transports.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_authmock.client import (
    ClientCredentialsGrant,
    InvalidCredentials,
    LoginRequired,
    OAuth2Auth,
    PasswordGrant,
    ProviderError,
    ProviderUnavailable,
    Token,
    TokenManager,
)


def _verify(server: Any) -> Any:
    return getattr(server, "httpx_verify", True)


def test_read_timeout_on_client_credentials_is_retried(server: Any, make_oauth: Any) -> None:
    client = server.add_client()
    server.timeout(endpoint="token")
    token = make_oauth(client, timeout=0.2).request_token(ClientCredentialsGrant())
    assert token.access_token
    assert [(e.fault, e.status_code) for e in server.journal.filter(endpoint="token")] == [
        ("timeout", 0),
        (None, 200),
    ]


def test_read_timeout_on_a_refresh_is_not_replayed(server: Any, make_oauth: Any) -> None:
    client = server.add_client()
    user = server.add_user()
    oauth = make_oauth(client, timeout=0.2)
    first = oauth.request_token(PasswordGrant(user.username, user.password))
    manager = TokenManager(
        oauth, token=Token(first.access_token, refresh_token=first.refresh_token, expires_at=0)
    )
    server.timeout(endpoint="token", grant_type="refresh_token")
    with pytest.raises(ProviderUnavailable, match="ReadTimeout"):
        manager.get_token()
    assert server.journal.count(endpoint="token", grant_type="refresh_token") == 1
    # The provider never processed it: the refresh token is still good.
    assert manager.get_token().access_token != first.access_token


def test_slow_answer_within_the_timeout(server: Any, make_oauth: Any) -> None:
    client = server.add_client()
    server.delay(0.1, endpoint="token")
    assert make_oauth(client, timeout=5).request_token(ClientCredentialsGrant()).access_token
    assert server.journal.last(endpoint="token").fault == "delay"


def test_answer_lost_to_a_timeout_after_the_refresh_was_processed(
    server: Any, make_oauth: Any
) -> None:
    # The nastiest real-world case: the provider rotated the refresh token, the
    # client never saw the answer. Replaying would be refresh-token reuse (RFC
    # 9700 §4.14), so the library does not; the session is lost, and it says so.
    client = server.add_client()
    user = server.add_user()
    oauth = make_oauth(client, timeout=0.1)
    first = oauth.request_token(PasswordGrant(user.username, user.password))
    manager = TokenManager(
        oauth, token=Token(first.access_token, refresh_token=first.refresh_token, expires_at=0)
    )
    server.delay(1, endpoint="token", grant_type="refresh_token")
    with pytest.raises(ProviderUnavailable):
        manager.get_token()
    assert server.journal.count(endpoint="token", grant_type="refresh_token", status_code=200) == 1
    with pytest.raises(LoginRequired, match="log in again"):
        manager.get_token()


def test_key_rotation_makes_the_client_renew_once(server: Any, make_oauth: Any) -> None:
    api = server.issuer + "/api/things"
    server.protect(api)
    client = server.add_client()
    auth = OAuth2Auth.client_credentials(make_oauth(client))
    with httpx.Client(auth=auth, verify=_verify(server)) as http:
        assert http.get(api).status_code == 200
        old_kid = server.keys.kid
        server.rotate_keys(grace=0)  # the old key disappears from the JWKS at once
        response = http.get(api)
    assert response.status_code == 200
    assert server.journal.count(endpoint="token") == 2
    assert [e.status_code for e in server.journal.filter(endpoint="resource")] == [200, 401, 200]
    assert old_kid not in server.keys.kids()


def test_key_rotation_with_grace_needs_no_renewal(server: Any, make_oauth: Any) -> None:
    api = server.issuer + "/api/things"
    server.protect(api)
    client = server.add_client()
    auth = OAuth2Auth.client_credentials(make_oauth(client))
    with httpx.Client(auth=auth, verify=_verify(server)) as http:
        assert http.get(api).status_code == 200
        server.rotate_keys(grace=3600)
        assert http.get(api).status_code == 200
    assert server.journal.count(endpoint="token") == 1


@pytest.mark.parametrize("skew", [3600, -3600])
def test_clock_skew_does_not_confuse_expiry(server: Any, make_oauth: Any, skew: int) -> None:
    # The library dates expiry from expires_in on its own clock, never from the
    # token's iat/exp, so a provider an hour off changes nothing.
    server.clock.skew = skew
    api = server.issuer + "/api/things"
    server.protect(api, leeway=0)
    client = server.add_client(access_token_ttl=600)
    auth = OAuth2Auth.client_credentials(make_oauth(client))
    with httpx.Client(auth=auth, verify=_verify(server)) as http:
        assert [http.get(api).status_code for _ in range(3)] == [200, 200, 200]
    assert server.journal.count(endpoint="token") == 1


def test_expiry_follows_the_client_clock_when_the_provider_is_skewed(
    server: Any, make_oauth: Any, clock: Any
) -> None:
    server.clock.skew = 120
    api = server.issuer + "/api/things"
    server.protect(api)
    client = server.add_client(access_token_ttl=300)
    auth = OAuth2Auth.client_credentials(make_oauth(client), leeway=30)
    with httpx.Client(auth=auth, verify=_verify(server)) as http:
        assert http.get(api).status_code == 200
        clock.advance(271)  # within the leeway of expiry on the client's clock
        assert http.get(api).status_code == 200
    assert server.journal.count(endpoint="token") == 2
    assert [e.status_code for e in server.journal.filter(endpoint="resource")] == [200, 200]


def test_disabled_user_ends_the_session(server: Any, make_oauth: Any) -> None:
    api = server.issuer + "/api/me"
    server.protect(api)
    client = server.add_client()
    user = server.add_user()
    auth = OAuth2Auth.password(make_oauth(client), user.username, user.password)
    with httpx.Client(auth=auth, verify=_verify(server)) as http:
        assert http.get(api).status_code == 200
        server.disable_user(user)
        with pytest.raises(LoginRequired, match="log in again"):
            http.get(api)
    refresh = server.journal.last(endpoint="token", grant_type="refresh_token")
    assert (refresh.status_code, refresh.error) == (400, "invalid_grant")


def test_disabled_client_cannot_renew(server: Any, make_oauth: Any) -> None:
    api = server.issuer + "/api/me"
    server.protect(api)
    client = server.add_client()
    auth = OAuth2Auth.client_credentials(make_oauth(client))
    with httpx.Client(auth=auth, verify=_verify(server)) as http:
        assert http.get(api).status_code == 200
        server.disable_client(client)
        with pytest.raises(InvalidCredentials, match="rejected client"):
            http.get(api)
    assert server.journal.last(endpoint="token").error == "invalid_client"


def test_truncated_discovery_is_a_clear_error(server: Any, make_oauth: Any) -> None:
    client = server.add_client()
    server.truncated_json(endpoint="discovery", times=None)
    with pytest.raises(ProviderError, match=r"openid-configuration is not JSON"):
        make_oauth(client).request_token(ClientCredentialsGrant())


def test_html_instead_of_json_from_the_token_endpoint(server: Any, make_oauth: Any) -> None:
    client = server.add_client()
    server.wrong_content_type(endpoint="token")
    # The body is still JSON; a lenient client accepts it, as most real ones do.
    assert make_oauth(client).request_token(ClientCredentialsGrant()).access_token
