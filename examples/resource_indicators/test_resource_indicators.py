"""Resource indicators (RFC 8707): a token for the API it is used at, and no other.

Each test runs against ``idp`` (in-process) and ``idp_server`` (a real loopback
socket). The docs embed the marked sections.
"""

from __future__ import annotations

import httpx
import pytest

from pytest_authmock import FakeIdP
from pytest_authmock.client import (
    ClientCredentialsGrant,
    OAuthClient,
    PasswordGrant,
    RefreshTokenGrant,
)

ORDERS = "https://orders.example/api"
BILLING = "https://billing.example/api"


@pytest.fixture(params=["idp", "idp_server"])
def provider(request: pytest.FixtureRequest) -> FakeIdP:
    found: FakeIdP = request.getfixturevalue(request.param)
    return found


def test_a_token_per_api(provider: FakeIdP) -> None:
    orders_api = provider.issuer + "/orders"
    # --8<-- [start:apis]
    provider.protect(orders_api, audience=ORDERS)  # accepts only tokens for ORDERS
    service = provider.add_client("reporting", client_secret="reporting-secret-0123456789")
    with OAuthClient(
        provider.issuer, client_id="reporting", client_secret=service.client_secret
    ) as oauth:
        for_orders = oauth.request_token(ClientCredentialsGrant(resource=ORDERS))
        for_billing = oauth.request_token(ClientCredentialsGrant(resource=BILLING))
    with httpx.Client() as http:
        bearer = {"Authorization": f"Bearer {for_orders.access_token}"}
        assert http.get(orders_api, headers=bearer).status_code == 200
        wrong = {"Authorization": f"Bearer {for_billing.access_token}"}
        assert http.get(orders_api, headers=wrong).status_code == 401  # aud is BILLING
    # --8<-- [end:apis]


def test_refresh_narrows(provider: FakeIdP) -> None:
    user = provider.add_user("ada")
    client = provider.add_client("cli", client_secret="cli-secret-0123456789")
    # --8<-- [start:narrow]
    with OAuthClient(provider.issuer, client_id="cli", client_secret=client.client_secret) as oauth:
        session = oauth.request_token(
            PasswordGrant("ada", user.password, resource=[ORDERS, BILLING])
        )
        assert session.refresh_token is not None
        orders_only = oauth.request_token(
            RefreshTokenGrant(session.refresh_token, resource=[ORDERS]), previous=session
        )
    check = provider.check_bearer(f"Bearer {orders_only.access_token}")
    assert check.token is not None
    assert check.token.audience == (ORDERS,)  # the session keeps both for later refreshes
    # --8<-- [end:narrow]
