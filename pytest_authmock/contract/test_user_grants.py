"""Password (RFC 6749 §4.3) and refresh (§6) grants, for the test user."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest

from pytest_authmock.contract.checks import Choices, Provider, oauth_error, said
from pytest_authmock.contract.grants import ClientGrants
from pytest_authmock.contract.users import UserLogin, UserTokens


@pytest.fixture(scope="module")
def password_login(user_login: UserLogin) -> UserTokens:
    return user_login.password()


def test_password_grant(password_login: UserTokens, choices: Choices) -> None:
    assert password_login.body.get("access_token"), (
        "the password grant answered no access_token (RFC 6749 §5.1)"
    )
    has_refresh = bool(password_login.body.get("refresh_token"))
    choices.record("refresh_for_password", has_refresh, None, field="refresh_token")


def test_wrong_password(provider: Provider, password_login: UserTokens) -> None:
    # The client may use the password grant (password_login): a wrong password is a bad grant.
    assert provider.settings.username is not None
    response = provider.token(
        {
            "grant_type": "password",
            "username": provider.settings.username,
            "password": "authmock-contract-wrong",
        }
    )
    assert response.status_code == 400, (
        f"a wrong password answered {said(response)} (RFC 6749 §5.2: 400 invalid_grant)"
    )
    error, _ = oauth_error(response, "the answer to a wrong password")
    assert error == "invalid_grant", (
        f"a wrong password answered {error} (RFC 6749 §5.2: invalid resource owner credentials are invalid_grant)"
    )


def _refresh_token(provider: Provider, user_login: UserLogin, used: list[bool]) -> tuple[str, str]:
    """A refresh token of the client: the one passed on the command line (once), else a new login's."""
    given = provider.settings.refresh_token
    if given and not used:
        used.append(True)
        return given, "--authmock-contract-refresh-token"
    login = user_login.any()
    refresh = login.body.get("refresh_token")
    if not refresh:
        pytest.skip(f"{login.how} issued no refresh token (RFC 6749 §1.5: the provider's choice)")
    return str(refresh), login.how


@pytest.fixture(scope="session")
def given_refresh_used() -> list[bool]:
    return []


def test_refresh_grant_and_rotation(
    provider: Provider, user_login: UserLogin, choices: Choices, given_refresh_used: list[bool]
) -> None:
    refresh, how = _refresh_token(provider, user_login, given_refresh_used)
    response = provider.token({"grant_type": "refresh_token", "refresh_token": refresh})
    assert response.status_code == 200, (
        f"refreshing a token from {how} answered {said(response)} (RFC 6749 §6 answers a token)"
    )
    body = response.json()
    assert body.get("access_token"), "the refresh answer has no access_token (RFC 6749 §5.1)"
    rotated = bool(body.get("refresh_token")) and body["refresh_token"] != refresh
    choices.record("refresh_rotation", rotated, response, field="refresh_token")
    if not rotated:
        choices.unobservable("refresh_reuse_revokes_family", "refresh tokens do not rotate")
        return
    # RFC 9700 §4.14.2: presenting the old (rotated) refresh token again must fail.
    reuse = provider.token({"grant_type": "refresh_token", "refresh_token": refresh})
    assert reuse.status_code == 400 and reuse.json().get("error") == "invalid_grant", (
        f"reusing a rotated refresh token answered {said(reuse)} (RFC 9700 §4.14.2; RFC 6749 §5.2 invalid_grant)"
    )
    family = provider.token({"grant_type": "refresh_token", "refresh_token": body["refresh_token"]})
    choices.record("refresh_reuse_revokes_family", family.status_code != 200, family)


def test_unknown_refresh_token(
    provider: Provider,
    needs_grant: Callable[[str], None],
    client_grants: ClientGrants,
    user_login: UserLogin,
) -> None:
    needs_grant("refresh_token")
    if "refresh_token" not in client_grants.used:
        # Learn whether this client may use refresh tokens at all: it may if it gets one.
        with contextlib.suppress(pytest.skip.Exception):
            user_login.any()
    response = provider.token(
        {"grant_type": "refresh_token", "refresh_token": "authmock-contract-unknown"}
    )
    reason = client_grants.refusal("refresh_token", response)
    if reason:
        pytest.skip(reason)
    assert response.status_code == 400, (
        f"an unknown refresh token answered {said(response)} (RFC 6749 §5.2: 400 invalid_grant)"
    )
    error, _ = oauth_error(response, "the answer to an unknown refresh token")
    assert error == "invalid_grant", (
        f"an unknown refresh token answered {error} (RFC 6749 §5.2: an invalid refresh token is invalid_grant)"
    )
