"""Password (RFC 6749 §4.3) and refresh (§6) grants, and userinfo (OIDC Core §5.3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pytest_authmock.contract.checks import Choices, Provider


@pytest.fixture(scope="module")
def login(
    provider: Provider, user: tuple[str, str], needs_grant: Callable[[str], None]
) -> dict[str, Any]:
    needs_grant("password")
    username, password = user
    response = provider.token(
        {"grant_type": "password", "username": username, "password": password}
    )
    assert response.status_code == 200, (
        f"password grant answered {response.status_code}: {response.text}"
    )
    body: dict[str, Any] = response.json()
    return body


def test_password_grant(login: dict[str, Any], choices: Choices) -> None:
    assert login.get("access_token")
    choices.record(
        "refresh token with the password grant", "yes" if login.get("refresh_token") else "no"
    )


def test_wrong_password(
    provider: Provider, user: tuple[str, str], needs_grant: Callable[[str], None]
) -> None:
    needs_grant("password")
    response = provider.token(
        {"grant_type": "password", "username": user[0], "password": "authmock-contract-wrong"}
    )
    assert response.status_code == 400
    assert response.json().get("error") == "invalid_grant"


def test_refresh_grant_and_rotation(
    provider: Provider, login: dict[str, Any], choices: Choices
) -> None:
    refresh = login.get("refresh_token")
    if not refresh:
        pytest.skip("the password grant returned no refresh token")
    response = provider.token({"grant_type": "refresh_token", "refresh_token": refresh})
    assert response.status_code == 200, f"refresh answered {response.status_code}: {response.text}"
    body = response.json()
    assert body.get("access_token")
    rotated = bool(body.get("refresh_token")) and body["refresh_token"] != refresh
    choices.record(
        "refresh token rotation", "yes" if rotated else "no", f"refresh_token_rotation={rotated}"
    )
    if not rotated:
        return
    # RFC 9700 §4.14.2: presenting the old (rotated) refresh token again must fail.
    reuse = provider.token({"grant_type": "refresh_token", "refresh_token": refresh})
    assert reuse.status_code == 400
    assert reuse.json().get("error") == "invalid_grant"
    family = provider.token({"grant_type": "refresh_token", "refresh_token": body["refresh_token"]})
    choices.record(
        "reuse of a rotated refresh token revokes the newer one",
        "yes" if family.status_code != 200 else "no",
    )


def test_unknown_refresh_token(provider: Provider, needs_grant: Callable[[str], None]) -> None:
    needs_grant("refresh_token")
    response = provider.token(
        {"grant_type": "refresh_token", "refresh_token": "authmock-contract-unknown"}
    )
    assert response.status_code == 400
    assert response.json().get("error") == "invalid_grant"


def test_userinfo(
    provider: Provider, user: tuple[str, str], needs_grant: Callable[[str], None]
) -> None:
    url = provider.endpoint("userinfo_endpoint")
    if not url:
        pytest.skip("no userinfo_endpoint in the metadata")
    needs_grant("password")
    response = provider.token(
        {"grant_type": "password", "username": user[0], "password": user[1], "scope": "openid"}
    )
    if response.status_code != 200:
        pytest.skip(f"the openid scope was refused ({response.json().get('error')})")
    access = response.json()["access_token"]
    info = provider.http.get(url, headers={"Authorization": f"Bearer {access}"})
    assert info.status_code == 200
    assert isinstance(info.json().get("sub"), str)
    anonymous = provider.http.get(url)
    # RFC 6750 §3: no credentials -> 401 with a Bearer challenge.
    assert anonymous.status_code == 401
    assert anonymous.headers.get("www-authenticate", "").lower().startswith("bearer")
