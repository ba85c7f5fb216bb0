"""The provider keeps imported keys between requests; a key change must still be seen at once.

A trusted provider's JWKS, a DPoP proof's ``jwk`` and a ``client_secret_jwt`` MAC
key are imported once and reused; these tests change the keys behind them.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from pytest_authmock import FakeIdP
from pytest_authmock.client import DPoPKey
from pytest_authmock.client.assertion import ClientSecretJwt, PrivateKeyJwt
from pytest_authmock.client.exchange import JWT_TOKEN_TYPE
from pytest_authmock.client.jose import sign_jwt
from tests.breadth.helpers import TOKEN_EXCHANGE
from tests.helpers import bearer


def _exchange(http: httpx.Client, provider: Any, client: Any, subject: str) -> httpx.Response:
    form = {
        "grant_type": TOKEN_EXCHANGE,
        "subject_token": subject,
        "subject_token_type": JWT_TOKEN_TYPE,
    }
    return http.post(
        provider.url_for("token"), data=form, auth=(client.client_id, client.client_secret)
    )


def _refused(response: httpx.Response, error: str) -> None:
    assert response.status_code in (400, 401), response.text
    assert response.json()["error"] == error


def test_a_trusted_provider_rotating_its_keys(
    provider: Any, http: httpx.Client, idp_factory: Any
) -> None:
    ci: FakeIdP = idp_factory("https://ci.example")
    workflow = ci.add_client(audience=provider.issuer)
    provider.trust_issuer(ci)
    client = provider.add_client()
    before = ci.issue_token(workflow)
    assert _exchange(http, provider, client, before).status_code == 200
    assert _exchange(http, provider, client, ci.issue_token(workflow)).status_code == 200

    ci.rotate_keys(grace=0)  # the old key is no longer published
    _refused(_exchange(http, provider, client, before), "invalid_request")
    assert _exchange(http, provider, client, ci.issue_token(workflow)).status_code == 200


def test_a_client_replacing_its_keys_through_registration_management(
    provider: Any, http: httpx.Client
) -> None:
    old = PrivateKeyJwt.generate("placeholder", kid="k1")
    document = {
        "token_endpoint_auth_method": "private_key_jwt",
        "grant_types": ["client_credentials"],
        "jwks": old.jwks(),
    }
    answer = http.post(provider.metadata()["registration_endpoint"], json=document)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    client_id = body["client_id"]
    old = PrivateKeyJwt(client_id, old.key)
    token_url = provider.url_for("token")

    def token_request(signer: PrivateKeyJwt) -> httpx.Response:
        form = {"grant_type": "client_credentials"}
        signer.apply_for({}, form, issuer=provider.issuer, token_endpoint=token_url)
        return http.post(token_url, data=form)

    assert token_request(old).status_code == 200
    new = PrivateKeyJwt.generate(client_id, kid="k1")  # the same kid, another key
    replaced = http.put(
        body["registration_client_uri"],
        json={**document, "client_id": client_id, "jwks": new.jwks()},
        headers=bearer(body["registration_access_token"]),
    )
    assert replaced.status_code == 200, replaced.text
    _refused(token_request(old), "invalid_client")
    assert token_request(new).status_code == 200


def test_a_dpop_proof_naming_a_known_key_but_signed_with_another(
    provider: Any, http: httpx.Client
) -> None:
    client = provider.add_client()
    known, thief = DPoPKey.generate(), DPoPKey.generate()
    token_url = provider.url_for("token")

    def token_request(proof: str) -> httpx.Response:
        return http.post(
            token_url,
            data={"grant_type": "client_credentials"},
            auth=(client.client_id, client.client_secret),
            headers={"DPoP": proof},
        )

    bound = token_request(known.proof("POST", token_url))
    assert bound.status_code == 200, bound.text  # the provider has met the key now
    claims = {"jti": "forged-1", "htm": "POST", "htu": token_url, "iat": int(time.time())}
    forged = sign_jwt(
        {"typ": "dpop+jwt", "alg": "ES256", "jwk": known.key.as_dict(private=False)},
        claims,
        thief.key,
    )
    _refused(token_request(forged), "invalid_dpop_proof")
    other = token_request(thief.proof("POST", token_url))
    assert other.status_code == 200, other.text
    assert provider.check_bearer(f"DPoP {other.json()['access_token']}").status_code == 401


def test_client_secret_jwt_with_another_clients_secret(provider: Any, http: httpx.Client) -> None:
    first = provider.add_client(token_endpoint_auth_method="client_secret_jwt")
    second = provider.add_client(token_endpoint_auth_method="client_secret_jwt")
    token_url = provider.url_for("token")

    def token_request(signer: ClientSecretJwt) -> httpx.Response:
        form = {"grant_type": "client_credentials"}
        signer.apply_for({}, form, issuer=provider.issuer, token_endpoint=token_url)
        return http.post(token_url, data=form)

    assert token_request(ClientSecretJwt(first.client_id, first.client_secret)).status_code == 200
    assert token_request(ClientSecretJwt(second.client_id, second.client_secret)).status_code == 200
    borrowed = ClientSecretJwt(second.client_id, first.client_secret)
    _refused(token_request(borrowed), "invalid_client")
