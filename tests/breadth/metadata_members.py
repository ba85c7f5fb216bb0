"""Provers of the metadata members: each makes an advertised value do its job.

``PROVERS[member](agent, value)``; list members are proven element by element, and
an element without a prover fails. Used by ``test_metadata_truth.py``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from pytest_authmock.client import DPoPKey
from tests.breadth.helpers import claims_of
from tests.breadth.metadata_protocol_provers import PROTOCOL_PROVERS
from tests.breadth.metadata_provers import (
    ACCESS_TOKEN_TYPE,
    DEVICE_CODE,
    JWT_BEARER,
    TOKEN_EXCHANGE,
    Agent,
    assertion_for,
    signing_key,
    verify_with_jwks,
)

Prover = Callable[[Agent, Any], None]


# -- endpoints ---------------------------------------------------------------------------


def prove_issuer(agent: Agent, value: Any) -> None:
    assert value == agent.provider.issuer
    # RFC 8414 §3.3: both documents name the same issuer.
    other = agent.http().get(agent.provider.issuer + "/.well-known/oauth-authorization-server")
    assert other.json()["issuer"] == value


def prove_token_endpoint(agent: Agent, value: Any) -> None:
    assert agent.client_credentials()["token_type"] == "Bearer"


def prove_jwks_uri(agent: Agent, value: Any) -> None:
    token = agent.client_credentials()["access_token"]
    assert verify_with_jwks(agent, token)["kid"]


def prove_introspection(agent: Agent, value: Any) -> None:
    client, post = agent.poster("client_secret_basic")
    token = agent.provider.issue_token(client)
    assert post("introspection_endpoint", {"token": token}).json()["active"] is True


def prove_revocation(agent: Agent, value: Any) -> None:
    client, post = agent.poster("client_secret_basic")
    token = agent.provider.issue_token(client)
    assert post("revocation_endpoint", {"token": token}).status_code == 200
    assert not agent.is_active(token)


def prove_userinfo(agent: Agent, value: Any) -> None:
    _, body = agent.password()
    answer = agent.http().get(value, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert answer.status_code == 200
    assert answer.json()["sub"] == claims_of(body["access_token"])["sub"]


def prove_authorization(agent: Agent, value: Any) -> None:
    _, token = agent.authorization_code()
    assert token["id_token"]


def prove_device(agent: Agent, value: Any) -> None:
    agent.provider.auto_approve = None  # the user approves on the device page, here by the test
    client = agent.provider.add_client(public=True)
    http = agent.http()
    started = http.post(value, data={"client_id": client.client_id}).json()
    agent.provider.approve_device(started["user_code"], user=agent.provider.add_user())
    answer = http.post(
        agent.metadata["token_endpoint"],
        data={
            "grant_type": DEVICE_CODE,
            "device_code": started["device_code"],
            "client_id": client.client_id,
        },
    )
    assert answer.status_code == 200, answer.text


def prove_api_tokens(agent: Agent, value: Any) -> None:
    scope = agent.provider.flow_settings.api_token_admin_scope
    admin = agent.provider.issue_token(user=agent.provider.add_user(), scopes=[scope, "read"])
    answer = agent.http().post(
        value, json={"name": "ci", "scopes": ["read"]}, headers={"Authorization": f"Bearer {admin}"}
    )
    assert answer.status_code == 201, answer.text
    assert agent.is_active(answer.json()["token"])


def prove_api_tokens_openapi(agent: Agent, value: Any) -> None:
    assert "openapi" in agent.http().get(value).json()


def prove_mtls_aliases(agent: Agent, value: Any) -> None:
    assert set(value) == {
        "token_endpoint",
        "introspection_endpoint",
        "revocation_endpoint",
        "userinfo_endpoint",
    }
    _, post = agent.poster("tls_client_auth")  # posts to the aliases
    answer = post("token_endpoint", {"grant_type": "client_credentials"})
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    assert post("introspection_endpoint", {"token": token}).json()["active"] is True
    assert post("revocation_endpoint", {"token": token}).status_code == 200
    assert not agent.is_active(token)
    # userinfo at the alias: a user's certificate-bound token, with the certificate.
    cert = agent.pki.issue_client_cert("cli-" + secrets.token_hex(3))
    cli = agent.provider.add_client(tls_client_auth_subject_dn=cert.subject_dn)
    user = agent.provider.add_user()
    http = agent.http(cert)
    bound = http.post(
        value["token_endpoint"],
        data={
            "grant_type": "password",
            "username": user.username,
            "password": user.password,
            "scope": "openid",
            "client_id": cli.client_id,
        },
    ).json()["access_token"]
    assert (
        http.get(value["userinfo_endpoint"], headers={"Authorization": f"Bearer {bound}"}).json()[
            "sub"
        ]
        == user.sub
    )


# -- switches ----------------------------------------------------------------------------


def prove_iss_parameter(agent: Agent, value: Any) -> None:
    assert value is True
    location, _ = agent.authorization_code()
    assert location.params["iss"] == agent.provider.issuer  # RFC 9207


def prove_certificate_bound(agent: Agent, value: Any) -> None:
    assert value is True
    _, post = agent.poster("tls_client_auth")
    token = post("token_endpoint", {"grant_type": "client_credentials"}).json()["access_token"]
    assert "x5t#S256" in claims_of(token)["cnf"]
    assert not agent.provider.check_bearer(f"Bearer {token}").ok  # no certificate, no use


# -- lists -------------------------------------------------------------------------------


def each(provers: dict[str, Callable[[Agent], None]]) -> Prover:
    def prove(agent: Agent, values: Any) -> None:
        assert isinstance(values, list), values
        assert values, "an empty list advertises nothing"
        unproven = [value for value in values if value not in provers]
        assert not unproven, f"advertised without a prover: {unproven}"
        for value in values:
            provers[value](agent)

    return prove


def each_value(prove_one: Callable[[Agent, str], None]) -> Prover:
    def prove(agent: Agent, values: Any) -> None:
        assert isinstance(values, list), values
        assert values, "an empty list advertises nothing"
        for value in values:
            prove_one(agent, value)

    return prove


def _jwt_bearer(agent: Agent) -> None:
    key = signing_key("ES256")
    agent.provider.trust_issuer("https://sa.example", jwks={"keys": [key.as_dict(private=False)]})
    _, post = agent.poster("client_secret_basic")
    answer = post(
        "token_endpoint",
        {
            "grant_type": JWT_BEARER,
            "assertion": assertion_for("https://sa.example", agent.provider.issuer, key),
        },
    )
    assert answer.status_code == 200, answer.text


def _token_exchange(agent: Agent) -> None:
    client, post = agent.poster("client_secret_basic")
    subject = agent.provider.issue_token(client)
    answer = post(
        "token_endpoint",
        {
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": subject,
            "subject_token_type": ACCESS_TOKEN_TYPE,
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["issued_token_type"] == ACCESS_TOKEN_TYPE


def _refresh(agent: Agent) -> None:
    client, body = agent.password("openid")
    answer = agent.http().post(
        agent.metadata["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
        auth=(client.client_id, client.client_secret),
    )
    assert answer.status_code == 200, answer.text


GRANTS: dict[str, Callable[[Agent], None]] = {
    "authorization_code": lambda agent: prove_authorization(agent, None),
    "client_credentials": lambda agent: prove_token_endpoint(agent, None),
    "password": lambda agent: agent.password() and None,
    "refresh_token": _refresh,
    DEVICE_CODE: lambda agent: prove_device(agent, agent.metadata["device_authorization_endpoint"]),
    JWT_BEARER: _jwt_bearer,
    TOKEN_EXCHANGE: _token_exchange,
}


def _token_with(method: str, alg: str | None = None) -> Callable[[Agent], None]:
    def prove(agent: Agent) -> None:
        _, post = agent.poster(method, alg)
        if method == "none":
            user = agent.provider.add_user()
            form = {"grant_type": "password", "username": user.username, "password": user.password}
        else:
            form = {"grant_type": "client_credentials"}
        answer = post("token_endpoint", form)
        assert answer.status_code == 200, f"{method} {alg or ''}: {answer.text}"

    return prove


def _at(endpoint: str, method: str, alg: str | None = None) -> Callable[[Agent], None]:
    def prove(agent: Agent) -> None:
        client, post = agent.poster(method, alg)
        token = agent.provider.issue_token(client)
        answer = post(endpoint, {"token": token})
        assert answer.status_code == 200, f"{endpoint} with {method} {alg or ''}: {answer.text}"
        if endpoint == "introspection_endpoint":
            assert answer.json()["active"] is True
        else:
            assert not agent.is_active(token)

    return prove


METHODS = (
    "client_secret_basic",
    "client_secret_post",
    "none",
    "tls_client_auth",
    "self_signed_tls_client_auth",
    "private_key_jwt",
    "client_secret_jwt",
)


def _signed(endpoint: str) -> Prover:
    def prove_one(agent: Agent, alg: str) -> None:
        method = "client_secret_jwt" if alg.startswith("HS") else "private_key_jwt"
        if endpoint == "token_endpoint":
            _token_with(method, alg)(agent)
        else:
            _at(endpoint, method, alg)(agent)

    return each_value(prove_one)


def _dpop(agent: Agent, alg: str) -> None:
    key = DPoPKey(signing_key(alg), alg=alg)
    client = agent.provider.add_client()
    url = agent.metadata["token_endpoint"]
    answer = agent.http().post(
        url,
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
        headers={"DPoP": key.proof("POST", url)},
    )
    assert answer.status_code == 200, f"DPoP with {alg}: {answer.text}"
    assert answer.json()["token_type"] == "DPoP"


def _id_token_alg(agent: Agent, alg: str) -> None:
    _, body = agent.password("openid")
    assert verify_with_jwks(agent, body["id_token"])["alg"] == alg


def _scope(name: str) -> Callable[[Agent], None]:
    def prove(agent: Agent) -> None:
        _, body = agent.password(f"openid {name}")
        assert name in body["scope"].split()
        if name == "offline_access":
            assert body["refresh_token"]
            return
        userinfo = (
            agent.http()
            .get(
                agent.metadata["userinfo_endpoint"],
                headers={"Authorization": f"Bearer {body['access_token']}"},
            )
            .json()
        )
        expected = {"openid": "sub", "profile": "name", "email": "email"}[name]
        assert expected in userinfo, userinfo

    return prove


def _claims(agent: Agent, values: Any) -> None:
    assert isinstance(values, list)
    _, token = agent.authorization_code(scope="openid profile email", nonce="n-1")
    seen = set(claims_of(token["id_token"]))
    userinfo = (
        agent.http()
        .get(
            agent.metadata["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {token['access_token']}"},
        )
        .json()
    )
    seen |= set(userinfo)
    assert set(values) <= seen, (
        f"claims advertised but never released: {sorted(set(values) - seen)}"
    )


def _public_subjects(agent: Agent) -> None:
    user = agent.provider.add_user()
    subs = {
        agent.provider.check_bearer(f"Bearer {agent.provider.issue_token(user=user)}").token.sub
        for _ in range(2)
    }  # type: ignore[union-attr]
    assert subs == {user.sub}  # the same sub whichever client asks


PROVERS: dict[str, Prover] = {
    "issuer": prove_issuer,
    "token_endpoint": prove_token_endpoint,
    "jwks_uri": prove_jwks_uri,
    "introspection_endpoint": prove_introspection,
    "revocation_endpoint": prove_revocation,
    "userinfo_endpoint": prove_userinfo,
    "authorization_endpoint": prove_authorization,
    "device_authorization_endpoint": prove_device,
    "api_tokens_endpoint": prove_api_tokens,
    "api_tokens_openapi_uri": prove_api_tokens_openapi,
    "mtls_endpoint_aliases": prove_mtls_aliases,
    "authorization_response_iss_parameter_supported": prove_iss_parameter,
    "tls_client_certificate_bound_access_tokens": prove_certificate_bound,
    "grant_types_supported": each(GRANTS),
    "response_types_supported": each({"code": lambda agent: prove_authorization(agent, None)}),
    "response_modes_supported": each({"query": lambda agent: prove_iss_parameter(agent, True)}),
    "code_challenge_methods_supported": each(
        {
            "S256": lambda agent: agent.authorization_code(method="S256") and None,
            "plain": lambda agent: agent.authorization_code(method="plain") and None,
        }
    ),
    "token_endpoint_auth_methods_supported": each({m: _token_with(m) for m in METHODS}),
    "introspection_endpoint_auth_methods_supported": each(
        {m: _at("introspection_endpoint", m) for m in METHODS if m != "none"}
    ),
    "revocation_endpoint_auth_methods_supported": each(
        {m: _at("revocation_endpoint", m) for m in METHODS}
    ),
    "token_endpoint_auth_signing_alg_values_supported": _signed("token_endpoint"),
    "introspection_endpoint_auth_signing_alg_values_supported": _signed("introspection_endpoint"),
    "revocation_endpoint_auth_signing_alg_values_supported": _signed("revocation_endpoint"),
    "dpop_signing_alg_values_supported": each_value(_dpop),
    "id_token_signing_alg_values_supported": each_value(_id_token_alg),
    "scopes_supported": each(
        {name: _scope(name) for name in ("openid", "profile", "email", "offline_access")}
    ),
    "claims_supported": _claims,
    "subject_types_supported": each({"public": _public_subjects}),
    **PROTOCOL_PROVERS,
}
