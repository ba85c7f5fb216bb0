"""Resource indicators (RFC 8707) on every grant, over both transports: ``aud`` follows ``resource``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_authmock.client import (
    ClientCredentialsGrant,
    DeviceFlow,
    JwtBearerGrant,
    OAuthClient,
    PasswordGrant,
    PrivateKeyJwt,
    ProviderError,
    RefreshTokenGrant,
    TokenExchangeGrant,
    authorize_in_browser,
    pkce_pair,
)
from tests.breadth.helpers import auto_browser, claims_of, oauth

ORDERS = "https://orders.example/api"
BILLING = "https://billing.example/api"
LOOPBACK = "http://127.0.0.1/callback"


def aud(token: str) -> list[str]:
    value = claims_of(token)["aud"]
    return [value] if isinstance(value, str) else list(value)


def test_client_credentials_for_two_apis(provider: Any) -> None:
    client = provider.add_client()
    with oauth(provider, client) as client_lib:
        token = client_lib.request_token(ClientCredentialsGrant(resource=[ORDERS, BILLING]))
    assert aud(token.access_token) == [ORDERS, BILLING]
    assert provider.check_bearer(f"Bearer {token.access_token}", audience=BILLING).ok
    assert not provider.check_bearer(
        f"Bearer {token.access_token}", audience="https://x.example"
    ).ok


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        ("/relative", "must be an absolute URI"),
        ("https://orders.example/api#frag", "without a fragment"),
        ("https://elsewhere.example", "may not ask for resource"),
    ],
)
def test_bad_resources_are_invalid_target(
    provider: Any, http: httpx.Client, resource: str, message: str
) -> None:
    client = provider.add_client(resources=[ORDERS, BILLING])
    answer = http.post(
        provider.url_for("token"),
        data={"grant_type": "client_credentials", "resource": resource},
        auth=(client.client_id, client.client_secret),
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_target"
    assert message in answer.json()["error_description"]


def test_refresh_narrows_but_never_widens(provider: Any) -> None:
    client = provider.add_client()
    user = provider.add_user()
    with oauth(provider, client) as client_lib:
        first = client_lib.request_token(
            PasswordGrant(user.username, user.password, resource=[ORDERS, BILLING])
        )
        assert aud(first.access_token) == [ORDERS, BILLING]
        assert first.refresh_token is not None
        narrow = client_lib.request_token(
            RefreshTokenGrant(first.refresh_token, resource=[ORDERS]), previous=first
        )
        assert aud(narrow.access_token) == [ORDERS]
        assert narrow.refresh_token is not None
        with pytest.raises(ProviderError, match="was not part of the original grant") as info:
            client_lib.request_token(
                RefreshTokenGrant(narrow.refresh_token, resource=["https://x.example"])
            )
        assert info.value.error == "invalid_target"
    # A refused refresh does not consume the token: the whole grant is still there.
    with oauth(provider, client) as client_lib:
        again = client_lib.request_token(RefreshTokenGrant(narrow.refresh_token), previous=narrow)
    assert aud(again.access_token) == [ORDERS, BILLING]


def test_device_flow_resource(provider: Any) -> None:
    provider.auto_approve = provider.add_user()
    client = provider.add_client(public=True)
    with OAuthClient(
        provider.issuer,
        client_id=client.client_id,
        verify=getattr(provider, "httpx_verify", None) or True,
    ) as client_lib:
        flow = DeviceFlow(client_lib, resource=[ORDERS], sleep=lambda _: None)
        token = flow.poll(flow.start())
    assert aud(token.access_token) == [ORDERS]


def test_browser_login_resource(provider: Any) -> None:
    provider.auto_approve = provider.add_user()
    provider.add_client("cli", public=True, redirect_uris=[LOOPBACK])
    browser = auto_browser(provider)

    with OAuthClient(
        provider.issuer, client_id="cli", verify=getattr(provider, "httpx_verify", None) or True
    ) as client_lib:
        token = authorize_in_browser(client_lib, open_browser=browser, resource=[ORDERS, BILLING])
    assert aud(token.access_token) == [ORDERS, BILLING]


def test_authorization_request_with_a_bad_resource_redirects_invalid_target(
    provider: Any, http: httpx.Client
) -> None:
    client = provider.add_client(public=True, redirect_uris=[LOOPBACK])
    answer = http.get(
        provider.url_for("authorization"),
        params={
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": LOOPBACK,
            "resource": "not-a-uri",
        },
    )
    assert httpx.URL(answer.headers["location"]).params["error"] == "invalid_target"


def test_jwt_bearer_and_token_exchange_resources(provider: Any) -> None:
    robot = PrivateKeyJwt.generate("robot")
    provider.add_client("robot", jwks=robot.jwks())
    with OAuthClient(
        provider.issuer, client_auth=robot, verify=getattr(provider, "httpx_verify", None) or True
    ) as client_lib:
        token = client_lib.request_token(
            JwtBearerGrant(robot.assertion(provider.issuer), resource=ORDERS)
        )
        assert aud(token.access_token) == [ORDERS]
        exchanged = client_lib.request_token(
            TokenExchangeGrant(
                token.access_token, audience=["orders-service", "audit"], resource=BILLING
            )
        )
    assert aud(exchanged.access_token) == ["orders-service", "audit", BILLING]


def test_a_protected_api_checks_its_audience(provider: Any) -> None:
    api = provider.issuer + "/api/orders"
    provider.protect(api, audience=ORDERS)
    client = provider.add_client()
    with oauth(provider, client) as client_lib:
        for_orders = client_lib.request_token(ClientCredentialsGrant(resource=ORDERS))
        for_billing = client_lib.request_token(ClientCredentialsGrant(resource=BILLING))
    with httpx.Client(verify=getattr(provider, "httpx_verify", None) or True) as http:
        assert (
            http.get(
                api, headers={"Authorization": f"Bearer {for_orders.access_token}"}
            ).status_code
            == 200
        )
        refused = http.get(api, headers={"Authorization": f"Bearer {for_billing.access_token}"})
    assert refused.status_code == 401
    assert "audience" in refused.json()["error_description"]


def test_a_code_exchange_cannot_widen_and_keeps_the_code(provider: Any, http: httpx.Client) -> None:
    provider.auto_approve = provider.add_user()
    client = provider.add_client(public=True, redirect_uris=[LOOPBACK])
    verifier, challenge = pkce_pair()
    authorize = http.get(
        provider.url_for("authorization"),
        params={
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": LOOPBACK,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "resource": ORDERS,
        },
    )
    code = httpx.URL(authorize.headers["location"]).params["code"]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": LOOPBACK,
        "client_id": client.client_id,
        "code_verifier": verifier,
    }
    wider = http.post(provider.url_for("token"), data={**form, "resource": BILLING})
    assert wider.json()["error"] == "invalid_target"
    granted = http.post(provider.url_for("token"), data=form)
    assert granted.status_code == 200, granted.text
    assert aud(granted.json()["access_token"]) == [ORDERS]
