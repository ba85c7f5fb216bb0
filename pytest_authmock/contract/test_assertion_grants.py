"""Assertion grants: token exchange (RFC 8693) and the JWT bearer grant (RFC 7523 §2.1).

Token exchange is tried with the ``--authmock-contract-client``'s own client credentials
token as the subject; the JWT bearer grant with an assertion the
``--authmock-contract-jwt-client`` signs for itself (the service-account pattern).
Either may be refused by policy: the check records what the provider does and
only requires that the answer is RFC-shaped.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_authmock.client.assertion import PrivateKeyJwt
from pytest_authmock.client.exchange import ACCESS_TOKEN_TYPE, JWT_BEARER, TOKEN_EXCHANGE
from pytest_authmock.contract.breadth_options import breadth_settings
from pytest_authmock.contract.checks import Choices, Provider


def _advertised(metadata: dict[str, Any], grant: str) -> None:
    supported = metadata.get("grant_types_supported")
    if not isinstance(supported, list) or grant not in supported:
        pytest.skip(f"the provider does not list {grant!r} in grant_types_supported")


def _outcome(response: httpx.Response) -> str:
    if response.status_code == 200:
        return "accepted"
    assert response.status_code in (400, 401, 403), (
        f"answered {response.status_code}: {response.text}"
    )
    assert response.headers.get("content-type", "").startswith("application/json"), response.text
    error = response.json().get("error")
    assert isinstance(error, str), f"error answer has no 'error' member: {response.text}"
    return f"refused ({error})"


def test_token_exchange_of_the_clients_own_token(
    provider: Provider, metadata: dict[str, Any], choices: Choices, needs_grant: Any
) -> None:
    _advertised(metadata, TOKEN_EXCHANGE)
    needs_grant("client_credentials")
    issued = provider.token({"grant_type": "client_credentials"})
    assert issued.status_code == 200, issued.text
    response = provider.token(
        {
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": issued.json()["access_token"],
            "subject_token_type": ACCESS_TOKEN_TYPE,
        }
    )
    outcome = _outcome(response)
    choices.observe("token exchange of the client's own access token", outcome)
    if response.status_code == 200:
        body = response.json()
        # RFC 8693 §2.2.1: issued_token_type and token_type are REQUIRED.
        assert isinstance(body.get("issued_token_type"), str), body
        assert isinstance(body.get("token_type"), str), body
        assert isinstance(body.get("access_token"), str), body


def test_jwt_bearer_with_a_self_issued_assertion(
    provider: Provider, metadata: dict[str, Any], choices: Choices, pytestconfig: pytest.Config
) -> None:
    _advertised(metadata, JWT_BEARER)
    settings = breadth_settings(pytestconfig)
    if settings.jwt_client_id is None or settings.jwt_key is None:
        pytest.skip("pass --authmock-contract-jwt-client ID:KEY_PEM to try the JWT bearer grant")
    signer = PrivateKeyJwt(settings.jwt_client_id, settings.jwt_key.read_bytes())
    token_endpoint = metadata["token_endpoint"]
    form = {"grant_type": JWT_BEARER, "assertion": signer.assertion(provider.settings.issuer)}
    signer.apply_for({}, form, issuer=provider.settings.issuer, token_endpoint=token_endpoint)
    response = provider.http.post(token_endpoint, data=form, headers={"Accept": "application/json"})
    choices.observe("JWT bearer grant with a client-signed assertion", _outcome(response))
