"""Discovery metadata (RFC 8414, OIDC Discovery) and JWKS."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from pytest_authmock import FakeIdP
from tests.helpers import token


@pytest.mark.parametrize(
    "path", ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"]
)
def test_metadata_lists_every_endpoint(provider: FakeIdP, http: httpx.Client, path: str) -> None:
    response = http.get(provider.issuer + path)
    assert response.status_code == 200
    meta = response.json()
    assert meta["issuer"] == provider.issuer
    for name in ("token", "introspection", "revocation", "userinfo"):
        assert meta[f"{name}_endpoint"] == provider.url_for(name)
    assert meta["jwks_uri"] == provider.url_for("jwks")
    assert set(meta["grant_types_supported"]) >= {"client_credentials", "password", "refresh_token"}
    assert "client_secret_basic" in meta["token_endpoint_auth_methods_supported"]
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]


def test_every_advertised_endpoint_answers(provider: FakeIdP, http: httpx.Client) -> None:
    meta = http.get(provider.issuer + "/.well-known/openid-configuration").json()
    for key, url in meta.items():
        if key.endswith("_endpoint") or key == "jwks_uri":
            assert (
                http.request(
                    "GET" if key in ("jwks_uri", "userinfo_endpoint") else "POST", url
                ).status_code
                != 404
            ), key


@pytest.mark.authmock(issuer="https://login.example.test/realms/acme")
def test_issuer_with_a_path(idp: FakeIdP) -> None:
    # OIDC puts the well-known suffix after the path; RFC 8414 §3.1 inserts it before.
    oidc = httpx.get("https://login.example.test/realms/acme/.well-known/openid-configuration")
    rfc8414 = httpx.get(
        "https://login.example.test/.well-known/oauth-authorization-server/realms/acme"
    )
    assert (
        oidc.json()["issuer"]
        == rfc8414.json()["issuer"]
        == "https://login.example.test/realms/acme"
    )
    assert oidc.json()["token_endpoint"] == "https://login.example.test/realms/acme/oauth2/token"
    assert httpx.get("https://login.example.test/elsewhere").status_code == 404


def test_unknown_path_is_a_json_404(idp: FakeIdP) -> None:
    response = httpx.get(idp.issuer + "/nope")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert "/.well-known/openid-configuration" in response.json()["error_description"]


def test_discovery_refuses_post(idp: FakeIdP) -> None:
    response = httpx.post(idp.issuer + "/.well-known/openid-configuration")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"


def _decode(access_token: str, jwks: dict[str, Any], algorithm: str) -> Any:
    return jwt.decode(access_token, KeySet.import_key_set(jwks), algorithms=[algorithm])


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_jwt_access_token_follows_rfc9068(
    provider: FakeIdP, http: httpx.Client, algorithm: str
) -> None:
    if provider.config.algorithm != algorithm:
        provider = FakeIdP(issuer=provider.issuer, algorithm=algorithm)  # type: ignore[arg-type]
        http = httpx.Client(transport=httpx.MockTransport(provider.handler))
    client = provider.add_client(scopes=["read", "write"])
    body = token(http, provider, client, grant_type="client_credentials", scope="read").json()
    jwks = http.get(provider.url_for("jwks")).json()
    decoded = _decode(body["access_token"], jwks, algorithm)
    assert decoded.header["typ"] == "at+jwt"
    assert decoded.header["alg"] == algorithm
    assert decoded.header["kid"] == jwks["keys"][0]["kid"]
    claims = decoded.claims
    assert claims["iss"] == provider.issuer
    assert claims["sub"] == client.client_id  # RFC 9068 §2.2: the client, for client credentials
    assert claims["client_id"] == client.client_id
    assert claims["aud"] == provider.issuer
    assert claims["scope"] == "read"
    assert claims["exp"] - claims["iat"] == body["expires_in"] == 3600
    assert claims["nbf"] == claims["iat"]
    assert len(claims["jti"]) >= 16
    assert "d" not in jwks["keys"][0]  # never the private key


def test_jwks_is_cacheable_and_has_no_private_parts(idp: FakeIdP) -> None:
    response = httpx.get(idp.url_for("jwks"))
    assert "no-store" not in response.headers.get("cache-control", "")
    (key,) = response.json()["keys"]
    assert key["use"] == "sig"
    assert key["alg"] == "RS256"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
