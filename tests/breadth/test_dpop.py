"""DPoP (RFC 9449) end to end, over both transports: bound tokens, proofs, nonces, refresh."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from pytest_authmock.client import (
    ClientCredentialsGrant,
    DPoPKey,
    OAuth2Auth,
    PasswordGrant,
    ProviderError,
    RefreshTokenGrant,
)
from tests.breadth.helpers import claims_of, oauth


@pytest.fixture
def api(provider: Any) -> str:
    url = provider.issuer + "/api/orders"
    provider.protect(url, scopes=["orders"])
    return url


def test_client_credentials_token_is_bound_and_used_with_proofs(provider: Any, api: str) -> None:
    client = provider.add_client(scopes=["orders"])
    key = DPoPKey.generate()
    with oauth(provider, client, dpop=key) as client_lib:
        token = client_lib.request_token(ClientCredentialsGrant(scopes=["orders"]))
        assert token.token_type == "DPoP"
        assert claims_of(token.access_token)["cnf"] == {"jkt": key.jkt}
        introspected = client_lib.introspect(token.access_token)
        assert introspected["token_type"] == "DPoP"
        assert introspected["cnf"] == {"jkt": key.jkt}
        with httpx.Client(auth=OAuth2Auth.from_token(client_lib, token)) as http:
            answer = http.get(api)
            assert answer.status_code == 200, answer.text
            assert answer.request.headers["Authorization"] == f"DPoP {token.access_token}"
            assert "DPoP" in answer.request.headers


def test_a_bound_token_is_refused_as_bearer(provider: Any, api: str, http: httpx.Client) -> None:
    client = provider.add_client(scopes=["orders"])
    with oauth(provider, client, dpop=DPoPKey.generate()) as client_lib:
        token = client_lib.request_token(ClientCredentialsGrant(scopes=["orders"]))
    answer = http.get(api, headers={"Authorization": f"Bearer {token.access_token}"})
    assert answer.status_code == 401
    challenge = answer.headers["WWW-Authenticate"]
    assert challenge.startswith("DPoP ")
    assert 'error="invalid_token"' in challenge
    assert "algs=" in challenge
    assert "is DPoP-bound" in answer.json()["error_description"]


def test_a_proof_from_another_key_or_a_replay_is_refused(
    provider: Any, api: str, http: httpx.Client
) -> None:
    client = provider.add_client(scopes=["orders"])
    key = DPoPKey.generate()
    with oauth(provider, client, dpop=key) as client_lib:
        token = client_lib.request_token(ClientCredentialsGrant(scopes=["orders"]))
    auth = {"Authorization": f"DPoP {token.access_token}"}
    thief = DPoPKey.generate()
    stolen = http.get(
        api, headers={**auth, "DPoP": thief.proof("GET", api, access_token=token.access_token)}
    )
    assert stolen.status_code == 401
    assert stolen.json()["error"] == "invalid_dpop_proof"
    assert "bound to key" in stolen.json()["error_description"]
    proof = key.proof("GET", api, access_token=token.access_token)
    assert http.get(api, headers={**auth, "DPoP": proof}).status_code == 200
    replayed = http.get(api, headers={**auth, "DPoP": proof})
    assert replayed.status_code == 401
    assert "already used" in replayed.json()["error_description"]
    no_proof = http.get(api, headers=auth)
    assert no_proof.status_code == 401
    assert no_proof.json()["error"] == "invalid_dpop_proof"
    wrong_method = http.post(
        api, headers={**auth, "DPoP": key.proof("GET", api, access_token=token.access_token)}
    )
    assert wrong_method.status_code == 401
    assert "htm is 'GET'" in wrong_method.json()["error_description"]


def test_public_client_refresh_token_is_bound_to_the_key(provider: Any, http: httpx.Client) -> None:
    client = provider.add_client(public=True)
    user = provider.add_user()
    key = DPoPKey.generate()
    with oauth(provider, client, dpop=key) as client_lib:
        first = client_lib.request_token(PasswordGrant(user.username, user.password))
        assert first.refresh_token is not None
        refreshed = client_lib.request_token(RefreshTokenGrant(first.refresh_token), previous=first)
        assert refreshed.token_type == "DPoP"
        assert claims_of(refreshed.access_token)["cnf"]["jkt"] == key.jkt
    assert refreshed.refresh_token is not None
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refreshed.refresh_token,
        "client_id": client.client_id,
    }
    token_url = provider.url_for("token")
    without = http.post(token_url, data=form)
    assert without.status_code == 400
    assert without.json()["error"] == "invalid_dpop_proof"
    other = http.post(
        token_url, data=form, headers={"DPoP": DPoPKey.generate().proof("POST", token_url)}
    )
    assert other.status_code == 400
    assert "bound to key" in other.json()["error_description"]
    good = http.post(token_url, data=form, headers={"DPoP": key.proof("POST", token_url)})
    assert good.status_code == 200, good.text


def test_confidential_client_refresh_token_is_not_bound(provider: Any) -> None:
    client = provider.add_client()
    user = provider.add_user()
    with oauth(provider, client, dpop=DPoPKey.generate()) as client_lib:
        first = client_lib.request_token(PasswordGrant(user.username, user.password))
    assert first.refresh_token is not None
    with oauth(provider, client) as plain:
        refreshed = plain.request_token(RefreshTokenGrant(first.refresh_token), previous=first)
    assert refreshed.token_type == "Bearer"


def test_managed_session_refreshes_with_the_same_key(provider: Any, api: str) -> None:
    client = provider.add_client(public=True, scopes=["orders", "offline_access"])
    user = provider.add_user()
    offset = [0.0]

    def clock() -> float:  # the client's time, moved with the provider's
        return time.time() + offset[0]

    key = DPoPKey.generate(clock=clock)
    with oauth(provider, client, dpop=key, clock=clock) as client_lib:
        auth = OAuth2Auth.password(client_lib, user.username, user.password, scopes=["orders"])
        with httpx.Client(auth=auth) as http:
            assert http.get(api).status_code == 200
            provider.clock.advance(3601)
            offset[0] += 3601  # the token is stale: refreshed before use, with a bound proof
            assert http.get(api).status_code == 200
    provider.journal.assert_count(1, endpoint="token", grant_type="refresh_token", error=None)


def test_server_nonces_are_retried_once(provider: Any, api: str) -> None:
    provider.dpop_settings.require_nonce = True
    client = provider.add_client(scopes=["orders"])
    with oauth(provider, client, dpop=DPoPKey.generate()) as client_lib:
        auth = OAuth2Auth.client_credentials(client_lib, scopes=["orders"])
        with httpx.Client(auth=auth) as http:
            assert http.get(api).status_code == 200
            assert http.get(api).status_code == 200
    tokens = provider.journal.filter(endpoint="token")
    assert [e.error for e in tokens] == ["use_dpop_nonce", None]
    # The nonce from the token endpoint is good at the resource too: no second challenge.
    assert [e.status_code for e in provider.journal.filter(endpoint="resource")] == [200, 200]


def test_nonce_challenge_at_a_resource(provider: Any, api: str, http: httpx.Client) -> None:
    client = provider.add_client(scopes=["orders"])
    key = DPoPKey.generate()
    with oauth(provider, client, dpop=key) as client_lib:
        token = client_lib.request_token(ClientCredentialsGrant(scopes=["orders"]))
    provider.dpop_settings.require_nonce = True
    auth = {"Authorization": f"DPoP {token.access_token}"}
    first = http.get(
        api, headers={**auth, "DPoP": key.proof("GET", api, access_token=token.access_token)}
    )
    assert first.status_code == 401
    assert 'error="use_dpop_nonce"' in first.headers["WWW-Authenticate"]
    nonce = first.headers["DPoP-Nonce"]
    proof = key.proof("GET", api, access_token=token.access_token, nonce=nonce)
    assert http.get(api, headers={**auth, "DPoP": proof}).status_code == 200


def test_client_registered_for_dpop_must_send_proofs(provider: Any) -> None:
    client = provider.add_client(dpop_bound_access_tokens=True)
    with (
        oauth(provider, client) as client_lib,
        pytest.raises(ProviderError, match="dpop_bound_access_tokens") as info,
    ):
        client_lib.request_token(ClientCredentialsGrant())
    assert info.value.error == "invalid_dpop_proof"
    with oauth(provider, client, dpop=DPoPKey.generate()) as client_lib:
        assert client_lib.request_token(ClientCredentialsGrant()).token_type == "DPoP"


def test_unbound_token_with_the_dpop_scheme_is_refused(
    provider: Any, api: str, http: httpx.Client
) -> None:
    token = provider.issue_token(scopes=["orders"])
    key = DPoPKey.generate()
    answer = http.get(
        api,
        headers={
            "Authorization": f"DPoP {token}",
            "DPoP": key.proof("GET", api, access_token=token),
        },
    )
    assert answer.status_code == 401
    assert "not DPoP-bound" in answer.json()["error_description"]


def test_userinfo_with_a_dpop_token(provider: Any) -> None:
    client = provider.add_client(public=True)
    user = provider.add_user()
    with oauth(provider, client, dpop=DPoPKey.generate()) as client_lib:
        token = client_lib.request_token(
            PasswordGrant(user.username, user.password, scopes=["openid"])
        )
        with httpx.Client(auth=OAuth2Auth.from_token(client_lib, token)) as http:
            answer = http.get(provider.url_for("userinfo"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["sub"] == user.sub


def test_check_bearer_for_your_own_server(idp: Any) -> None:
    client = idp.add_client()
    key = DPoPKey.generate()
    with oauth(idp, client, dpop=key) as client_lib:
        token = client_lib.request_token(ClientCredentialsGrant())
    url = "https://app.example/items"
    proof = key.proof("GET", url, access_token=token.access_token)
    result = idp.check_bearer(f"DPoP {token.access_token}", dpop=proof, method="GET", url=url)
    assert result.ok
    assert not idp.check_bearer(f"Bearer {token.access_token}").ok


def test_metadata_lists_dpop_algorithms(provider: Any, http: httpx.Client) -> None:
    meta = http.get(provider.issuer + "/.well-known/openid-configuration").json()
    assert {"ES256", "RS256", "PS256", "EdDSA"} <= set(meta["dpop_signing_alg_values_supported"])
    assert not any(alg.startswith("HS") for alg in meta["dpop_signing_alg_values_supported"])
