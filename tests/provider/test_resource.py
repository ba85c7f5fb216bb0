"""Protected resources (RFC 6750) mounted with ``idp.protect()`` and ``check_bearer``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_authmock import FakeIdP, TokenInfo
from tests.helpers import bearer


@pytest.fixture
def api(provider: FakeIdP) -> str:
    # In-process any host works; a loopback server can only route its own origin.
    base = (
        "https://api.authmock.test"
        if provider.issuer == "https://idp.authmock.test"
        else provider.issuer
    )
    return base + "/api/me"


def test_valid_token_gets_identity(provider: FakeIdP, http: httpx.Client, api: str) -> None:
    provider.protect(api, scopes=["read"])
    user = provider.add_user()
    access = provider.issue_token(user=user, scopes=["read", "write"])
    response = http.get(api, headers=bearer(access))
    assert response.status_code == 200
    body = response.json()
    assert body["sub"] == user.sub
    assert body["username"] == user.username
    assert body["scope"] == "read write"
    assert provider.journal.last(endpoint="resource").status_code == 200


def test_no_token_gets_bare_challenge(provider: FakeIdP, http: httpx.Client, api: str) -> None:
    provider.protect(api)
    response = http.get(api)
    assert response.status_code == 401
    # RFC 6750 §3.1: no error code when the request carried no credentials.
    assert response.headers["www-authenticate"] == f'Bearer realm="{provider.issuer}"'


def test_malformed_header_is_invalid_request(
    provider: FakeIdP, http: httpx.Client, api: str
) -> None:
    provider.protect(api)
    response = http.get(api, headers={"Authorization": "Token abc"})
    assert response.status_code == 400
    assert 'error="invalid_request"' in response.headers["www-authenticate"]


@pytest.mark.parametrize(
    ("setup", "description"),
    [
        ("unknown", "unknown token"),
        ("revoked", "token was revoked"),
        ("expired", "token expired at"),
        ("audience", "does not include 'https://other.test'"),
        ("forged", "signature does not verify"),
        ("foreign", "token was issued by 'https://elsewhere.test'"),
        ("refresh", "a refresh token is not an access token"),
    ],
)
def test_invalid_tokens(
    provider: FakeIdP, http: httpx.Client, api: str, setup: str, description: str
) -> None:
    provider.protect(api, audience="https://other.test" if setup == "audience" else None)
    value = provider.issue_token()
    if setup == "unknown":
        value = "not-a-token"
    elif setup == "revoked":
        provider.revoke_token(value)
    elif setup == "expired":
        provider.clock.advance(3600)
    elif setup == "forged":
        head, claims, _ = value.split(".")
        value = f"{head}.{claims}.AAAA"
    elif setup == "foreign":
        value = FakeIdP(issuer="https://elsewhere.test").issue_token()
    elif setup == "refresh":
        value = _refresh_via(http, provider)
    response = http.get(api, headers=bearer(value))
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith(f'Bearer realm="{provider.issuer}", error="invalid_token"')
    assert description in challenge
    assert description in response.json()["error_description"]


def _refresh_via(http: httpx.Client, idp: FakeIdP) -> str:
    client = idp.add_client()
    user = idp.add_user()
    body: dict[str, Any] = http.post(
        idp.url_for("token"),
        data={"grant_type": "password", "username": user.username, "password": user.password},
        auth=(client.client_id, str(client.client_secret)),
    ).json()
    return str(body["refresh_token"])


def test_insufficient_scope_is_403_with_scope(
    provider: FakeIdP, http: httpx.Client, api: str
) -> None:
    provider.protect(api, scopes=["read", "admin"])
    response = http.get(api, headers=bearer(provider.issue_token(scopes=["read"])))
    assert response.status_code == 403
    challenge = response.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="read admin"' in challenge


def test_leeway_accepts_recently_expired_tokens(
    provider: FakeIdP, http: httpx.Client, api: str
) -> None:
    provider.protect(api, leeway=30)
    value = provider.issue_token(ttl=60)
    provider.clock.advance(80)
    assert http.get(api, headers=bearer(value)).status_code == 200
    provider.clock.advance(20)
    assert http.get(api, headers=bearer(value)).status_code == 401


def test_audience_match(provider: FakeIdP, http: httpx.Client, api: str) -> None:
    provider.protect(api, audience="https://api.example")
    client = provider.add_client(audience=["https://api.example", "https://other"])
    assert http.get(api, headers=bearer(provider.issue_token(client))).status_code == 200


def test_custom_response_and_methods(provider: FakeIdP, http: httpx.Client, api: str) -> None:
    def respond(request: httpx.Request, info: TokenInfo) -> dict[str, Any]:
        return {"hello": info.sub, "method": request.method}

    provider.protect(api, methods=["GET"], respond=respond)
    client = provider.add_client()
    value = provider.issue_token(client)
    assert http.get(api, headers=bearer(value)).json() == {
        "hello": client.client_id,
        "method": "GET",
    }
    response = http.post(api, headers=bearer(value))
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"


def test_disabled_client_tokens_stop_working(
    provider: FakeIdP, http: httpx.Client, api: str
) -> None:
    provider.protect(api)
    client = provider.add_client()
    value = provider.issue_token(client)
    client.disabled = True
    assert "disabled" in http.get(api, headers=bearer(value)).json()["error_description"]


def test_check_bearer_for_your_own_server(idp: FakeIdP) -> None:
    value = idp.issue_token(scopes=["read"])
    result = idp.check_bearer(f"Bearer {value}", scopes=["read"])
    assert result.ok
    assert result.token is not None
    assert result.token.scope == ("read",)
    assert result.to_response().status_code == 200
    denied = idp.check_bearer(f"Bearer {value}", scopes=["write"])
    assert (denied.ok, denied.status_code, denied.error) == (False, 403, "insufficient_scope")
    assert denied.to_response().headers["www-authenticate"] == denied.www_authenticate


def test_protect_validates_arguments(idp: FakeIdP) -> None:
    with pytest.raises(TypeError, match="list of scope names"):
        idp.protect("https://api.test/x", scopes="read")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="absolute http"):
        idp.protect("/relative")


def test_check_bearer_refuses_an_unknown_requirement(idp: FakeIdP) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'scope'"):
        idp.check_bearer("Bearer x", scope=["profile"])  # type: ignore[call-arg]
