"""Introspection (RFC 7662) and revocation (RFC 7009), on tokens this suite obtained."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_authmock.contract.checks import Choices, Provider


def _own_token(provider: Provider, needs_grant: Callable[[str], None]) -> str:
    needs_grant("client_credentials")
    response = provider.token({"grant_type": "client_credentials"})
    assert response.status_code == 200, response.text
    value: str = response.json()["access_token"]
    return value


@pytest.fixture(scope="module")
def introspection(provider: Provider) -> str:
    url = provider.endpoint("introspection_endpoint")
    if not url:
        pytest.skip("no introspection_endpoint in the metadata")
    return url


@pytest.fixture(scope="module")
def revocation(provider: Provider) -> str:
    url = provider.endpoint("revocation_endpoint")
    if not url:
        pytest.skip("no revocation_endpoint in the metadata")
    return url


def test_introspect_an_active_token(
    provider: Provider, introspection: str, needs_grant: Callable[[str], None]
) -> None:
    token = _own_token(provider, needs_grant)
    body = provider.post("introspection_endpoint", {"token": token}).json()
    assert body.get("active") is True, body
    if "client_id" in body:
        assert body["client_id"] == provider.settings.client_id
    if "exp" in body:
        assert isinstance(body["exp"], int)


def test_introspect_an_unknown_token(provider: Provider, introspection: str) -> None:
    response = provider.post("introspection_endpoint", {"token": "authmock-contract-unknown"})
    assert response.status_code == 200
    # RFC 7662 §2.2: an inactive token reveals nothing else.
    assert response.json().get("active") is False


def test_introspection_needs_client_authentication(provider: Provider, introspection: str) -> None:
    response = provider.post("introspection_endpoint", {"token": "x"}, auth=False)
    assert response.status_code in (400, 401)


def test_revoke_an_own_token(
    provider: Provider, revocation: str, needs_grant: Callable[[str], None], choices: Choices
) -> None:
    token = _own_token(provider, needs_grant)
    response = provider.post(
        "revocation_endpoint", {"token": token, "token_type_hint": "access_token"}
    )
    assert response.status_code == 200, response.text
    if provider.endpoint("introspection_endpoint"):
        after = provider.post("introspection_endpoint", {"token": token}).json()
        choices.record(
            "revoking an access token",
            "takes effect at introspection" if after.get("active") is False else "has no effect",
        )


def test_revoke_an_unknown_token(provider: Provider, revocation: str) -> None:
    # RFC 7009 §2.2: invalid tokens do not cause an error.
    response = provider.post("revocation_endpoint", {"token": "authmock-contract-unknown"})
    assert response.status_code == 200
