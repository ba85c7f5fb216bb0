"""The token endpoint: client credentials (RFC 6749 §4.4) and its errors (§5.2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pytest_authmock.contract.checks import Choices, Provider, jwt_header

KNOWN_ERRORS = {
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
}


def _error(response: Any) -> str:
    assert response.headers.get("content-type", "").startswith("application/json"), (
        f"error answer ({response.status_code}) is not JSON: {response.headers.get('content-type')}"
    )
    body = response.json()
    error = body.get("error")
    assert isinstance(error, str), f"error answer has no 'error' member: {body}"
    return error


@pytest.fixture(scope="module")
def issued(provider: Provider, needs_grant: Callable[[str], None]) -> Any:
    needs_grant("client_credentials")
    return provider.token({"grant_type": "client_credentials"})


def test_client_credentials_succeeds(issued: Any, choices: Choices) -> None:
    assert issued.status_code == 200, (
        f"client_credentials answered {issued.status_code}: {issued.text}"
    )
    body = issued.json()
    assert isinstance(body.get("access_token"), str) and body["access_token"]
    token_type = body.get("token_type")
    assert isinstance(token_type, str) and token_type.lower() == "bearer", (
        f"token_type {token_type!r}"
    )
    choices.record("token_type spelling", token_type)
    expires_in = body.get("expires_in")
    choices.record(
        "expires_in in token answers",
        "absent" if expires_in is None else f"{expires_in} s",
        "access_token_ttl=<seconds> or None",
    )
    # RFC 6749 §4.4.3: a refresh token SHOULD NOT be included.
    choices.record(
        "refresh token for client_credentials", "yes" if "refresh_token" in body else "no"
    )


def test_token_answers_are_not_cached(issued: Any) -> None:
    # RFC 6749 §5.1: Cache-Control: no-store is a MUST.
    assert "no-store" in issued.headers.get("cache-control", "").lower()


def test_access_token_format(provider: Provider, issued: Any, choices: Choices) -> None:
    token = issued.json()["access_token"]
    header = jwt_header(token)
    if header is None:
        choices.record("access token format", "opaque", "token_format='opaque'")
        return
    choices.record("access token format", f"JWT (typ {header.get('typ')!r})", "token_format='jwt'")
    assert header.get("alg") not in (None, "none"), "an unsigned JWT access token"
    claims = provider.verify_jwt(token)
    assert claims.get("iss") == provider.settings.issuer
    if "exp" in claims and "iat" in claims:
        assert claims["exp"] > claims["iat"]


def test_wrong_client_secret(
    provider: Provider, needs_grant: Callable[[str], None], choices: Choices
) -> None:
    needs_grant("client_credentials")
    if provider.settings.client_secret is None:
        pytest.skip("the client is public")
    response = provider.token(
        {"grant_type": "client_credentials"}, secret="authmock-contract-wrong-secret"
    )
    assert _error(response) == "invalid_client"
    assert response.status_code in (400, 401)
    choices.record(f"invalid_client status ({provider.auth_method})", str(response.status_code))
    if response.status_code == 401 and provider.auth_method == "client_secret_basic":
        # RFC 6749 §5.2: 401 with Basic MUST carry WWW-Authenticate.
        assert "www-authenticate" in response.headers


def test_unknown_grant_type(provider: Provider) -> None:
    response = provider.token({"grant_type": "urn:authmock:contract:no-such-grant"})
    assert response.status_code == 400
    assert _error(response) == "unsupported_grant_type"


def test_missing_grant_type(provider: Provider) -> None:
    response = provider.token({})
    assert response.status_code == 400
    assert _error(response) in ("invalid_request", "unsupported_grant_type")


def test_token_endpoint_refuses_get(provider: Provider, choices: Choices) -> None:
    url = provider.endpoint("token_endpoint")
    assert url
    response = provider.http.get(url)
    assert response.status_code != 200
    choices.record("GET on the token endpoint", str(response.status_code))


def test_forbidden_grant(
    provider: Provider, needs_grant: Callable[[str], None], choices: Choices
) -> None:
    grant = provider.settings.forbidden_grant
    if grant is None:
        pytest.skip("pass --authmock-forbidden-grant GRANT (one the client may not use)")
    # A grant the provider does not support at all tells nothing about this choice.
    needs_grant(grant)
    data = {"grant_type": grant}
    if grant == "password":
        data.update(username="authmock-contract", password="authmock-contract")
    elif grant == "refresh_token":
        data["refresh_token"] = "authmock-contract-invalid"
    response = provider.token(data)
    error = _error(response)
    assert response.status_code in (400, 401)
    assert error in KNOWN_ERRORS, f"unregistered error code {error!r}"
    choices.record(
        "error for a grant the client may not use",
        f"{error} (RFC 6749 §5.2 names unauthorized_client)",
        f"unauthorized_grant_error={error!r}",
    )


def test_unknown_scope(
    provider: Provider, needs_grant: Callable[[str], None], choices: Choices
) -> None:
    needs_grant("client_credentials")
    response = provider.token(
        {"grant_type": "client_credentials", "scope": "authmock-contract-no-such-scope"}
    )
    if response.status_code == 200:
        granted = response.json().get("scope")
        chosen = (
            "granted anyway"
            if granted and "no-such-scope" in granted
            else f"ignored (scope {granted!r})"
        )
    else:
        error = _error(response)
        assert response.status_code == 400
        assert error in KNOWN_ERRORS, f"unregistered error code {error!r}"
        chosen = error
    choices.record(
        "an unknown scope",
        chosen,
        "add_client(scopes=[...]) refuses others with invalid_scope; without, any scope is granted",
    )
