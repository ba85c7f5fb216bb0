"""The client library's flows, each as a short test against the fake provider.

The docs embed the marked sections of this file.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Sequence
from typing import ClassVar

import httpx

from pytest_authmock import FakeIdP
from pytest_authmock.client import (
    BearerAuth,
    Grant,
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


def test_resource_indicators(idp: FakeIdP) -> None:
    service = idp.add_client()
    ada = idp.add_user("ada")
    # --8<-- [start:resource]
    oauth = OAuthClient(
        idp.issuer, client_id=service.client_id, client_secret=service.client_secret
    )
    # RFC 8707: name the API(s) the token is for; one URI, or several.
    orders = OAuth2Auth.client_credentials(oauth, resource="https://orders.example.com/")
    # A user's token: the password grant and every refresh ask for the same API.
    user = OAuth2Auth.password(oauth, "ada", ada.password, resource="https://orders.example.com/")
    # --8<-- [end:resource]
    assert orders.manager.get_token().access_token
    assert user.manager.get_token().refresh_token


def test_threads_and_tasks_share_one_flight(idp: FakeIdP) -> None:
    service = idp.add_client()
    idp.protect(API)
    # --8<-- [start:threads_and_tasks]
    oauth = OAuthClient(
        idp.issuer, client_id=service.client_id, client_secret=service.client_secret
    )
    auth = OAuth2Auth.client_credentials(oauth)  # one auth for the whole program

    def in_a_thread() -> int:
        with httpx.Client(auth=auth) as http:
            return http.get(API).status_code

    async def in_tasks() -> list[int]:
        async with httpx.AsyncClient(auth=auth) as http:
            responses = await asyncio.gather(*(http.get(API) for _ in range(20)))
        await auth.aclose()  # the async HTTP client of the token requests, on this loop
        return [r.status_code for r in responses]

    threads = [threading.Thread(target=in_a_thread) for _ in range(20)]
    for thread in threads:
        thread.start()
    assert asyncio.run(in_tasks()) == [200] * 20
    for thread in threads:
        thread.join()
    auth.close()
    # --8<-- [end:threads_and_tasks]
    idp.journal.assert_count(1, endpoint="token")  # one token for threads and tasks


# --8<-- [start:custom_grant]
@dataclasses.dataclass(frozen=True)
class OrganizationGrant:
    """Client credentials for one organization (a vendor parameter, as Auth0 has)."""

    organization: str
    scopes: Sequence[str] = ()
    grant_type: ClassVar[str] = "client_credentials"
    reusable: ClassVar[bool] = True  # may be run again when the token runs out
    idempotent: ClassVar[bool] = True  # a lost answer may be asked for again

    def form(self) -> dict[str, str | list[str]]:
        return {
            "grant_type": self.grant_type,
            "organization": self.organization,
            "scope": " ".join(self.scopes),
        }


# --8<-- [end:custom_grant]


def test_custom_grant(idp: FakeIdP) -> None:
    service = idp.add_client(scopes=["orders:read"])
    oauth = OAuthClient(
        idp.issuer, client_id=service.client_id, client_secret=service.client_secret
    )
    grant: Grant = OrganizationGrant("acme", ["orders:read"])  # type-checks as a Grant
    manager = TokenManager(oauth, grant)
    assert manager.get_token().scopes == ("orders:read",)
