"""Introspection (RFC 7662) and revocation (RFC 7009), on tokens this suite obtained."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_authmock.contract.checks import Choices, Provider, jwt_header, said
from pytest_authmock.contract.users import UserLogin


@pytest.fixture(scope="module")
def introspection(provider: Provider) -> str:
    return provider.endpoint_or_skip("introspection_endpoint")


@pytest.fixture(scope="module")
def revocation(provider: Provider) -> str:
    return provider.endpoint_or_skip("revocation_endpoint")


def introspect(provider: Provider, token: str) -> dict[str, Any]:
    return introspection_answer(provider, token).json()  # type: ignore[no-any-return]


def introspection_answer(provider: Provider, token: str) -> httpx.Response:
    response = provider.post("introspection_endpoint", {"token": token})
    assert response.status_code == 200, (
        f"introspection answered {said(response)} (RFC 7662 §2.2 answers 200 with a JSON object)"
    )
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("active"), bool), (
        "the introspection answer has no boolean 'active' (RFC 7662 §2.2 REQUIRED)"
    )
    return response


def test_introspect_an_active_token(
    provider: Provider, introspection: str, own_token: Callable[[], str], choices: Choices
) -> None:
    token = own_token()
    response = introspection_answer(provider, token)
    body = response.json()
    if jwt_header(token) is None:
        choices.unobservable("introspect_jwt_access_token", "the access token is opaque")
    else:
        choices.record("introspect_jwt_access_token", body["active"], response, field="active")
    choices.record("introspect_own_token", body["active"], response, field="active")
    if body["active"] is False:
        pytest.skip(
            "the provider says active:false for a token it has just issued to this client;"
            " RFC 7662 §2.2 lets it answer so to a client that is not allowed to introspect"
            " that token (e.g. one not in the token's audience)"
        )
    for claim in ("exp", "iat", "nbf"):
        if claim in body:
            value = body[claim]
            assert isinstance(value, int) and not isinstance(value, bool), (
                f"introspection's {claim} is {type(value).__name__} {value!r}, not an integer"
                " timestamp (RFC 7662 §2.2)"
            )
    if "client_id" in body:
        assert body["client_id"] == provider.settings.client_id, (
            f"introspection says client_id {body['client_id']!r} for this client's token (RFC 7662 §2.2)"
        )


def test_introspect_an_unknown_token(
    provider: Provider, introspection: str, choices: Choices
) -> None:
    response = introspection_answer(provider, "authmock-contract-unknown")
    body = response.json()
    assert body["active"] is False, "an unknown token introspects as active (RFC 7662 §2.2)"
    # RFC 7662 §2.2: an inactive token SHOULD NOT reveal anything else.
    extra = sorted(set(body) - {"active"})
    choices.record("inactive_token_members", extra, response)


def test_introspection_needs_client_authentication(provider: Provider, introspection: str) -> None:
    response = provider.post("introspection_endpoint", {"token": "x"}, auth=False)
    assert response.status_code in (400, 401), (
        f"introspection without client authentication answered {said(response)}"
        " (RFC 7662 §2.1 requires authorization, §2.3 refuses with 401)"
    )


def test_revoke_an_own_token(
    provider: Provider, revocation: str, own_token: Callable[[], str], choices: Choices
) -> None:
    token = own_token()
    before = introspect(provider, token) if provider.endpoint("introspection_endpoint") else None
    response = provider.post(
        "revocation_endpoint", {"token": token, "token_type_hint": "access_token"}
    )
    assert response.status_code == 200, (
        f"revoking an own token answered {said(response)} (RFC 7009 §2.2)"
    )
    if before is None:
        return
    if before["active"] is not True:
        # Nothing to compare: introspection did not show this token as active before.
        choices.unobservable("revoke_access_token", "inactive at introspection before")
        return
    after = introspection_answer(provider, token)
    # RFC 7009 §2.1: revoking access tokens is a SHOULD, so this is a choice.
    choices.record("revoke_access_token", after.json()["active"] is False, after, field="active")


def test_revoke_an_unknown_token(provider: Provider, revocation: str) -> None:
    response = provider.post("revocation_endpoint", {"token": "authmock-contract-unknown"})
    assert response.status_code == 200, (
        f"revoking an unknown token answered {said(response)} (RFC 7009 §2.2: invalid tokens do"
        " not cause an error)"
    )


def test_revoked_refresh_token_is_refused(
    provider: Provider, revocation: str, user_login: UserLogin
) -> None:
    login = user_login.any()
    refresh = login.body.get("refresh_token")
    if not refresh:
        pytest.skip(f"{login.how} issued no refresh token")
    response = provider.post(
        "revocation_endpoint", {"token": refresh, "token_type_hint": "refresh_token"}
    )
    assert response.status_code == 200, (
        f"revoking a refresh token answered {said(response)} (RFC 7009 §2.2)"
    )
    after = provider.token({"grant_type": "refresh_token", "refresh_token": refresh})
    assert after.status_code == 400 and after.json().get("error") == "invalid_grant", (
        f"a revoked refresh token answered {said(after)} (RFC 7009 §2.1: providers MUST support"
        " revoking refresh tokens; RFC 6749 §5.2: invalid_grant)"
    )
