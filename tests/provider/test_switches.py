"""The switches for the choices real providers make, over both transports (set by the marker)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from pytest_authmock import FakeIdP
from tests.flows.helpers import VERIFIER, challenge
from tests.helpers import login, password_grant, token

DEVICE = "urn:ietf:params:oauth:grant-type:device_code"
CALLBACK = "http://127.0.0.1/cb"


def claims_of(jwt: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a compact JWT, unverified (the provider's own tests verify)."""
    parts = [
        json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in jwt.split(".")[:2]
    ]
    return parts[0], parts[1]


def metadata(http: httpx.Client, idp: FakeIdP) -> dict[str, Any]:
    body: dict[str, Any] = http.get(idp.issuer + "/.well-known/openid-configuration").json()
    return body


def cc(http: httpx.Client, idp: FakeIdP, **params: Any) -> httpx.Response:
    return token(http, idp, idp.add_client(), grant_type="client_credentials", **params)


# -- discovery ---------------------------------------------------------------------------


@pytest.mark.authmock(metadata_documents=["openid-configuration"])
def test_metadata_documents(provider: FakeIdP, http: httpx.Client) -> None:
    assert http.get(provider.issuer + "/.well-known/openid-configuration").status_code == 200
    rfc8414 = http.get(provider.issuer + "/.well-known/oauth-authorization-server")
    assert rfc8414.status_code == 404
    assert "oauth-authorization-server" in rfc8414.json()["error_description"]


@pytest.mark.authmock(
    grant_types=["client_credentials", "refresh_token"],
    unpublished_metadata=["jwks_uri", "revocation_endpoint"],
)
def test_grants_offered_and_unpublished_metadata(provider: FakeIdP, http: httpx.Client) -> None:
    meta = metadata(http, provider)
    assert meta["grant_types_supported"] == ["client_credentials", "refresh_token"]
    for gone in ("jwks_uri", "revocation_endpoint", "authorization_endpoint"):
        assert gone not in meta
    assert "device_authorization_endpoint" not in meta
    refused = password_grant(http, provider, provider.add_client(), provider.add_user())
    assert refused.status_code == 400
    assert refused.json()["error"] == "unsupported_grant_type"
    with pytest.raises(ValueError, match="unknown grant type 'password'"):
        provider.add_client(grant_types=["password"])


def test_bad_grant_names_and_metadata_are_refused_at_once() -> None:
    with pytest.raises(ValueError, match="grant_types names grant type 'implicit'"):
        FakeIdP(grant_types=["implicit"])
    with pytest.raises(ValueError, match="cannot leave out 'issuer'"):
        FakeIdP(unpublished_metadata=["issuer"])
    with pytest.raises(ValueError, match="unknown_scope 'ignore' needs scopes_supported"):
        FakeIdP(unknown_scope="ignore")
    with pytest.raises(ValueError, match="invalid_client_status must be one of 400, 401"):
        FakeIdP(invalid_client_status=True)


@pytest.mark.authmock(jwks_alg=False)
def test_jwks_without_alg(provider: FakeIdP, http: httpx.Client) -> None:
    keys = http.get(provider.url_for("jwks")).json()["keys"]
    assert keys
    assert all("alg" not in key and key["kty"] == "RSA" for key in keys)


# -- the token endpoint -------------------------------------------------------------------------


@pytest.mark.authmock(scopes_supported=["openid", "read"], unknown_scope="ignore")
def test_an_unknown_scope_ignored(provider: FakeIdP, http: httpx.Client) -> None:
    assert metadata(http, provider)["scopes_supported"] == ["openid", "read"]
    body = cc(http, provider, scope="read mystery").json()
    assert body["scope"] == "read"
    assert "scope" not in cc(http, provider, scope="mystery").json()


@pytest.mark.authmock(scopes_supported=["read"], unknown_scope="invalid_scope")
def test_an_unknown_scope_refused(provider: FakeIdP, http: httpx.Client) -> None:
    refused = cc(http, provider, scope="read mystery")
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_scope"
    assert "'mystery'" in refused.json()["error_description"]
    # A scope the client registered is known to the provider too.
    client = provider.add_client(scopes=["mystery"])
    assert (
        token(http, provider, client, grant_type="client_credentials", scope="mystery").status_code
        == 200
    )


@pytest.mark.authmock(bearer_token_type="bearer", send_expires_in=False)
def test_token_type_spelling_and_no_expires_in(provider: FakeIdP, http: httpx.Client) -> None:
    body = cc(http, provider).json()
    assert body["token_type"] == "bearer"
    assert "expires_in" not in body
    assert claims_of(body["access_token"])[1]["exp"] > 0  # the token still expires


@pytest.mark.authmock(access_token_typ=None, id_token_typ="id_token+jwt")
def test_typ_headers(provider: FakeIdP, http: httpx.Client) -> None:
    body = login(http, provider, provider.add_client(), provider.add_user(), scope="openid")
    assert "typ" not in claims_of(body["access_token"])[0]
    assert claims_of(body["id_token"])[0]["typ"] == "id_token+jwt"


@pytest.mark.authmock(invalid_client_status=400)
def test_invalid_client_as_400(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    response = http.post(
        provider.url_for("token"),
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, "wrong"),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        pytest.param(404, "not_found", marks=pytest.mark.authmock(token_endpoint_get_status=404)),
        pytest.param(
            400, "invalid_request", marks=pytest.mark.authmock(token_endpoint_get_status=400)
        ),
    ],
)
def test_get_at_the_token_endpoint(
    provider: FakeIdP, http: httpx.Client, status: int, error: str
) -> None:
    response = http.get(provider.url_for("token"))
    assert (response.status_code, response.json()["error"]) == (status, error)


@pytest.mark.authmock(client_secret_methods=["client_secret_basic"])
def test_client_secret_methods(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    assert client.token_endpoint_auth_methods == ("client_secret_basic",)
    assert token(http, provider, client, grant_type="client_credentials").status_code == 200
    posted = token(http, provider, client, post=True, grant_type="client_credentials")
    assert posted.status_code == 401
    assert "client_secret_post" in posted.json()["error_description"]


@pytest.mark.authmock(unauthorized_grant_error="invalid_request")
def test_forbidden_grant_as_invalid_request(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client(grant_types=["client_credentials"])
    response = token(http, provider, client, grant_type="refresh_token", refresh_token="x")
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


# -- refresh tokens -------------------------------------------------------------------------------


@pytest.mark.authmock(refresh_token_grants=["client_credentials"])
def test_refresh_tokens_by_grant(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    body = token(http, provider, client, grant_type="client_credentials").json()
    refreshed = token(
        http, provider, client, grant_type="refresh_token", refresh_token=body["refresh_token"]
    )
    assert refreshed.status_code == 200, refreshed.text
    assert "refresh_token" not in login(http, provider, client, provider.add_user())


@pytest.mark.authmock(refresh_token_reuse_revokes_family=False)
def test_reuse_without_revoking_the_family(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    first = login(http, provider, client, provider.add_user())["refresh_token"]
    second = token(http, provider, client, grant_type="refresh_token", refresh_token=first).json()
    again = token(http, provider, client, grant_type="refresh_token", refresh_token=first)
    assert again.json()["error"] == "invalid_grant"
    newer = token(
        http, provider, client, grant_type="refresh_token", refresh_token=second["refresh_token"]
    )
    assert newer.status_code == 200, newer.text


# -- introspection and revocation -----------------------------------------------------------------


def introspect(http: httpx.Client, idp: FakeIdP, client: Any, value: str) -> dict[str, Any]:
    response = http.post(
        idp.url_for("introspection"),
        data={"token": value},
        auth=(client.client_id, client.client_secret),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.authmock(introspection_requires_audience=True)
def test_introspection_only_within_the_audience(provider: FakeIdP, http: httpx.Client) -> None:
    outside = provider.add_client()
    inside = provider.add_client("api-client", audience=["api-client"])
    value = token(http, provider, outside, grant_type="client_credentials").json()["access_token"]
    assert introspect(http, provider, outside, value) == {"active": False}
    value = token(http, provider, inside, grant_type="client_credentials").json()["access_token"]
    assert introspect(http, provider, inside, value)["client_id"] == "api-client"


@pytest.mark.authmock(introspect_jwt_access_tokens=False)
def test_jwt_access_tokens_do_not_introspect(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    jwt = token(http, provider, client, grant_type="client_credentials").json()["access_token"]
    assert introspect(http, provider, client, jwt) == {"active": False}
    opaque = provider.add_client(token_format="opaque")
    value = token(http, provider, opaque, grant_type="client_credentials").json()["access_token"]
    assert introspect(http, provider, opaque, value)["active"] is True


@pytest.mark.authmock(revoke_access_tokens=False)
def test_revoking_access_tokens_has_no_effect(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    value = token(http, provider, client, grant_type="client_credentials").json()["access_token"]
    revoked = http.post(
        provider.url_for("revocation"),
        data={"token": value},
        auth=(client.client_id, client.client_secret),
    )
    assert revoked.status_code == 200
    assert introspect(http, provider, client, value)["active"] is True


# -- device flow, bearer challenges -----------------------------------------------------------


@pytest.mark.authmock(
    device_interval=None, device_code_ttl=600, device_verification_uri_complete=False
)
def test_device_answer(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    body = http.post(
        metadata(http, provider)["device_authorization_endpoint"],
        data={"client_id": client.client_id, "client_secret": client.client_secret},
    ).json()
    assert body["expires_in"] == 600
    assert "interval" not in body
    assert "verification_uri_complete" not in body
    assert provider.flow_settings.device_interval == 5  # polling is still paced (RFC 8628 §3.5)


@pytest.mark.authmock(missing_token_error="missing_authorization")
def test_an_error_code_for_a_missing_token(provider: FakeIdP, http: httpx.Client) -> None:
    response = http.get(provider.url_for("userinfo"))
    assert response.status_code == 401
    assert 'error="missing_authorization"' in response.headers["www-authenticate"]


# -- the authorization code flow --------------------------------------------------------------


def code_for(http: httpx.Client, idp: FakeIdP, **params: str | None) -> dict[str, str]:
    if "ada" not in idp.users:
        idp.add_user("ada", "pw")
    idp.flow_settings.auto_approve = "ada"
    query = {
        "response_type": "code",
        "client_id": "app",
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "state": "s",
        "nonce": "n",
        "code_challenge": challenge(),
        "code_challenge_method": "S256",
        **params,
    }
    url = httpx.URL(
        idp.url_for("authorization"), params={k: v for k, v in query.items() if v is not None}
    )
    response = http.get(url)
    assert response.status_code == 302, response.text
    return dict(httpx.URL(response.headers["location"]).params)


def exchange(
    http: httpx.Client, idp: FakeIdP, code: str, verifier: str | None = VERIFIER
) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": verifier,
    }
    return http.post(
        idp.url_for("token"), data={k: v for k, v in data.items() if v}, auth=("app", "app-secret")
    )


@pytest.fixture
def app(provider: FakeIdP) -> Any:
    return provider.add_client("app", "app-secret", redirect_uris=[CALLBACK])


@pytest.mark.authmock(authorization_response_iss=False, code_reuse_revokes_tokens=False)
def test_no_iss_and_reuse_keeps_tokens(provider: FakeIdP, http: httpx.Client, app: Any) -> None:
    answer = code_for(http, provider)
    assert "iss" not in answer
    assert metadata(http, provider)["authorization_response_iss_parameter_supported"] is False
    body = exchange(http, provider, answer["code"]).json()
    assert exchange(http, provider, answer["code"]).json()["error"] == "invalid_grant"
    assert introspect(http, provider, app, body["access_token"])["active"] is True


@pytest.mark.authmock(refused_exchange_spends_code=True)
def test_a_refused_exchange_spends_the_code(
    provider: FakeIdP, http: httpx.Client, app: Any
) -> None:
    code = code_for(http, provider)["code"]
    assert exchange(http, provider, code, verifier="w" * 43).status_code == 400
    assert exchange(http, provider, code).json()["error"] == "invalid_grant"


@pytest.mark.authmock(pkce_methods=["S256", "plain"], require_pkce=True)
def test_pkce_methods_and_required(provider: FakeIdP, http: httpx.Client, app: Any) -> None:
    assert metadata(http, provider)["code_challenge_methods_supported"] == ["S256", "plain"]
    refused = code_for(http, provider, code_challenge=None, code_challenge_method=None)
    assert refused["error"] == "invalid_request"
    plain = code_for(http, provider, code_challenge=VERIFIER, code_challenge_method="plain")
    assert exchange(http, provider, plain["code"]).status_code == 200


# -- claims layouts ---------------------------------------------------------------------------------


@pytest.mark.authmock(
    access_token_claims=["iss", "sub", "aud:array", "exp", "scp:array", "azp", "roles:array", "tid"]
)
def test_access_token_claims_layout(provider: FakeIdP, http: httpx.Client) -> None:
    claims = claims_of(cc(http, provider, scope="read write").json()["access_token"])[1]
    assert set(claims) == {"iss", "sub", "aud", "exp", "scp", "azp", "roles", "tid"}
    assert claims["aud"] == [provider.issuer]
    assert claims["scp"] == ["read", "write"]
    assert (claims["roles"], claims["tid"]) == ([], "")  # typed placeholders
    client = provider.add_client(claims={"roles": ["admin"]})
    own = token(http, provider, client, grant_type="client_credentials").json()["access_token"]
    assert claims_of(own)[1]["roles"] == ["admin"]  # the test's own value wins


@pytest.mark.authmock(access_token_claims=["iss", "sub", "exp"])
def test_a_layout_without_scope_keeps_the_scope(provider: FakeIdP, http: httpx.Client) -> None:
    claims = claims_of(cc(http, provider, scope="read").json()["access_token"])[1]
    assert claims["scope"] == "read"
    assert "jti" not in claims
    assert "scope" not in claims_of(cc(http, provider).json()["access_token"])[1]


@pytest.mark.authmock(id_token_claims=["iss", "sub", "aud", "exp", "iat", "nonce", "amr:array"])
def test_id_token_claims_layout(provider: FakeIdP, http: httpx.Client, app: Any) -> None:
    code = code_for(http, provider, scope="openid email")["code"]
    claims = claims_of(exchange(http, provider, code).json()["id_token"])[1]
    # Released profile claims stay; computed ones not listed go.
    assert set(claims) == {
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "nonce",
        "amr",
        "email",
        "email_verified",
    }
    assert claims["amr"] == []
    assert claims["aud"] == "app"


def test_certificate_binding_can_be_off() -> None:
    import trustme
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(
        trustme.CA().issue_cert("client.test").cert_chain_pems[0].bytes()
    )
    for bound in (True, False):
        idp = FakeIdP(certificate_bound_access_tokens=bound)
        client = idp.add_client()
        record = idp.internals.minter.access_token(
            client=client, user=None, scope=(), peer_cert=cert
        )
        assert (record.cnf is not None) is bound
        assert ("cnf" in claims_of(record.value)[1]) is bound
        assert idp.metadata()["tls_client_certificate_bound_access_tokens"] is bound


def test_every_switch_is_an_option_with_its_default_everywhere() -> None:
    import inspect

    from pytest_authmock.provider.config import ProviderConfig
    from pytest_authmock.provider.switches import DEFAULTS, DESCRIPTIONS

    assert set(DESCRIPTIONS) == set(DEFAULTS)
    config = ProviderConfig()
    keywords = inspect.signature(FakeIdP.__init__).parameters
    for name, default in DEFAULTS.items():
        assert getattr(config, name) == default, name
        assert keywords[name].default == default, name
