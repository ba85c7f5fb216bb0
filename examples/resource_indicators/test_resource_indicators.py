"""An SDK that talks to two APIs of one platform, with a token for each (RFC 8707).

Each API refuses tokens meant for the other (its ``audience``), so the SDK asks
for a token per API with ``resource=``. Runs in-process and over the loopback
server.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_authmock import FakeIdP
from pytest_authmock.client import ClientCredentialsGrant, OAuth2Auth, OAuthClient, ProviderError


@pytest.fixture(params=["idp", "idp_server"])
def provider(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(request.param)


def test_one_token_per_api(provider: FakeIdP) -> None:
    # The APIs live on the provider's origin, so the loopback server can serve them too.
    orders, billing = provider.issuer + "/orders", provider.issuer + "/billing"
    # --8<-- [start:apis]
    provider.protect(orders, audience=orders)  # accepts only tokens for itself
    provider.protect(billing, audience=billing)
    sdk = provider.add_client(resources=[orders, billing])  # may ask for these two
    # --8<-- [end:apis]
    verify = getattr(provider, "httpx_verify", True)
    # --8<-- [start:sdk]
    oauth = OAuthClient(
        provider.issuer, client_id=sdk.client_id, client_secret=sdk.client_secret, verify=verify
    )
    with (
        httpx.Client(
            auth=OAuth2Auth.client_credentials(oauth, resource=orders), verify=verify
        ) as orders_api,
        httpx.Client(
            auth=OAuth2Auth.client_credentials(oauth, resource=billing), verify=verify
        ) as billing_api,
    ):
        assert orders_api.get(orders).json()["aud"] == [orders]
        assert billing_api.get(billing).json()["aud"] == [billing]
        # A token for orders is no use at billing: 401 invalid_token.
        assert orders_api.get(billing).status_code == 401
    # --8<-- [end:sdk]
    oauth.close()


def test_a_resource_the_client_may_not_ask_for(provider: FakeIdP) -> None:
    sdk = provider.add_client(resources=["https://orders.example.com/"])
    with OAuthClient(
        provider.issuer,
        client_id=sdk.client_id,
        client_secret=sdk.client_secret,
        verify=getattr(provider, "httpx_verify", True),
    ) as oauth:
        # --8<-- [start:invalid_target]
        with pytest.raises(ProviderError) as refused:
            oauth.request_token(ClientCredentialsGrant(resource="https://billing.example.com/"))
        assert refused.value.error == "invalid_target"  # RFC 8707 §2
        # --8<-- [end:invalid_target]
