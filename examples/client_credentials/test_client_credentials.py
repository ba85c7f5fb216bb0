"""Scenario: an SDK exchanging a client id and secret for a bearer token (client credentials)."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from examples.client_credentials.platform_sdk import Platform, PlatformError
from pytest_authmock import FakeIdP

API = "https://platform.example.test"


@pytest.fixture
def platform_api(idp: FakeIdP) -> str:
    idp.protect(f"{API}/assets", scopes=[])
    return API


def test_token_is_fetched_once_and_reused(idp: FakeIdP, platform_api: str) -> None:
    client = idp.add_client("sdk-user")
    sdk = Platform(
        platform_api, issuer=idp.issuer, client_id="sdk-user", client_secret=client.client_secret
    )

    for _ in range(5):
        assert sdk.get("/assets").status_code == 200

    idp.journal.assert_count(
        1, endpoint="token", grant_type="client_credentials", client_id="sdk-user"
    )


def test_token_is_renewed_when_it_expires(idp: FakeIdP, platform_api: str) -> None:
    client = idp.add_client(access_token_ttl=300)
    with freeze_time() as frozen:  # moves the SDK's clock and the provider's together
        sdk = Platform(
            platform_api,
            issuer=idp.issuer,
            client_id=client.client_id,
            client_secret=client.client_secret,
        )
        sdk.get("/assets")
        frozen.tick(301)
        assert sdk.get("/assets").status_code == 200

    assert idp.journal.count(endpoint="token") == 2
    assert idp.journal.count(endpoint="resource", status_code=401) == 0  # renewed before, not after


def test_revoked_token_is_replaced_after_one_401(idp: FakeIdP, platform_api: str) -> None:
    client = idp.add_client()
    sdk = Platform(
        platform_api,
        issuer=idp.issuer,
        client_id=client.client_id,
        client_secret=client.client_secret,
    )
    sdk.get("/assets")
    for token in list(idp.store.tokens):
        idp.revoke_token(token)

    assert sdk.get("/assets").status_code == 200
    assert idp.journal.count(endpoint="resource", status_code=401) == 1
    assert idp.journal.count(endpoint="token") == 2


def test_wrong_secret_is_a_clear_error(idp: FakeIdP) -> None:
    client = idp.add_client()
    sdk = Platform(
        API, issuer=idp.issuer, client_id=client.client_id, client_secret="not-the-secret"
    )
    with pytest.raises(PlatformError, match="invalid_client"):
        sdk.get("/assets")


def test_bearer_token_handed_in_directly(idp: FakeIdP, platform_api: str) -> None:
    token = idp.issue_token(scopes=["assets:read"])
    sdk = Platform(platform_api, bearer_token=token)

    assert sdk.get("/assets").json()["scope"] == "assets:read"
    assert idp.journal.count(endpoint="token") == 0
