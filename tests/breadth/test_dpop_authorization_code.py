"""DPoP with the authorization code flow: the code is bound to the key (RFC 9449 §10)."""

from __future__ import annotations

from typing import Any

import httpx

from pytest_authmock.client import DPoPKey, OAuthClient, authorize_in_browser, pkce_pair
from tests.breadth.helpers import auto_browser

LOOPBACK = "http://127.0.0.1/callback"


def test_browser_login_binds_the_code_and_the_tokens(provider: Any) -> None:
    provider.auto_approve = provider.add_user("ada")
    provider.add_client("cli", public=True, redirect_uris=[LOOPBACK])
    key = DPoPKey.generate()
    opened: list[str] = []
    browser = auto_browser(provider, opened)  # auto-approve: the page redirects at once

    with OAuthClient(
        provider.issuer,
        client_id="cli",
        dpop=key,
        verify=getattr(provider, "httpx_verify", None) or True,
    ) as oauth:
        token = authorize_in_browser(oauth, open_browser=browser)
    assert httpx.URL(opened[0]).params["dpop_jkt"] == key.jkt
    assert token.token_type == "DPoP"


def test_a_bound_code_needs_a_proof_with_that_key(provider: Any, http: httpx.Client) -> None:
    provider.auto_approve = provider.add_user("ada")
    provider.add_client("cli", public=True, redirect_uris=[LOOPBACK])
    key = DPoPKey.generate()
    verifier, challenge = pkce_pair()
    authorize = http.get(
        provider.url_for("authorization"),
        params={
            "response_type": "code",
            "client_id": "cli",
            "redirect_uri": LOOPBACK,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "dpop_jkt": key.jkt,
        },
    )
    code = httpx.URL(authorize.headers["location"]).params["code"]
    token_url = provider.url_for("token")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": LOOPBACK,
        "client_id": "cli",
        "code_verifier": verifier,
    }
    other = http.post(
        token_url, data=form, headers={"DPoP": DPoPKey.generate().proof("POST", token_url)}
    )
    assert other.status_code == 400
    assert other.json()["error"] == "invalid_dpop_proof"
    assert "dpop_jkt" in other.json()["error_description"]
