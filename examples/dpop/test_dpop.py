"""DPoP (RFC 9449): tokens bound to a key the client proves it holds, on every request.

Each test runs against ``idp`` (in-process) and ``idp_server`` (a real loopback
socket). The docs embed the marked sections.
"""

from __future__ import annotations

import httpx
import pytest

from pytest_authmock import FakeIdP
from pytest_authmock.client import ClientCredentialsGrant, DPoPKey, OAuth2Auth, OAuthClient


@pytest.fixture(params=["idp", "idp_server"])
def provider(request: pytest.FixtureRequest) -> FakeIdP:
    found: FakeIdP = request.getfixturevalue(request.param)
    return found


def test_dpop_bound_tokens(provider: FakeIdP) -> None:
    api = provider.issuer + "/api/builds"
    provider.protect(api, scopes=["builds"])
    user = provider.add_user("ada")
    provider.add_client("build-cli", public=True, scopes=["builds"])
    # --8<-- [start:dpop]
    key = DPoPKey.generate()  # ES256; keep it for the whole session
    with OAuthClient(provider.issuer, client_id="build-cli", dpop=key) as oauth:
        auth = OAuth2Auth.password(oauth, "ada", user.password, scopes=["builds"])
        with httpx.Client(auth=auth) as http:
            answer = http.get(api)
    assert answer.status_code == 200
    assert answer.request.headers["Authorization"].startswith("DPoP ")  # not Bearer
    assert "DPoP" in answer.request.headers  # a fresh proof, with the token's hash (ath)
    # --8<-- [end:dpop]


def test_a_stolen_token_is_useless(provider: FakeIdP) -> None:
    api = provider.issuer + "/api/builds"
    provider.protect(api)
    client = provider.add_client("build-bot")
    # --8<-- [start:stolen]
    key = DPoPKey.generate()
    with OAuthClient(
        provider.issuer, client_id="build-bot", client_secret=client.client_secret, dpop=key
    ) as oauth:
        token = oauth.request_token(ClientCredentialsGrant())
    assert token.token_type == "DPoP"
    with httpx.Client() as thief:
        answer = thief.get(api, headers={"Authorization": f"Bearer {token.access_token}"})
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith('DPoP realm="')
    assert "is DPoP-bound" in answer.json()["error_description"]
    # --8<-- [end:stolen]


def test_server_nonces(provider: FakeIdP) -> None:
    api = provider.issuer + "/api/builds"
    provider.protect(api)
    client = provider.add_client("build-bot")
    # --8<-- [start:nonce]
    provider.dpop_settings.require_nonce = True  # RFC 9449 §8
    with (
        OAuthClient(
            provider.issuer,
            client_id="build-bot",
            client_secret=client.client_secret,
            dpop=DPoPKey.generate(),
        ) as oauth,
        httpx.Client(auth=OAuth2Auth.client_credentials(oauth)) as http,
    ):
        assert http.get(api).status_code == 200
    # The first token request was answered use_dpop_nonce; the client retried once.
    provider.journal.assert_count(1, endpoint="token", error="use_dpop_nonce")
    provider.journal.assert_count(1, endpoint="token", error=None)
    # --8<-- [end:nonce]
