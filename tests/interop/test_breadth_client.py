"""The client library's JWT client authentication and DPoP against oidc-provider.

server.mjs registers ``interop-csjwt`` (client_secret_jwt) and ``interop-pkjwt``
(private_key_jwt, with the key of breadth_keys.py); DPoP is on by default in
oidc-provider.
"""

from __future__ import annotations

import httpx
import pytest

from pytest_authmock.client import (
    ClientCredentialsGrant,
    ClientSecretJwt,
    DPoPKey,
    InvalidCredentials,
    OAuth2Auth,
    OAuthClient,
    PrivateKeyJwt,
    RefreshTokenGrant,
)
from tests.interop.breadth_keys import PKJWT_CLIENT, PKJWT_KEY
from tests.interop.client_helpers import device_login, oauth
from tests.interop.conftest import NodeProvider, secret


@pytest.mark.parametrize("audience", ["issuer", "token_endpoint"])
def test_private_key_jwt(node: NodeProvider, audience: str) -> None:
    signer = PrivateKeyJwt(PKJWT_CLIENT, PKJWT_KEY, audience=audience)
    with OAuthClient(node.issuer, client_auth=signer) as client:
        token = client.request_token(ClientCredentialsGrant())
        # The introspection and revocation endpoints take the same authentication.
        assert client.introspect(token.access_token)["client_id"] == PKJWT_CLIENT
        client.revoke(token.access_token)
        assert client.introspect(token.access_token)["active"] is False
    assert node.counts()["success"] == {"client_credentials": 1}


def test_private_key_jwt_with_another_key_is_refused(node: NodeProvider) -> None:
    impostor = PrivateKeyJwt.generate(PKJWT_CLIENT, kid=str(PKJWT_KEY.kid))
    with (
        OAuthClient(node.issuer, client_auth=impostor) as client,
        pytest.raises(InvalidCredentials, match="invalid_client"),
    ):
        client.request_token(ClientCredentialsGrant())


def test_client_secret_jwt(node: NodeProvider) -> None:
    signer = ClientSecretJwt("interop-csjwt", secret("interop-csjwt"))
    with OAuthClient(node.issuer, client_auth=signer) as client:
        token = client.request_token(ClientCredentialsGrant())
        assert client.introspect(token.access_token)["active"] is True


def test_dpop_bound_client_credentials(node: NodeProvider) -> None:
    key = DPoPKey.generate()
    with oauth(node, dpop=key) as client:
        token = client.request_token(ClientCredentialsGrant())
        introspected = client.introspect(token.access_token)
    assert token.token_type == "DPoP"
    assert introspected["cnf"] == {"jkt": key.jkt}


def test_dpop_session_at_userinfo_and_refresh(node: NodeProvider) -> None:
    key = DPoPKey.generate()
    client, token = device_login(node, dpop=key)
    with client:
        assert token.token_type == "DPoP"
        userinfo = client.metadata().endpoint("userinfo_endpoint")
        with httpx.Client(auth=OAuth2Auth.from_token(client, token)) as http:
            answer = http.get(userinfo)  # DPoP scheme, a proof with ath
        assert answer.status_code == 200, answer.text
        assert answer.json()["sub"] == "alice"
        assert token.refresh_token is not None
        refreshed = client.request_token(RefreshTokenGrant(token.refresh_token), previous=token)
        assert refreshed.token_type == "DPoP"
        # The bound token is refused as a plain bearer token.
        with httpx.Client() as http:
            bearer = http.get(
                userinfo, headers={"Authorization": f"Bearer {refreshed.access_token}"}
            )
        assert bearer.status_code == 401


def test_dpop_server_nonces(node: NodeProvider) -> None:
    """RFC 9449 §8-§9: the provider demands a nonce; the client retries once with it,
    then keeps sending the nonce it was given, at the token endpoint and at userinfo."""
    node.require_dpop_nonce(True)
    token_endpoint = node.issuer + "/token"
    fresh = DPoPKey.generate()
    refused = httpx.post(
        token_endpoint,
        data={"grant_type": "client_credentials"},
        auth=("interop-basic", secret("interop-basic")),
        headers={"DPoP": fresh.proof("POST", token_endpoint)},
    )
    assert refused.json()["error"] == "use_dpop_nonce", refused.text  # it does demand one
    key = DPoPKey.generate()
    client, token = device_login(node, dpop=key)
    with client:
        assert token.token_type == "DPoP"
        wire = node.counts()["wire"]["token"]
        again = client.request_token(ClientCredentialsGrant())
        assert again.token_type == "DPoP"
        # The nonce from the first refusal is reused: one request, no second refusal.
        assert node.counts()["wire"]["token"] == wire + 1
        userinfo = client.metadata().endpoint("userinfo_endpoint")
        with httpx.Client(auth=OAuth2Auth.from_token(client, token)) as http:
            answer = http.get(userinfo)
        assert answer.status_code == 200, answer.text
        assert answer.json()["sub"] == "alice"
