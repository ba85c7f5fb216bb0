"""JWT client authentication (private_key_jwt, client_secret_jwt) over both transports."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_authmock.client import InvalidCredentials, OAuthClient
from pytest_authmock.client.assertion import ASSERTION_TYPE, ClientSecretJwt, PrivateKeyJwt
from pytest_authmock.client.grants import ClientCredentialsGrant
from tests.breadth.conftest import DocumentHost
from tests.breadth.helpers import oauth


def test_private_key_jwt_with_registered_jwks(provider: Any) -> None:
    auth = PrivateKeyJwt.generate("svc-bot")
    client = provider.add_client("svc-bot", jwks=auth.jwks(), grant_types=["client_credentials"])
    assert client.client_secret is None
    assert client.token_endpoint_auth_methods == ("private_key_jwt",)
    with oauth(provider, client_auth=auth) as client_lib:
        token = client_lib.request_token(ClientCredentialsGrant(scopes=["read"]))
        assert client_lib.introspect(token.access_token)["active"] is True
        client_lib.revoke(token.access_token)
        assert client_lib.introspect(token.access_token)["active"] is False
    entries = provider.journal.filter(endpoint="token")
    assert [e.client_id for e in entries] == ["svc-bot"]


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES384", "EdDSA"])
def test_private_key_jwt_algorithms(provider: Any, alg: str) -> None:
    auth = PrivateKeyJwt.generate("svc-bot", alg=alg)
    provider.add_client("svc-bot", jwks=auth.jwks())
    with oauth(provider, client_auth=auth) as client_lib:
        assert client_lib.request_token(ClientCredentialsGrant()).access_token


def test_private_key_jwt_with_jwks_uri_follows_key_rotation(
    provider: Any, documents: DocumentHost
) -> None:
    first = PrivateKeyJwt.generate("svc-bot", kid="2024")
    uri = documents.publish("/svc-bot/jwks.json", first.jwks())
    provider.add_client("svc-bot", jwks_uri=uri)
    with oauth(provider, client_auth=first) as client_lib:
        client_lib.request_token(ClientCredentialsGrant())
        client_lib.request_token(ClientCredentialsGrant())
    assert documents.fetches["/svc-bot/jwks.json"] == 1  # cached
    # The client rotates: it publishes the new key, then signs with it.
    second = PrivateKeyJwt.generate("svc-bot", kid="2025")
    documents.publish("/svc-bot/jwks.json", second.jwks())
    with oauth(provider, client_auth=second) as client_lib:
        client_lib.request_token(ClientCredentialsGrant())
    assert documents.fetches["/svc-bot/jwks.json"] == 2  # fetched again for the new kid


def test_client_secret_jwt(provider: Any) -> None:
    client = provider.add_client(token_endpoint_auth_method="client_secret_jwt")
    auth = ClientSecretJwt(client.client_id, client.client_secret)
    with oauth(provider, client_auth=auth) as client_lib:
        assert client_lib.request_token(ClientCredentialsGrant()).token_type == "Bearer"


def test_client_secret_jwt_through_client_auth_for(provider: Any) -> None:
    client = provider.add_client(token_endpoint_auth_method="client_secret_jwt")
    with OAuthClient(
        provider.issuer,
        client_id=client.client_id,
        client_secret=client.client_secret,
        auth_method="client_secret_jwt",
        verify=getattr(provider, "httpx_verify", None) or True,
    ) as client_lib:
        assert client_lib.request_token(ClientCredentialsGrant()).access_token


def test_token_endpoint_audience(provider: Any) -> None:
    auth = PrivateKeyJwt("svc-bot", PrivateKeyJwt.generate("x").key, audience="token_endpoint")
    provider.add_client("svc-bot", jwks=auth.jwks())
    with oauth(provider, client_auth=auth) as client_lib:
        assert client_lib.request_token(ClientCredentialsGrant()).access_token


def _assertion_form(auth: PrivateKeyJwt, provider: Any) -> dict[str, str]:
    form = {"grant_type": "client_credentials"}
    auth.apply_for({}, form, issuer=provider.issuer, token_endpoint=provider.url_for("token"))
    return form


def test_replayed_assertion_gets_invalid_client(provider: Any, http: httpx.Client) -> None:
    auth = PrivateKeyJwt.generate("svc-bot")
    provider.add_client("svc-bot", jwks=auth.jwks())
    form = _assertion_form(auth, provider)
    assert http.post(provider.url_for("token"), data=form).status_code == 200
    again = http.post(provider.url_for("token"), data=form)
    assert again.status_code == 401
    body = again.json()
    assert body["error"] == "invalid_client"
    assert "was already used" in body["error_description"]


def test_wrong_key_is_invalid_client_in_the_client_library(provider: Any) -> None:
    registered = PrivateKeyJwt.generate("svc-bot", kid="k1")
    impostor = PrivateKeyJwt.generate("svc-bot", kid="k1")
    provider.add_client("svc-bot", jwks=registered.jwks())
    with (
        oauth(provider, client_auth=impostor) as client_lib,
        pytest.raises(InvalidCredentials) as info,
    ):
        client_lib.request_token(ClientCredentialsGrant())
    message = str(info.value)
    assert "signature does not verify" in message
    assert "private_key_jwt" in message


def test_method_not_registered(provider: Any, http: httpx.Client) -> None:
    auth = PrivateKeyJwt.generate("svc-bot")
    provider.add_client("svc-bot", client_secret="s3cret-s3cret-s3cret")  # secret methods only
    answer = http.post(provider.url_for("token"), data=_assertion_form(auth, provider))
    assert answer.status_code == 401
    assert "may not authenticate with private_key_jwt" in answer.json()["error_description"]


def test_two_methods_at_once_is_invalid_request(provider: Any, http: httpx.Client) -> None:
    auth = PrivateKeyJwt.generate("svc-bot")
    provider.add_client("svc-bot", client_secret="s3cret-s3cret-s3cret", jwks=auth.jwks())
    answer = http.post(
        provider.url_for("token"),
        data=_assertion_form(auth, provider),
        auth=("svc-bot", "s3cret-s3cret-s3cret"),
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


def test_client_id_must_match_the_assertion(provider: Any, http: httpx.Client) -> None:
    auth = PrivateKeyJwt.generate("svc-bot")
    provider.add_client("svc-bot", jwks=auth.jwks())
    provider.add_client("other")
    form = _assertion_form(auth, provider)
    form["client_id"] = "other"
    answer = http.post(provider.url_for("token"), data=form)
    assert answer.status_code == 401
    assert "differs from the client assertion's sub" in answer.json()["error_description"]


def test_unreachable_jwks_uri(provider: Any, documents: DocumentHost, http: httpx.Client) -> None:
    auth = PrivateKeyJwt.generate("svc-bot")
    provider.add_client("svc-bot", jwks_uri=documents.server.url + "/missing.json")
    answer = http.post(provider.url_for("token"), data=_assertion_form(auth, provider))
    assert answer.status_code == 401
    assert "answered HTTP 404" in answer.json()["error_description"]


def test_metadata_advertises_jwt_client_auth(provider: Any, http: httpx.Client) -> None:
    meta = http.get(provider.issuer + "/.well-known/openid-configuration").json()
    for name in ("token", "revocation"):
        assert {"private_key_jwt", "client_secret_jwt"} <= set(
            meta[f"{name}_endpoint_auth_methods_supported"]
        )
    algs = meta["token_endpoint_auth_signing_alg_values_supported"]
    assert {"RS256", "ES256", "PS256", "EdDSA", "HS256"} <= set(algs)
    assert "none" not in algs


def test_assertion_type_constant() -> None:
    assert ASSERTION_TYPE == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"token_endpoint_auth_method": "private_key_jwt"}, "needs the client's public keys"),
        ({"jwks": {"keys": []}}, "non-empty 'keys' list"),
        ({"jwks": {"keys": []}, "jwks_uri": "https://x"}, "not both"),
        ({"jwks_uri": "ftp://x"}, "http"),
        (
            {
                "token_endpoint_auth_method": "client_secret_jwt",
                "token_endpoint_auth_signing_alg": "RS256",
            },
            "does not fit",
        ),
    ],
)
def test_add_client_validates_jwt_settings(idp: Any, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        idp.add_client(**kwargs)
