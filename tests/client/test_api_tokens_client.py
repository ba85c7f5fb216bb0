"""The typed API-token admin client, and API tokens through the credential resolver."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from pytest_authmock.client import (
    AuthHome,
    CredentialSource,
    InvalidToken,
    OAuthClient,
    PasswordGrant,
    ProviderError,
    TokenExpired,
)
from pytest_authmock.client.api_tokens import (
    ApiTokenAdmin,
    ApiTokenForbidden,
    ApiTokenInfo,
    ApiTokenNotFound,
    CreatedApiToken,
)
from tests.client.conftest import TestClock

ADMIN = "api_tokens:admin"


@pytest.fixture
def oauth(server: Any, make_oauth: Callable[..., OAuthClient]) -> OAuthClient:
    return make_oauth(server.add_client("cli"))


@pytest.fixture
def admin(server: Any, oauth: OAuthClient) -> ApiTokenAdmin:
    server.add_user("ada", "pw")
    session = oauth.request_token(PasswordGrant("ada", "pw", ["read", ADMIN]))
    return ApiTokenAdmin(oauth, session.access_token)


@pytest.fixture
def api(server: Any) -> str:
    url = server.issuer + "/api/things"
    server.protect(url, scopes=["read"])
    return url


def test_create_list_get_revoke(server: Any, admin: ApiTokenAdmin, api: str) -> None:
    created = admin.create("deploy", scopes=["read"], expires_in=timedelta(days=30))
    assert isinstance(created, CreatedApiToken)
    assert created.token not in repr(created)
    assert created.fingerprint.startswith("sha256:")
    assert created.expires_at is not None
    assert (created.expires_at - created.created_at) == timedelta(days=30)
    assert httpx.get(api, headers={"Authorization": f"Bearer {created.token}"}).status_code == 200
    (listed,) = admin.list()
    assert type(listed) is ApiTokenInfo
    assert (listed.id, listed.name, listed.scopes) == (created.id, "deploy", ("read",))
    assert listed.last_used_at is not None
    assert admin.get(created.id) == listed
    admin.revoke(created.id)
    assert admin.list() == []
    assert httpx.get(api, headers={"Authorization": f"Bearer {created.token}"}).status_code == 401
    with pytest.raises(ApiTokenNotFound, match="revoked already"):
        admin.revoke(created.id)


def test_never_expiring_by_default(admin: ApiTokenAdmin) -> None:
    created = admin.create("laptop")
    assert created.expires_at is None
    assert created.scopes == ("read",)  # the session's, without the admin scope


def test_bound_token_from_another_device(
    server: Any, admin: ApiTokenAdmin, oauth: OAuthClient
) -> None:
    created = admin.create("this-device", bind_to_session=True)
    assert created.bound_to_session
    other = ApiTokenAdmin(
        oauth, oauth.request_token(PasswordGrant("ada", "pw", [ADMIN])).access_token
    )
    with pytest.raises(ApiTokenForbidden, match="revoke it from that device") as caught:
        other.revoke(created.id)
    assert caught.value.status_code == 403
    admin.revoke(created.id)


def test_missing_admin_scope(server: Any, oauth: OAuthClient) -> None:
    server.add_user("bob", "pw")
    plain = ApiTokenAdmin(
        oauth, oauth.request_token(PasswordGrant("bob", "pw", ["read"])).access_token
    )
    with pytest.raises(ApiTokenForbidden, match="lacks 'api_tokens:admin'"):
        plain.list()


def test_bad_and_expired_admin_tokens(
    server: Any, oauth: OAuthClient, admin: ApiTokenAdmin, clock: TestClock
) -> None:
    with pytest.raises(InvalidToken, match="does not accept the admin token"):
        ApiTokenAdmin(oauth, "not-a-token").list()
    clock.advance(3601)
    with pytest.raises(TokenExpired, match="log in again"):
        admin.list()


def test_bad_arguments(admin: ApiTokenAdmin) -> None:
    with pytest.raises(TypeError, match="not the string"):
        admin.create("x", scopes="read")
    with pytest.raises(ValueError, match="not an API token id"):
        admin.revoke("../x")
    with pytest.raises(ProviderError, match="positive whole number") as caught:
        admin.create("x", expires_in=-5)
    assert getattr(caught.value, "error", None) == "invalid_request"


def test_async(server: Any, admin: ApiTokenAdmin) -> None:
    async def main() -> list[str]:
        created = await admin.acreate("ci", expires_in=60)
        names = [t.name for t in await admin.alist()]
        assert (await admin.aget(created.id)).id == created.id
        await admin.arevoke(created.id)
        return names + [t.name for t in await admin.alist()]

    assert asyncio.run(main()) == ["ci"]


def test_session_auth_renews_itself(server: Any, oauth: OAuthClient, clock: TestClock) -> None:
    from pytest_authmock.client import OAuth2Auth

    server.add_user("ada", "pw")
    token = oauth.request_token(PasswordGrant("ada", "pw", [ADMIN]))
    admin = ApiTokenAdmin(oauth, OAuth2Auth.from_token(oauth, token))
    clock.advance(3601)  # the access token expired; the refresh token renews it
    assert admin.list() == []
    server.journal.assert_count(1, endpoint="token", grant_type="refresh_token")


@pytest.mark.parametrize("source", ["flag", "environment"])
def test_api_token_through_the_resolver(server: Any, tmp_path: Any, api: str, source: str) -> None:
    ada = server.add_user("ada")
    token = server.create_api_token(ada, scopes=["read"])
    home = AuthHome.open("toolx", directory=tmp_path / "home", keyring="never")
    environ = {"TOOLX_TOKEN": token.token} if source == "environment" else {}
    resolver = home.resolver(env_var="TOOLX_TOKEN", environ=environ)
    creds = resolver.resolve(token.token if source == "flag" else None)
    assert creds.source is (
        CredentialSource.FLAG if source == "flag" else CredentialSource.ENVIRONMENT
    )
    assert token.token not in repr(creds)
    with httpx.Client(auth=creds.auth) as http:
        assert http.get(api).json()["username"] == "ada"


def test_an_answer_that_is_not_json(server: Any, admin: ApiTokenAdmin) -> None:
    """A broken 200 is a ProviderError naming the answer, never a JSONDecodeError."""
    created = admin.create("ci")
    server.malformed_json(endpoint="api_tokens", times=3)
    with pytest.raises(ProviderError, match="creating an API token is not JSON"):
        admin.create("again")
    with pytest.raises(ProviderError, match="API-token list answer is not JSON"):
        admin.list()
    with pytest.raises(ProviderError, match="API-token answer is not JSON"):
        admin.get(created.id)
