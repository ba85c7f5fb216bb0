"""Bearer-protected resources: userinfo (OIDC Core §5.3) and an API (RFC 6750 §3)."""

from __future__ import annotations

import re

import httpx
import pytest

from pytest_authmock.contract.checks import Choices, Provider, jwt_header
from pytest_authmock.contract.jwts import verify_jwt
from pytest_authmock.contract.users import UserLogin

_BEARER = re.compile(r"(?:^|[\s,])Bearer(?:\s|$)", re.IGNORECASE)
_ERROR = re.compile(r'\berror\s*=\s*"?([A-Za-z0-9_]+)')


def challenge(response: httpx.Response) -> tuple[bool, str | None]:
    """Whether the answer has a Bearer challenge, and its ``error`` (RFC 6750 §3)."""
    header = response.headers.get("www-authenticate", "")
    match = _BEARER.search(header)
    if not match:
        return False, None
    error = _ERROR.search(header[match.end() :])
    return True, error.group(1) if error else None


def bearer_error(response: httpx.Response, what: str) -> str | None:
    """The ``error`` of the Bearer challenge of a 401; fails without one (RFC 6750 §3)."""
    assert response.status_code == 401, (
        f"{what} answered HTTP {response.status_code} (RFC 6750 §3.1: 401 for a missing or bad token)"
    )
    bearer, error = challenge(response)
    assert bearer, (
        f"{what} answered 401 without a Bearer challenge in WWW-Authenticate (RFC 6750 §3 MUST)"
    )
    return error


def check_unauthenticated(
    http: httpx.Client, url: str, what: str, choices: Choices, key: str
) -> None:
    response = http.get(url)
    error = bearer_error(response, f"{what} without a token")
    # RFC 6750 §3.1: with no credentials at all the challenge SHOULD NOT carry an error code.
    choices.record(key, error, response, field="WWW-Authenticate error")


def check_invalid_token(http: httpx.Client, url: str, what: str) -> None:
    response = http.get(url, headers={"Authorization": "Bearer authmock-contract-invalid-token"})
    error = bearer_error(response, f"{what} with an invalid token")
    assert error == "invalid_token", (
        f"{what} answered a bad token with error={error!r} (RFC 6750 §3.1: invalid_token)"
    )


@pytest.fixture(scope="module")
def userinfo(provider: Provider) -> str:
    return provider.endpoint_or_skip("userinfo_endpoint")


def test_userinfo_without_a_token(provider: Provider, userinfo: str, choices: Choices) -> None:
    check_unauthenticated(provider.http, userinfo, "userinfo", choices, "missing_token_error")


def test_userinfo_with_an_invalid_token(provider: Provider, userinfo: str) -> None:
    check_invalid_token(provider.http, userinfo, "userinfo")


def test_userinfo_with_the_users_token(
    provider: Provider, userinfo: str, user_login: UserLogin
) -> None:
    login = user_login.any()
    token = login.body["access_token"]
    response = provider.http.get(userinfo, headers={"Authorization": f"Bearer {token}"})
    if response.status_code == 403 and challenge(response)[1] == "insufficient_scope":
        pytest.skip(f"the token from {login.how} lacks the openid scope")
    assert response.status_code == 200, (
        f"userinfo answered HTTP {response.status_code} (error {challenge(response)[1]!r}) to a"
        f" fresh token from {login.how} (OIDC Core §5.3.2)"
    )
    claims = response.json()
    assert isinstance(claims.get("sub"), str) and claims["sub"], (
        "the userinfo answer has no sub (OIDC Core §5.3.2)"
    )
    id_token = login.body.get("id_token")
    if isinstance(id_token, str) and jwt_header(id_token) is not None:
        expected = verify_jwt(id_token, provider.jwks(), what="the ID token").get("sub")
        assert claims["sub"] == expected, (
            "userinfo's sub is not the ID token's (OIDC Core §5.3.2 MUST match)"
        )


def test_resource_without_a_token(provider: Provider, resource: str, choices: Choices) -> None:
    check_unauthenticated(
        provider.http, resource, "the resource", choices, "resource_missing_token_error"
    )


def test_resource_with_an_invalid_token(provider: Provider, resource: str) -> None:
    check_invalid_token(provider.http, resource, "the resource")
