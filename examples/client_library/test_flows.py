"""The client library's flows, each as a short test against the fake provider.

The docs embed the marked sections of this file.
"""

from __future__ import annotations

import asyncio

import httpx

from pytest_authmock import FakeIdP
from pytest_authmock.client import (
    BearerAuth,
    OAuth2Auth,
    OAuthClient,
    PasswordGrant,
    TokenManager,
)

API = "https://api.example.test/orders"


def test_client_credentials(idp: FakeIdP) -> None:
    service = idp.add_client("billing", scopes=["orders:read"])
    idp.protect(API, scopes=["orders:read"])
    # --8<-- [start:client_credentials]
    oauth = OAuthClient(
        idp.issuer,  # endpoints come from its discovery document
        client_id=service.client_id,
        client_secret=service.client_secret,
        auth_method="client_secret_basic",  # or "client_secret_post", "tls_client_auth"
    )
    auth = OAuth2Auth.client_credentials(oauth, scopes=["orders:read"], leeway=30)
    with httpx.Client(auth=auth) as http:
        for _ in range(3):
            assert http.get(API).status_code == 200
    # --8<-- [end:client_credentials]
    idp.journal.assert_count(1, endpoint="token")  # one token, reused


def test_password_login_and_refresh(idp: FakeIdP) -> None:
    idp.add_client("cli", public=True)
    ada = idp.add_user("ada")
    idp.protect(API)
    # --8<-- [start:password]
    oauth = OAuthClient(idp.issuer, client_id="cli")  # a public client: no secret
    auth = OAuth2Auth.password(oauth, "ada", ada.password, scopes=["openid"])
    with httpx.Client(auth=auth) as http:
        assert http.get(API).status_code == 200  # password grant, once
        idp.clock.advance(3601)  # the provider expires the token...
        assert http.get(API).status_code == 200  # ...401, one refresh, one retry
    # --8<-- [end:password]
    idp.journal.assert_count(1, endpoint="token", grant_type="refresh_token")


def test_async(idp: FakeIdP) -> None:
    service = idp.add_client()
    idp.protect(API)
    # --8<-- [start:async]
    oauth = OAuthClient(
        idp.issuer, client_id=service.client_id, client_secret=service.client_secret
    )
    auth = OAuth2Auth.client_credentials(oauth)

    async def main() -> list[int]:
        async with httpx.AsyncClient(auth=auth) as http:
            # 50 concurrent requests, one token request (single-flight).
            responses = await asyncio.gather(*(http.get(API) for _ in range(50)))
        return [r.status_code for r in responses]

    assert asyncio.run(main()) == [200] * 50
    # --8<-- [end:async]
    idp.journal.assert_count(1, endpoint="token")


def test_static_bearer_and_manual_tokens(idp: FakeIdP) -> None:
    service = idp.add_client()
    ada = idp.add_user("ada")
    idp.protect(API)
    # --8<-- [start:manual]
    oauth = OAuthClient(
        idp.issuer, client_id=service.client_id, client_secret=service.client_secret
    )
    token = oauth.request_token(PasswordGrant("ada", ada.password))  # a Token, nothing more
    print(token)  # Token(type='Bearer', access=sha256:…, refresh=sha256:…, …): never the secret
    with httpx.Client(auth=BearerAuth(token.access_token)) as http:
        assert http.get(API).status_code == 200
    manager = TokenManager(oauth, token=token, leeway=60)  # renews with the refresh token
    assert manager.get_token() is token
    oauth.revoke(token.refresh_token or "", token_type_hint="refresh_token")  # RFC 7009
    # --8<-- [end:manual]
    assert oauth.introspect(token.access_token) == {"active": False}
