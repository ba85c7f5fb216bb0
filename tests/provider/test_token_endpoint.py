"""The token endpoint's client authentication and RFC 6749 §5.2 errors."""

from __future__ import annotations

import base64

import httpx
import pytest

from pytest_authmock import FakeIdP
from tests.helpers import token


def _error(response: httpx.Response, status: int, error: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"] == error
    assert isinstance(body["error_description"], str)
    return str(body["error_description"])


@pytest.mark.parametrize("post", [False, True], ids=["client_secret_basic", "client_secret_post"])
def test_client_credentials(provider: FakeIdP, http: httpx.Client, post: bool) -> None:
    client = provider.add_client()
    response = token(http, provider, client, post=post, grant_type="client_credentials")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert "refresh_token" not in body  # RFC 6749 §4.4.3


def test_unknown_client_with_basic_gets_401_and_challenge(
    provider: FakeIdP, http: httpx.Client
) -> None:
    response = http.post(
        provider.url_for("token"), data={"grant_type": "client_credentials"}, auth=("ghost", "x")
    )
    assert "ghost" in _error(response, 401, "invalid_client")
    assert response.headers["www-authenticate"].startswith("Basic realm=")


def test_wrong_secret_in_body_gets_401_without_challenge(
    provider: FakeIdP, http: httpx.Client
) -> None:
    client = provider.add_client()
    response = http.post(
        provider.url_for("token"),
        data={
            "grant_type": "client_credentials",
            "client_id": client.client_id,
            "client_secret": "guessed-Xq7-secret",
        },
    )
    description = _error(response, 401, "invalid_client")
    assert "secret does not match" in description
    # Neither the guess nor the real secret is echoed (client ids are Faker words,
    # so the check uses a guess no word list contains).
    assert "guessed-Xq7-secret" not in description
    assert str(client.client_secret) not in description
    assert "www-authenticate" not in response.headers


def test_no_client_authentication(provider: FakeIdP, http: httpx.Client) -> None:
    response = http.post(provider.url_for("token"), data={"grant_type": "client_credentials"})
    assert "client_secret_basic" in _error(response, 401, "invalid_client")


def test_two_authentication_methods_are_refused(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    assert client.client_secret
    response = http.post(
        provider.url_for("token"),
        data={"grant_type": "client_credentials", "client_secret": client.client_secret},
        auth=(client.client_id, client.client_secret),
    )
    assert "RFC 6749 section 2.3" in _error(response, 400, "invalid_request")


def test_client_restricted_to_post_cannot_use_basic(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client(token_endpoint_auth_method="client_secret_post")
    response = token(http, provider, client, grant_type="client_credentials")
    assert "registered for client_secret_post" in _error(response, 401, "invalid_client")
    assert (
        token(http, provider, client, post=True, grant_type="client_credentials").status_code == 200
    )


def test_basic_credentials_are_form_decoded(provider: FakeIdP, http: httpx.Client) -> None:
    # RFC 6749 §2.3.1: id and secret are form-urlencoded before Base64.
    client = provider.add_client("app:1", "s+cr%t")
    raw = base64.b64encode(b"app%3A1:s%2Bcr%25t").decode()
    response = http.post(
        provider.url_for("token"),
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {raw}"},
    )
    assert response.status_code == 200, response.text
    assert client.client_id == "app:1"


def test_unencoded_basic_secret_gets_a_hint(provider: FakeIdP, http: httpx.Client) -> None:
    provider.add_client("app", "a+b")
    raw = base64.b64encode(b"app:a+b").decode()
    response = http.post(
        provider.url_for("token"),
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {raw}"},
    )
    assert "form-urlencoding" in _error(response, 401, "invalid_client")


@pytest.mark.parametrize(
    "header", ["Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode(), "Basic"]
)
def test_bad_basic_header(provider: FakeIdP, http: httpx.Client, header: str) -> None:
    response = http.post(
        provider.url_for("token"),
        data={"grant_type": "client_credentials"},
        headers={"Authorization": header},
    )
    _error(response, 401, "invalid_client")
    assert response.headers["www-authenticate"].startswith("Basic")


def test_missing_grant_type(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    assert "grant_type" in _error(token(http, provider, client), 400, "invalid_request")


def test_unsupported_grant_type(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    response = token(http, provider, client, grant_type="urn:example:magic")
    assert "client_credentials" in _error(response, 400, "unsupported_grant_type")


def test_grant_not_allowed_for_client(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client("ci-bot", grant_types=["client_credentials"])
    user = provider.add_user()
    response = token(
        http,
        provider,
        client,
        grant_type="password",
        username=user.username,
        password=user.password,
    )
    description = _error(response, 400, "unauthorized_client")
    assert description == (
        "client 'ci-bot' is not allowed the grant 'password'; allowed: client_credentials. "
        "Pass grant_types=[..., 'password'] to add_client()"
    )


def test_public_client_cannot_use_client_credentials(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client(public=True)
    response = http.post(
        provider.url_for("token"),
        data={"grant_type": "client_credentials", "client_id": client.client_id},
    )
    _error(response, 400, "unauthorized_client")


@pytest.mark.parametrize(
    ("scope", "expected"),
    [("read", "read"), ("read write", "read write"), (None, "read write"), ("read  read", "read")],
)
def test_scopes(provider: FakeIdP, http: httpx.Client, scope: str | None, expected: str) -> None:
    client = provider.add_client(scopes=["read", "write"])
    body = token(http, provider, client, grant_type="client_credentials", scope=scope).json()
    assert sorted(body["scope"].split()) == sorted(expected.split())


def test_scope_not_allowed(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client(scopes=["read"])
    response = token(http, provider, client, grant_type="client_credentials", scope="read admin")
    assert "'admin'" in _error(response, 400, "invalid_scope")


def test_scope_with_forbidden_characters(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    response = token(http, provider, client, grant_type="client_credentials", scope='bad"scope')
    _error(response, 400, "invalid_scope")


def test_unrestricted_client_gets_what_it_asks(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    body = token(
        http, provider, client, grant_type="client_credentials", scope="anything:goes"
    ).json()
    assert body["scope"] == "anything:goes"
    assert "scope" not in token(http, provider, client, grant_type="client_credentials").json()


def test_disabled_client(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    client.disabled = True
    assert "disabled" in _error(
        token(http, provider, client, grant_type="client_credentials"), 401, "invalid_client"
    )


def test_per_client_ttl_and_never_expiring_tokens(provider: FakeIdP, http: httpx.Client) -> None:
    short = provider.add_client(access_token_ttl=60)
    forever = provider.add_client(access_token_ttl=None)
    assert token(http, provider, short, grant_type="client_credentials").json()["expires_in"] == 60
    body = token(http, provider, forever, grant_type="client_credentials").json()
    assert "expires_in" not in body  # RFC 6749 §5.1: omitted, as the token does not expire
    provider.clock.advance(10 * 365 * 24 * 3600)
    assert provider.check_bearer(f"Bearer {body['access_token']}").ok
