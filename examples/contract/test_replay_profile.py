"""Replay a recorded provider profile: the fake answers like the provider it was recorded from.

``provider-profile.json`` was recorded by the contract suite from panva
oidc-provider (this project's interop tests check it still matches): opaque
access tokens living 600 s, an unknown scope ignored, no password grant, ID
tokens without ``azp``. A downstream project records its staging provider's the
same way and commits it next to its tests.
"""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from pytest_authmock import FakeIdP

# Relative to this file; the ini option authmock_profile does the same for a whole suite.
pytestmark = pytest.mark.authmock(profile="provider-profile.json")


def client_credentials(idp: FakeIdP, **form: str) -> httpx.Response:
    client = idp.add_client()
    return httpx.post(
        idp.url_for("token"),
        data={"grant_type": "client_credentials", **form},
        auth=(client.client_id, client.client_secret or ""),
    )


def test_tokens_look_like_the_providers(idp: FakeIdP) -> None:
    body = client_credentials(idp).json()
    assert body["expires_in"] == 600
    assert body["access_token"].count(".") == 0  # opaque, not a JWT
    assert "refresh_token" not in body


def test_choices_where_the_rfcs_allow_several(idp: FakeIdP) -> None:
    # An unknown scope is dropped, not refused (RFC 6749 §3.3 allows both).
    assert "scope" not in client_credentials(idp, scope="no-such-scope").json()
    # The provider offers no password grant.
    refused = httpx.post(
        idp.url_for("token"),
        data={"grant_type": "password", "username": "u", "password": "p"},
        auth=("any", "x"),
    )
    assert refused.json()["error"] in ("invalid_client", "unsupported_grant_type")
    assert "password" not in idp.metadata()["grant_types_supported"]


def test_id_tokens_have_the_providers_claims(idp: FakeIdP) -> None:
    idp.add_user("ada", "pw")
    idp.flow_settings.auto_approve = "ada"
    idp.add_client("app", "app-secret", redirect_uris=["http://127.0.0.1/cb"])
    with httpx.Client() as browser:
        answer = browser.get(
            idp.url_for("authorization"),
            params={
                "response_type": "code",
                "client_id": "app",
                "redirect_uri": "http://127.0.0.1/cb",
                "scope": "openid",
                "nonce": "n-1",
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                "code_challenge_method": "S256",
            },
        )
        code = httpx.URL(answer.headers["location"]).params["code"]
        tokens = browser.post(
            idp.url_for("token"),
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": "http://127.0.0.1/cb",
                "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            },
            auth=("app", "app-secret"),
        ).json()
    payload = tokens["id_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert sorted(claims) == ["aud", "exp", "iat", "iss", "nonce", "sub"]
    assert claims["exp"] - claims["iat"] == 600


@pytest.mark.authmock(token_format="jwt")  # beside the module's profile=
def test_an_explicit_option_wins_and_says_so(idp: FakeIdP) -> None:
    assert client_credentials(idp).json()["access_token"].count(".") == 2
    assert idp.profile is not None
    override = idp.profile.overridden["token_format"]
    assert (override.profile_value, override.explicit_value) == ("opaque", "jwt")
    assert override.choices == ("access_token_format",)
    assert idp.profile.adopted["access_token_ttl"] == 600
    print(idp.profile.describe())
