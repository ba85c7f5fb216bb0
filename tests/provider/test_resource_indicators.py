"""RFC 8707 resource indicators on every grant, over both transports.

The audience of a token follows the ``resource`` asked for; the parameter may be
repeated (§2); a resource outside what the client or provider allows is
``invalid_target``; a grant bounds what its later token requests may name
(§2.2), and a refresh may narrow it.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from pytest_authmock import FakeIdP
from tests.flows.helpers import DEVICE_GRANT, VERIFIER, challenge
from tests.helpers import bearer, token

ORDERS = "https://orders.example.com/"
BILLING = "https://billing.example.com/api"
OTHER = "https://other.example.com/"
APP = "http://127.0.0.1/callback"
REDIRECT = "http://127.0.0.1:53682/callback"


def audience(http: httpx.Client, idp: FakeIdP, client: Any, value: str) -> list[str]:
    """The token's audience, as introspection (RFC 7662) reports it."""
    response = http.post(
        idp.url_for("introspection"),
        data={"token": value},
        auth=(client.client_id, client.client_secret),
    )
    body = response.json()
    assert body["active"] is True, body
    aud = body["aud"]
    return [aud] if isinstance(aud, str) else list(aud)


def error_of(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert isinstance(body["error_description"], str)
    return str(body["error"])


def hidden_pairs(page: str) -> list[tuple[str, str]]:
    """The hidden inputs of a page's form, a repeated name once per input."""
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    return [(unescape(name), unescape(value)) for name, value in found]


def form(*pairs: tuple[str, str]) -> str:
    """A form body with repeated parameters, as RFC 8707 §2 sends several resources."""
    return str(httpx.QueryParams(list(pairs)))


def post_token(http: httpx.Client, idp: FakeIdP, client: Any, *pairs: tuple[str, str]) -> Any:
    return http.post(
        idp.url_for("token"),
        content=form(*pairs),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=(client.client_id, client.client_secret),
    )


# -- client credentials and password ---------------------------------------------------


def test_client_credentials_token_is_for_the_resource(
    provider: FakeIdP, http: httpx.Client
) -> None:
    client = provider.add_client()
    answer = token(http, provider, client, grant_type="client_credentials", resource=ORDERS)
    assert answer.status_code == 200, answer.text
    value = answer.json()["access_token"]
    assert audience(http, provider, client, value) == [ORDERS]
    claims = jwt.decode(value, KeySet.import_key_set(provider.keys.jwks())).claims
    assert claims["aud"] == ORDERS


def test_a_repeated_resource_is_one_audience_each(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    answer = post_token(
        http,
        provider,
        client,
        ("grant_type", "client_credentials"),
        ("resource", ORDERS),
        ("resource", BILLING),
    )
    assert answer.status_code == 200, answer.text
    value = answer.json()["access_token"]
    assert audience(http, provider, client, value) == [ORDERS, BILLING]
    claims = jwt.decode(value, KeySet.import_key_set(provider.keys.jwks())).claims
    assert claims["aud"] == [ORDERS, BILLING]


def test_without_resource_the_audience_is_the_default(
    provider: FakeIdP, http: httpx.Client
) -> None:
    client = provider.add_client()
    value = token(http, provider, client, grant_type="client_credentials").json()["access_token"]
    assert audience(http, provider, client, value) == [provider.issuer]


def test_other_parameters_may_still_not_repeat(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    answer = post_token(
        http, provider, client, ("grant_type", "client_credentials"), ("scope", "a"), ("scope", "b")
    )
    assert error_of(answer) == "invalid_request"
    assert "'scope' was sent more than once" in answer.json()["error_description"]


@pytest.mark.parametrize(
    "bad", ["orders", "/relative/path", "https://api.example.com/#frag", "https://a b.example/"]
)
def test_a_resource_that_is_no_absolute_uri_is_invalid_target(
    provider: FakeIdP, http: httpx.Client, bad: str
) -> None:
    answer = token(
        http, provider, provider.add_client(), grant_type="client_credentials", resource=bad
    )
    assert error_of(answer) == "invalid_target"
    assert "RFC 8707" in answer.json()["error_description"] or "white space" in answer.text


def test_a_client_is_held_to_its_resources(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client(resources=[ORDERS])
    ok = token(http, provider, client, grant_type="client_credentials", resource=ORDERS)
    assert ok.status_code == 200
    refused = token(http, provider, client, grant_type="client_credentials", resource=BILLING)
    assert error_of(refused) == "invalid_target"
    assert "Pass resources=[...] to add_client()" in refused.json()["error_description"]


def test_the_provider_is_held_to_its_resources(provider: FakeIdP, http: httpx.Client) -> None:
    provider.protocol_settings.resources = (ORDERS,)
    client = provider.add_client()
    assert token(
        http, provider, client, grant_type="client_credentials", resource=ORDERS
    ).is_success
    refused = token(http, provider, client, grant_type="client_credentials", resource=OTHER)
    assert error_of(refused) == "invalid_target"
    assert "protocol_settings.resources" in refused.json()["error_description"]


def test_add_client_checks_its_resources(idp: FakeIdP) -> None:
    with pytest.raises(ValueError, match="absolute URI without a fragment"):
        idp.add_client(resources=["orders"])
    with pytest.raises(TypeError, match="list of URIs"):
        idp.add_client(resources=ORDERS)  # type: ignore[arg-type]


def test_password_then_refresh_may_narrow(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    user = provider.add_user()
    login = post_token(
        http,
        provider,
        client,
        ("grant_type", "password"),
        ("username", user.username),
        ("password", user.password),
        ("resource", ORDERS),
        ("resource", BILLING),
    ).json()
    assert audience(http, provider, client, login["access_token"]) == [ORDERS, BILLING]

    def refresh(value: str, resource: str | None = None) -> httpx.Response:
        return token(
            http,
            provider,
            client,
            grant_type="refresh_token",
            refresh_token=value,
            resource=resource,
        )

    narrowed = refresh(login["refresh_token"], BILLING).json()
    assert audience(http, provider, client, narrowed["access_token"]) == [BILLING]
    # The rotated refresh token still holds the whole grant (RFC 8707 §2.2).
    whole = refresh(narrowed["refresh_token"]).json()
    assert audience(http, provider, client, whole["access_token"]) == [ORDERS, BILLING]
    widened = refresh(whole["refresh_token"], OTHER)
    assert error_of(widened) == "invalid_target"
    assert "was not part of the original grant" in widened.json()["error_description"]


# -- device code -----------------------------------------------------------------------


def test_device_flow_bounds_its_token_to_the_resources_asked_for(
    provider: FakeIdP, http: httpx.Client
) -> None:
    client = provider.add_client()
    started = http.post(
        provider.metadata()["device_authorization_endpoint"],
        content=form(("resource", ORDERS), ("resource", BILLING)),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=(client.client_id, client.client_secret),
    ).json()
    provider.approve_device(started["user_code"], user=provider.add_user())
    poll = [("grant_type", DEVICE_GRANT), ("device_code", started["device_code"])]
    refused = post_token(http, provider, client, *poll, ("resource", OTHER))
    assert error_of(refused) == "invalid_target"
    answer = post_token(http, provider, client, *poll, ("resource", ORDERS)).json()
    assert audience(http, provider, client, answer["access_token"]) == [ORDERS]
    refreshed = token(
        http, provider, client, grant_type="refresh_token", refresh_token=answer["refresh_token"]
    ).json()
    assert audience(http, provider, client, refreshed["access_token"]) == [ORDERS, BILLING]


def test_device_authorization_refuses_a_bad_resource(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client(resources=[ORDERS])
    answer = http.post(
        provider.metadata()["device_authorization_endpoint"],
        data={"resource": BILLING},
        auth=(client.client_id, client.client_secret),
    )
    assert error_of(answer) == "invalid_target"


# -- authorization code ----------------------------------------------------------------


def authorize_url(idp: FakeIdP, *resources: str, **extra: str) -> str:
    params = [
        ("response_type", "code"),
        ("client_id", "app"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("state", "st"),
        ("code_challenge", challenge()),
        ("code_challenge_method", "S256"),
        *(("resource", r) for r in resources),
        *extra.items(),
    ]
    return str(httpx.URL(idp.metadata()["authorization_endpoint"], params=params))


def exchange(http: httpx.Client, idp: FakeIdP, code: str, *resources: str) -> httpx.Response:
    return http.post(
        idp.url_for("token"),
        content=form(
            ("grant_type", "authorization_code"),
            ("client_id", "app"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            *(("resource", r) for r in resources),
        ),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def code_of(response: httpx.Response) -> str:
    assert response.status_code in (302, 303), response.text
    return str(httpx.URL(response.headers["location"]).params["code"])


@pytest.fixture
def app(provider: FakeIdP) -> Any:
    provider.add_user("ada", "correct horse")
    return provider.add_client("app", public=True, redirect_uris=[APP])


def introspector(provider: FakeIdP) -> Any:
    return provider.add_client()


def test_the_sign_in_page_carries_every_resource(
    provider: FakeIdP, http: httpx.Client, app: Any
) -> None:
    page = http.get(authorize_url(provider, ORDERS, BILLING))
    assert page.status_code == 200, page.text
    carried = [value for name, value in hidden_pairs(page.text) if name == "resource"]
    assert carried == [ORDERS, BILLING]
    done = http.post(
        provider.url_for("authorization"),
        content=form(
            *hidden_pairs(page.text),
            ("username", "ada"),
            ("password", "correct horse"),
            ("action", "approve"),
        ),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    code = code_of(done)
    answer = exchange(http, provider, code, BILLING).json()
    checker = introspector(provider)
    assert audience(http, provider, checker, answer["access_token"]) == [BILLING]
    refreshed = http.post(
        provider.url_for("token"),
        data={
            "grant_type": "refresh_token",
            "client_id": "app",
            "refresh_token": answer["refresh_token"],
        },
    ).json()
    assert audience(http, provider, checker, refreshed["access_token"]) == [ORDERS, BILLING]


def test_the_exchange_may_not_widen_the_authorization(
    provider: FakeIdP, http: httpx.Client, app: Any
) -> None:
    provider.auto_approve = "ada"
    code = code_of(http.get(authorize_url(provider, ORDERS)))
    refused = exchange(http, provider, code, BILLING)
    assert error_of(refused) == "invalid_target"
    assert "authorization request" in refused.json()["error_description"]
    # The refusal did not spend the code.
    answer = exchange(http, provider, code)
    assert answer.status_code == 200, answer.text
    assert audience(http, provider, introspector(provider), answer.json()["access_token"]) == [
        ORDERS
    ]


def test_an_authorization_request_with_a_bad_resource_goes_back_with_invalid_target(
    provider: FakeIdP, http: httpx.Client
) -> None:
    provider.add_client("app", public=True, redirect_uris=[APP], resources=[ORDERS])
    response = http.get(authorize_url(provider, BILLING))
    assert response.status_code == 302
    params = httpx.URL(response.headers["location"]).params
    assert params["error"] == "invalid_target"
    assert params["state"] == "st"


# -- userinfo --------------------------------------------------------------------------


def test_userinfo_refuses_a_client_token_with_a_challenge(
    provider: FakeIdP, http: httpx.Client
) -> None:
    client = provider.add_client()
    value = token(http, provider, client, grant_type="client_credentials", scope="openid").json()[
        "access_token"
    ]
    response = http.get(provider.url_for("userinfo"), headers=bearer(value))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    challenge_header = response.headers["www-authenticate"]
    assert challenge_header.startswith("Bearer ")
    assert 'error="invalid_token"' in challenge_header
    assert f'realm="{provider.issuer}"' in challenge_header
