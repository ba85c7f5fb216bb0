"""The JWT bearer grant (RFC 7523 §2.1) and token exchange (RFC 8693), over both transports."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import ECKey

from pytest_authmock.client import (
    ClientCredentialsGrant,
    DPoPKey,
    InvalidCredentials,
    JwtBearerGrant,
    OAuthClient,
    PrivateKeyJwt,
    ProviderError,
    TokenExchangeGrant,
)
from pytest_authmock.client.exchange import ACCESS_TOKEN_TYPE, ID_TOKEN_TYPE, JWT_TOKEN_TYPE
from tests.breadth.conftest import DocumentHost
from tests.breadth.helpers import claims_of, exchange, oauth

PLATFORM = "https://platform.example"


@pytest.fixture(scope="module")
def signer() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "sa-1"}, private=True)


def jwks_of(key: ECKey) -> dict[str, Any]:
    return {"keys": [key.as_dict(private=False)]}


def assertion(key: ECKey, **claims: Any) -> str:
    now = int(time.time())
    body: dict[str, Any] = {
        "iss": "https://sa.example",
        "sub": "svc-reporting",
        "jti": secrets.token_hex(8),
        "iat": now,
        "exp": now + 60,
    }
    body.update(claims)
    return jws.serialize_compact(
        {"alg": "ES256", "kid": "sa-1", "typ": "JWT"}, json.dumps(body), key
    )


@pytest.fixture
def other_issuer(request: pytest.FixtureRequest, transport: str) -> Callable[[], Any]:
    """Another fake provider on the same transport: a CI system's OIDC issuer, say."""
    if transport == "inprocess":
        factory = request.getfixturevalue("idp_factory")
        return lambda: factory("https://ci.example")
    return request.getfixturevalue("idp_server_factory")  # type: ignore[no-any-return]


# -- JWT bearer grant -------------------------------------------------------------------


def test_jwt_bearer_with_a_trusted_key(provider: Any, signer: ECKey) -> None:
    provider.trust_issuer("https://sa.example", jwks=jwks_of(signer), copy_claims=["team"])
    client = provider.add_client(scopes=["reports"])
    value = assertion(signer, aud=provider.issuer, team="data")
    with oauth(provider, client) as client_lib:
        token = client_lib.request_token(JwtBearerGrant(value, scopes=["reports"]))
    assert token.refresh_token is None
    claims = claims_of(token.access_token)
    assert claims["sub"] == "svc-reporting"
    assert claims["client_id"] == client.client_id
    assert claims["team"] == "data"
    assert claims["scope"] == "reports"


def test_jwt_bearer_subject_can_be_a_local_user(provider: Any, signer: ECKey) -> None:
    provider.trust_issuer("https://sa.example", jwks=jwks_of(signer))
    ada = provider.add_user("ada")
    client = provider.add_client()
    with oauth(provider, client) as client_lib:
        token = client_lib.request_token(
            JwtBearerGrant(assertion(signer, aud=provider.url_for("token"), sub=ada.sub))
        )
    assert claims_of(token.access_token)["sub"] == ada.sub
    assert provider.journal.filter(endpoint="token")[-1].username == "ada"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"iss": "https://elsewhere.example"}, "does not trust"),
        ({"aud": "https://other.example"}, "does not name this provider"),
        ({"exp": int(time.time()) - 10}, "expired at"),
        ({"sub": None}, "no 'sub' claim"),
    ],
)
def test_jwt_bearer_refusals(
    provider: Any, signer: ECKey, http: httpx.Client, changes: dict[str, Any], message: str
) -> None:
    provider.trust_issuer("https://sa.example", jwks=jwks_of(signer))
    client = provider.add_client()
    claims = {"aud": provider.issuer, **changes}
    value = assertion(signer, **{k: v for k, v in claims.items() if v is not None})
    if changes.get("sub", "") is None:
        body = claims_of(value)
        del body["sub"]
        value = jws.serialize_compact({"alg": "ES256", "kid": "sa-1"}, json.dumps(body), signer)
    answer = http.post(
        provider.url_for("token"),
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": value},
        auth=(client.client_id, client.client_secret),
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    assert message in answer.json()["error_description"]


def test_jwt_bearer_replay_and_forgery(provider: Any, signer: ECKey) -> None:
    provider.trust_issuer("https://sa.example", jwks=jwks_of(signer))
    client = provider.add_client()
    value = assertion(signer, aud=provider.issuer)
    forged = assertion(
        ECKey.generate_key("P-256", parameters={"kid": "sa-1"}, private=True), aud=provider.issuer
    )
    with oauth(provider, client) as client_lib:
        client_lib.request_token(JwtBearerGrant(value))
        with pytest.raises(InvalidCredentials, match="already used"):
            client_lib.request_token(JwtBearerGrant(value))
        with pytest.raises(InvalidCredentials, match="signature does not verify"):
            client_lib.request_token(JwtBearerGrant(forged))


def test_trusted_keys_from_a_jwks_uri(
    provider: Any, signer: ECKey, documents: DocumentHost
) -> None:
    uri = documents.publish("/sa/jwks.json", jwks_of(signer))
    provider.trust_issuer("https://sa.example", jwks_uri=uri)
    client = provider.add_client()
    with oauth(provider, client) as client_lib:
        assert client_lib.request_token(
            JwtBearerGrant(assertion(signer, aud=provider.issuer))
        ).access_token
    assert documents.fetches["/sa/jwks.json"] == 1


# -- token exchange -----------------------------------------------------------------------


def test_ci_identity_token_becomes_a_platform_token(
    provider: Any, other_issuer: Callable[[], Any]
) -> None:
    ci = other_issuer()  # the CI system's OIDC issuer
    runner = ci.add_user(sub="repo:acme/app:ref:refs/heads/main")
    workflow = ci.add_client(audience=PLATFORM, claims={"repository": "acme/app"})
    id_token = ci.issue_token(workflow, user=runner)  # a JWT with aud=PLATFORM
    provider.trust_issuer(ci, audience=PLATFORM, copy_claims=["repository"])
    platform_client = provider.add_client("deployer", scopes=["deploy"])
    grant = TokenExchangeGrant(
        id_token,
        subject_token_type=JWT_TOKEN_TYPE,
        audience="https://api.platform.example",
        scopes=["deploy"],
    )
    with oauth(provider, platform_client) as client_lib:
        token = client_lib.request_token(grant)
    claims = claims_of(token.access_token)
    assert claims["iss"] == provider.issuer
    assert claims["sub"] == "repo:acme/app:ref:refs/heads/main"
    assert claims["aud"] == "https://api.platform.example"
    assert claims["repository"] == "acme/app"
    assert claims["client_id"] == "deployer"
    # The CI issuer rotates its keys: the provider reads them live.
    ci.rotate_keys(grace=0)
    with oauth(provider, platform_client) as client_lib:
        client_lib.request_token(
            TokenExchangeGrant(
                ci.issue_token(workflow, user=runner), subject_token_type=JWT_TOKEN_TYPE
            )
        )


def test_exchange_answer_names_the_issued_type(provider: Any, http: httpx.Client) -> None:
    client = provider.add_client()
    subject = provider.issue_token(client, scopes=["read", "write"])
    answer = exchange(
        http, provider, client, subject, scope="read", resource="https://files.example"
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["issued_token_type"] == ACCESS_TOKEN_TYPE
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "read"
    assert claims_of(body["access_token"])["aud"] == "https://files.example"


def test_actor_and_may_act(provider: Any) -> None:
    ada = provider.add_user("ada")
    app = provider.add_client("app")
    agent = provider.add_client("agent", claims={"may_act": {"sub": "someone-else"}})
    user_token = provider.issue_token(app, user=ada, scopes=["mail"])
    actor_token = provider.issue_token(agent)
    grant = TokenExchangeGrant(
        user_token, actor_token=actor_token, actor_token_type=ACCESS_TOKEN_TYPE
    )
    with oauth(provider, agent) as client_lib:
        token = client_lib.request_token(grant)
    claims = claims_of(token.access_token)
    assert claims["sub"] == ada.sub
    assert claims["act"] == {"sub": "agent", "iss": provider.issuer}
    assert claims["scope"] == "mail"
    # A subject token that names who may act for it refuses anyone else.
    limited = provider.issue_token(agent)  # carries may_act: someone-else
    with oauth(provider, agent) as client_lib, pytest.raises(ProviderError, match="may_act"):
        client_lib.request_token(
            TokenExchangeGrant(limited, actor_token=actor_token, actor_token_type=ACCESS_TOKEN_TYPE)
        )


def test_exchange_of_an_id_token_from_this_provider(provider: Any) -> None:
    ada = provider.add_user("ada")
    client = provider.add_client()
    form = {
        "grant_type": "password",
        "username": "ada",
        "password": ada.password,
        "scope": "openid",
    }
    with httpx.Client(verify=getattr(provider, "httpx_verify", None) or True) as http:
        id_token = http.post(
            provider.url_for("token"), data=form, auth=(client.client_id, client.client_secret)
        ).json()["id_token"]
    with oauth(provider, client) as client_lib:
        token = client_lib.request_token(
            TokenExchangeGrant(id_token, subject_token_type=ID_TOKEN_TYPE)
        )
    assert claims_of(token.access_token)["sub"] == ada.sub
    assert provider.journal.filter(endpoint="token")[-1].username == "ada"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"subject_token_type": "urn:x"}, "is not one this provider accepts"),
        (
            {"requested_token_type": "urn:ietf:params:oauth:token-type:saml2"},
            "cannot be issued here",
        ),
        ({"scope": "admin"}, "wider than the subject token's"),
        ({"actor_token_type": ACCESS_TOKEN_TYPE}, "without an actor_token"),
    ],
)
def test_exchange_refusals(
    provider: Any, http: httpx.Client, form: dict[str, str], message: str
) -> None:
    client = provider.add_client()
    subject = provider.issue_token(client, scopes=["read"])
    answer = exchange(http, provider, client, subject, **form)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"
    assert message in answer.json()["error_description"]


def test_audience_outside_the_clients_is_invalid_target(provider: Any, http: httpx.Client) -> None:
    client = provider.add_client(audience=["https://a.example"])
    subject = provider.issue_token(client)
    answer = exchange(http, provider, client, subject, audience="https://b.example")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_target"


def test_several_audiences_and_resources(provider: Any, http: httpx.Client) -> None:
    client = provider.add_client(
        audience=["billing", "orders"], resources=["https://api.example/v1"]
    )
    subject = provider.issue_token(client)
    answer = exchange(
        http,
        provider,
        client,
        subject,
        audience=["billing", "orders"],  # repeated (RFC 8693 §2.1)
        resource="https://api.example/v1",
    )
    assert answer.status_code == 200, answer.text
    aud = claims_of(answer.json()["access_token"])["aud"]
    assert aud == ["billing", "orders", "https://api.example/v1"]
    refused = exchange(http, provider, client, subject, resource="https://other.example/")
    assert refused.json()["error"] == "invalid_target"
    assert "resources=[...]" in refused.json()["error_description"]


def test_a_bound_subject_token_needs_its_key(provider: Any) -> None:
    client = provider.add_client()
    key = DPoPKey.generate()
    with OAuthClient(
        provider.issuer,
        client_id=client.client_id,
        client_secret=client.client_secret,
        dpop=key,
        verify=getattr(provider, "httpx_verify", None) or True,
    ) as holder:
        bound = holder.request_token(ClientCredentialsGrant())
        # The holder itself may exchange it (its proof goes along)...
        assert holder.request_token(TokenExchangeGrant(bound.access_token)).token_type == "DPoP"
    # ...a thief without the key may not.
    with oauth(provider, client) as thief, pytest.raises(ProviderError, match="DPoP-bound"):
        thief.request_token(TokenExchangeGrant(bound.access_token))


def test_metadata_lists_the_grants(provider: Any, http: httpx.Client) -> None:
    grants = http.get(provider.issuer + "/.well-known/openid-configuration").json()[
        "grant_types_supported"
    ]
    assert "urn:ietf:params:oauth:grant-type:jwt-bearer" in grants
    assert "urn:ietf:params:oauth:grant-type:token-exchange" in grants


def test_trust_issuer_validates(idp: Any, signer: ECKey) -> None:
    with pytest.raises(TypeError, match="needs its keys"):
        idp.trust_issuer("https://x.example")
    with pytest.raises(ValueError, match="http"):
        idp.trust_issuer("ci", jwks=jwks_of(signer))
    with pytest.raises(ValueError, match="public keys only"):
        idp.trust_issuer("https://x.example", jwks={"keys": [signer.as_dict(private=True)]})


def test_service_account_asserts_for_a_user_with_its_own_key(provider: Any) -> None:
    signer = PrivateKeyJwt.generate("robot")
    provider.add_client("robot", jwks=signer.jwks())
    ada = provider.add_user("ada")
    with OAuthClient(
        provider.issuer, client_auth=signer, verify=getattr(provider, "httpx_verify", None) or True
    ) as client_lib:
        token = client_lib.request_token(
            JwtBearerGrant(signer.assertion(provider.issuer, subject="ada"))
        )
        assert claims_of(token.access_token)["sub"] == ada.sub
        other = PrivateKeyJwt.generate("robot", kid=signer.key.kid)  # same kid, wrong key
        with pytest.raises(InvalidCredentials, match="signature does not verify"):
            client_lib.request_token(
                JwtBearerGrant(other.assertion(provider.issuer, subject="ada"))
            )
