"""A service account that authenticates with a key instead of a secret (RFC 7523 §2.2).

Each test runs twice: against ``idp`` (in-process) and ``idp_server`` (a real
loopback socket). The docs embed the marked sections.
"""

from __future__ import annotations

import httpx
import pytest

from pytest_authmock import FakeIdP
from pytest_authmock.client import (
    ClientCredentialsGrant,
    InvalidCredentials,
    OAuth2Auth,
    OAuthClient,
    PrivateKeyJwt,
)


@pytest.fixture(params=["idp", "idp_server"])
def provider(request: pytest.FixtureRequest) -> FakeIdP:
    found: FakeIdP = request.getfixturevalue(request.param)
    return found


def test_private_key_jwt(provider: FakeIdP) -> None:
    api = provider.issuer + "/api/reports"
    provider.protect(api, scopes=["reports:read"])
    # --8<-- [start:private_key_jwt]
    signer = PrivateKeyJwt.generate("reports-exporter")  # a new ES256 key pair
    provider.add_client("reports-exporter", jwks=signer.jwks(), scopes=["reports:read"])

    with OAuthClient(provider.issuer, client_auth=signer) as oauth:
        auth = OAuth2Auth.client_credentials(oauth, scopes=["reports:read"])
        with httpx.Client(auth=auth) as http:
            assert http.get(api).status_code == 200
    # --8<-- [end:private_key_jwt]
    provider.journal.assert_count(1, endpoint="token", client_id="reports-exporter")


def test_key_from_a_pem_file(provider: FakeIdP) -> None:
    generated = PrivateKeyJwt.generate("deployer", alg="RS256", kid="deployer-2025")
    provider.add_client("deployer", jwks=generated.jwks())
    pem = generated.key.as_pem(private=True)
    # --8<-- [start:pem]
    signer = PrivateKeyJwt("deployer", pem)  # PEM text or bytes; RS256 follows from the key
    with OAuthClient(provider.issuer, client_auth=signer) as oauth:
        token = oauth.request_token(ClientCredentialsGrant())
    # --8<-- [end:pem]
    assert token.access_token


def test_client_secret_jwt(provider: FakeIdP) -> None:
    # --8<-- [start:client_secret_jwt]
    client = provider.add_client("legacy-batch", token_endpoint_auth_method="client_secret_jwt")
    oauth = OAuthClient(
        provider.issuer,
        client_id=client.client_id,
        client_secret=client.client_secret,
        auth_method="client_secret_jwt",  # the secret MACs an assertion; it is never sent
    )
    # --8<-- [end:client_secret_jwt]
    with oauth:
        token = oauth.request_token(ClientCredentialsGrant())
    assert token.access_token


def test_a_stolen_key_id_is_not_enough(provider: FakeIdP) -> None:
    # --8<-- [start:wrong_key]
    registered = PrivateKeyJwt.generate("reports-exporter", kid="k1")
    provider.add_client("reports-exporter", jwks=registered.jwks())
    impostor = PrivateKeyJwt.generate("reports-exporter", kid="k1")  # same kid, other key
    with (
        OAuthClient(provider.issuer, client_auth=impostor) as oauth,
        pytest.raises(InvalidCredentials, match="signature does not verify"),
    ):
        oauth.request_token(ClientCredentialsGrant())
    # --8<-- [end:wrong_key]
