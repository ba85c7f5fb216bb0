"""The password grant, refresh with rotation, reuse detection and ID tokens."""

from __future__ import annotations

import httpx
import pytest
from freezegun import freeze_time
from joserfc import jwt
from joserfc.jwk import KeySet

from pytest_authmock import FakeIdP
from tests.helpers import bearer, login, token


def test_password_grant_returns_refresh_token(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    user = provider.add_user("ada", "correct horse")
    body = login(http, provider, client, user)
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    entry = provider.journal.last(endpoint="token")
    assert (entry.grant_type, entry.client_id, entry.username, entry.status_code) == (
        "password",
        client.client_id,
        "ada",
        200,
    )


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("ada", "s3cr3t-guess", "wrong username or password"),
        ("nobody", "another-guess", "wrong username or password"),
    ],
)
def test_wrong_credentials(
    provider: FakeIdP, http: httpx.Client, username: str, password: str, message: str
) -> None:
    client = provider.add_client()
    provider.add_user("ada", "correct horse")
    response = token(
        http, provider, client, grant_type="password", username=username, password=password
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert message in response.json()["error_description"]
    assert password not in response.json()["error_description"]


def test_missing_password(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    response = token(http, provider, client, grant_type="password", username="ada")
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "the password grant needs the password parameter "
        "(RFC 6749 section 4.3.2)",
    }


def test_disabled_user(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    user = provider.add_user(disabled=True)
    response = token(
        http,
        provider,
        client,
        grant_type="password",
        username=user.username,
        password=user.password,
    )
    assert response.json()["error"] == "invalid_grant"
    assert "disabled" in response.json()["error_description"]


def test_openid_scope_adds_an_id_token(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    user = provider.add_user(claims={"roles": ["admin"]})
    body = login(http, provider, client, user, scope="openid profile email")
    keys = KeySet.import_key_set(http.get(provider.url_for("jwks")).json())
    claims = jwt.decode(body["id_token"], keys, algorithms=["RS256"]).claims
    assert claims["iss"] == provider.issuer
    assert claims["aud"] == client.client_id
    assert claims["sub"] == user.sub
    assert claims["email"] == user.profile["email"]
    assert claims["name"] == user.profile["name"]
    assert claims["roles"] == ["admin"]
    assert "at_hash" in claims
    info = http.get(provider.url_for("userinfo"), headers=bearer(body["access_token"])).json()
    assert info["sub"] == user.sub
    assert info["email"] == user.profile["email"]


def test_userinfo_releases_only_scoped_claims(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    user = provider.add_user()
    body = login(http, provider, client, user, scope="openid")
    info = http.get(provider.url_for("userinfo"), headers=bearer(body["access_token"])).json()
    assert info == {"sub": user.sub}


def test_userinfo_needs_openid_scope(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    body = login(http, provider, client, provider.add_user(), scope="read")
    response = http.get(provider.url_for("userinfo"), headers=bearer(body["access_token"]))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert 'scope="openid"' in response.headers["www-authenticate"]


def _refresh(
    http: httpx.Client, idp: FakeIdP, client: object, refresh_token: str, **params: str
) -> httpx.Response:
    return token(
        http, idp, client, grant_type="refresh_token", refresh_token=refresh_token, **params
    )  # type: ignore[arg-type]


def test_refresh_rotates(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    first = login(http, provider, client, provider.add_user(), scope="read write")
    second = _refresh(http, provider, client, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == "read write"
    third = _refresh(http, provider, client, second["refresh_token"])
    assert third.status_code == 200


def test_reused_refresh_token_revokes_the_family(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    first = login(http, provider, client, provider.add_user())
    second = _refresh(http, provider, client, first["refresh_token"]).json()
    replay = _refresh(http, provider, client, first["refresh_token"])
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert "RFC 9700" in replay.json()["error_description"]
    # The legitimate holder's tokens die too: that is the point of reuse detection.
    assert (
        _refresh(http, provider, client, second["refresh_token"]).json()["error"] == "invalid_grant"
    )
    assert not provider.check_bearer(f"Bearer {second['access_token']}").ok
    assert not provider.check_bearer(f"Bearer {first['access_token']}").ok


@pytest.mark.authmock(refresh_token_rotation=False)
def test_without_rotation_the_refresh_token_is_reusable(idp: FakeIdP) -> None:
    http = httpx.Client()
    client = idp.add_client()
    first = login(http, idp, client, idp.add_user())
    for _ in range(3):
        again = _refresh(http, idp, client, first["refresh_token"])
        assert again.status_code == 200
        assert "refresh_token" not in again.json()


def test_refresh_may_narrow_but_not_widen_scope(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    first = login(http, provider, client, provider.add_user(), scope="read write")
    wider = _refresh(http, provider, client, first["refresh_token"], scope="read admin")
    assert wider.json()["error"] == "invalid_scope"
    narrow = _refresh(http, provider, client, first["refresh_token"], scope="read").json()
    assert narrow["scope"] == "read"


def test_refresh_token_of_another_client(provider: FakeIdP, http: httpx.Client) -> None:
    owner, thief = provider.add_client(), provider.add_client()
    first = login(http, provider, owner, provider.add_user())
    response = _refresh(http, provider, thief, first["refresh_token"])
    assert response.json()["error"] == "invalid_grant"
    assert "another client" in response.json()["error_description"]


def test_unknown_refresh_token(provider: FakeIdP, http: httpx.Client) -> None:
    response = _refresh(http, provider, provider.add_client(), "never-issued")
    assert response.json()["error"] == "invalid_grant"


def test_access_token_is_not_a_refresh_token(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    first = login(http, provider, client, provider.add_user())
    assert (
        _refresh(http, provider, client, first["access_token"]).json()["error"] == "invalid_grant"
    )


def test_refresh_token_expires_with_the_session(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client(refresh_token_ttl=24 * 3600)
    first = login(http, provider, client, provider.add_user())
    provider.clock.advance(12 * 3600)
    second = _refresh(http, provider, client, first["refresh_token"]).json()
    provider.clock.advance(12 * 3600)
    # The family keeps its absolute 24 h lifetime, however often it rotated.
    response = _refresh(http, provider, client, second["refresh_token"])
    assert response.json()["error"] == "invalid_grant"
    assert "expired" in response.json()["error_description"]


def test_refresh_fails_once_the_user_is_disabled(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    user = provider.add_user()
    first = login(http, provider, client, user)
    user.disabled = True
    response = _refresh(http, provider, client, first["refresh_token"])
    assert response.json()["error"] == "invalid_grant"
    assert not provider.check_bearer(f"Bearer {first['access_token']}").ok


def test_client_without_refresh_grant_gets_no_refresh_token(
    provider: FakeIdP, http: httpx.Client
) -> None:
    client = provider.add_client(grant_types=["password"])
    body = login(http, provider, client, provider.add_user())
    assert "refresh_token" not in body


def test_refreshed_id_token_keeps_the_login_auth_time(
    provider: FakeIdP, http: httpx.Client
) -> None:
    client = provider.add_client()
    keys = KeySet.import_key_set(provider.jwks())
    # Wall time stands still: the only time that passes is the 600 s advanced.
    with freeze_time("2031-05-01 12:00:00"):
        first = login(http, provider, client, provider.add_user(), scope="openid")
        login_time = jwt.decode(first["id_token"], keys).claims["auth_time"]
        provider.clock.advance(600)
        second = _refresh(http, provider, client, first["refresh_token"]).json()
    claims = jwt.decode(second["id_token"], keys).claims
    assert claims["auth_time"] == login_time
    assert claims["iat"] >= login_time + 600
