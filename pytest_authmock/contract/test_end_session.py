"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).

Skipped when the metadata has no ``end_session_endpoint``. The redirect checks
need ``--authmock-contract-post-logout-redirect-uri`` (registered for the
client) and what the code flow checks need (the user signs in first, so there is
a session to end).
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from pytest_authmock.contract.checks import Provider
from pytest_authmock.contract.codeflow import CodeFlow, pkce_pair
from pytest_authmock.contract.discovery_options import DiscoverySettings
from pytest_authmock.contract.logout import walk


@pytest.fixture(scope="module")
def endpoint(provider: Provider) -> str:
    return provider.endpoint_or_skip("end_session_endpoint")


@pytest.fixture(scope="module")
def after(discovery: DiscoverySettings) -> str:
    if discovery.post_logout_redirect_uri is None:
        pytest.skip(
            "pass --authmock-contract-post-logout-redirect-uri URI (registered for the client)"
            " to check the logout redirect"
        )
    return discovery.post_logout_redirect_uri


def test_an_unregistered_redirect_is_not_followed(
    provider: Provider, endpoint: str, browser: httpx.Client
) -> None:
    evil = "https://authmock-contract.invalid/after-logout"
    start = (
        endpoint
        + "?"
        + urlencode({"client_id": provider.settings.client_id, "post_logout_redirect_uri": evil})
    )
    landed = walk(browser, start, evil)
    assert landed is None, (
        f"the provider sent the browser to an unregistered post_logout_redirect_uri ({landed});"
        " RP-Initiated Logout §3 requires an exact match with a registered one"
    )


def test_logout_with_the_id_token(
    provider: Provider,
    endpoint: str,
    after: str,
    code_flow: CodeFlow,
    browser: httpx.Client,
) -> None:
    authorized = code_flow.authorize()
    assert authorized.code, f"the sign-in ended with {authorized.params}"
    answer = code_flow.exchange(authorized, verifier=authorized.verifier)
    id_token = answer.json().get("id_token") if answer.status_code == 200 else None
    if not isinstance(id_token, str):
        pytest.skip("the code flow gave no ID token to log out with")
    state = secrets.token_urlsafe(12)
    start = (
        endpoint
        + "?"
        + urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": after, "state": state})
    )
    landed = walk(browser, start, after)
    assert landed is not None, (
        f"the logout did not come back to the registered post_logout_redirect_uri {after}"
        " (RP-Initiated Logout §3)"
    )
    back = dict(parse_qsl(urlsplit(landed).query))
    assert back.get("state") == state, (
        f"the logout came back with state {back.get('state')!r}, not the one sent"
        " (RP-Initiated Logout §3 passes it back)"
    )
    # The session is over: a silent login (OIDC Core §3.1.2.1 prompt=none) must not work.
    _, challenge = pkce_pair()
    authorize = provider.endpoint("authorization_endpoint")
    assert authorize, "the metadata has no authorization_endpoint"
    silent = (
        authorize
        + "?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": provider.settings.client_id,
                "redirect_uri": code_flow.redirect_uri,
                "scope": "openid",
                "prompt": "none",
                "state": "silent",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
    )
    location = walk(browser, silent, code_flow.redirect_uri) or ""
    result = dict(parse_qsl(urlsplit(location).query))
    assert "code" not in result, (
        f"after logout, prompt=none still signed the user in ({result}; OIDC Core §3.1.2.6"
        " answers login_required)"
    )
