"""A token request without the parameter its grant needs: one message shape, over both transports."""

from __future__ import annotations

import httpx
import pytest

from pytest_authmock import FakeIdP
from tests.helpers import token

DEVICE = "urn:ietf:params:oauth:grant-type:device_code"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


@pytest.mark.parametrize(
    ("params", "description"),
    [
        (
            {"grant_type": "authorization_code", "redirect_uri": "https://app.test/cb"},
            "the authorization_code grant needs the code parameter (RFC 6749 section 4.1.3)",
        ),
        (
            {"grant_type": "refresh_token", "refresh_token": ""},
            "the refresh_token grant needs the refresh_token parameter (RFC 6749 section 6)",
        ),
        (
            {"grant_type": DEVICE},
            "the device_code grant needs the device_code parameter (RFC 8628 section 3.4)",
        ),
        (
            {"grant_type": JWT_BEARER, "scope": "openid"},
            "the jwt-bearer grant needs the assertion parameter (RFC 7523 section 2.1)",
        ),
        (
            {"grant_type": EXCHANGE, "subject_token_type": "x"},
            "the token-exchange grant needs the subject_token parameter (RFC 8693 section 2.1)",
        ),
        (
            {"grant_type": EXCHANGE, "subject_token": "x", "actor_token": "y"},
            "the token-exchange grant needs the subject_token_type parameter "
            "(RFC 8693 section 2.1)",
        ),
        (
            {"grant_type": "password"},
            "the password grant needs the username and password parameters "
            "(RFC 6749 section 4.3.2)",
        ),
        (
            {"grant_type": "password", "password": "pw"},
            "the password grant needs the username parameter (RFC 6749 section 4.3.2)",
        ),
    ],
    ids=[
        "code",
        "refresh",
        "device",
        "jwt-bearer",
        "exchange",
        "exchange-type",
        "password",
        "username",
    ],
)
def test_the_grant_and_the_parameter_are_named(
    provider: FakeIdP, http: httpx.Client, params: dict[str, str], description: str
) -> None:
    client = provider.add_client()
    response = token(http, provider, client, **params)
    assert response.status_code == 400, response.text
    assert response.json() == {"error": "invalid_request", "error_description": description}
    provider.journal.assert_count(1, endpoint="token", error="invalid_request")
