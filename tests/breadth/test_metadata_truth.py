"""The metadata tells the truth: every advertised value works, over both transports.

Each member of the discovery document has a prover that makes it do its job
(every endpoint, grant type, authentication method, algorithm, scope, claim);
list members are proven element by element. A member or element without a
prover fails the test: nothing can be advertised that is not shown to work.
The loopback transport runs with mTLS, so the RFC 8705 members are real too;
``test_plain_loopback_offers_no_client_certificates`` covers the other case.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pytest_authmock.transport.tls import TLSMaterial
from tests.breadth.metadata_members import PROVERS
from tests.breadth.metadata_provers import LOOPBACK, Agent

pytestmark = pytest.mark.authmock(mtls=True)


@pytest.fixture
def agent(provider: Any, transport: str, authmock_pki: TLSMaterial) -> Iterator[Agent]:
    made = Agent(provider, transport, authmock_pki)
    yield made
    made.close()


def test_every_member_has_a_prover(agent: Agent) -> None:
    unproven = sorted(set(agent.metadata) - set(PROVERS))
    assert not unproven, f"advertised without a prover: {unproven}"


@pytest.mark.parametrize("member", sorted(PROVERS))
def test_advertised_member_works(agent: Agent, member: str) -> None:
    if member not in agent.metadata:
        pytest.skip(f"{member} is not advertised over this transport")
    PROVERS[member](agent, agent.metadata[member])


# -- and nothing more --------------------------------------------------------------------


def test_what_is_not_advertised_is_refused(agent: Agent) -> None:
    meta = agent.metadata
    http = agent.http()
    client = agent.provider.add_client()
    auth = (client.client_id, client.client_secret)
    token_url = meta["token_endpoint"]
    grant = "urn:ietf:params:oauth:grant-type:saml2-bearer"
    assert grant not in meta["grant_types_supported"]
    answer = http.post(token_url, data={"grant_type": grant}, auth=auth)
    assert answer.json()["error"] == "unsupported_grant_type"
    assert "token" not in meta["response_types_supported"]
    public = agent.provider.add_client(public=True, redirect_uris=[LOOPBACK])
    implicit = http.get(
        meta["authorization_endpoint"],
        params={"response_type": "token", "client_id": public.client_id, "redirect_uri": LOOPBACK},
    )
    assert "unsupported_response_type" in implicit.headers.get("location", implicit.text)
    assert "plain" not in meta["code_challenge_methods_supported"]
    plain = http.get(
        meta["authorization_endpoint"],
        params={
            "response_type": "code",
            "client_id": public.client_id,
            "redirect_uri": LOOPBACK,
            "code_challenge": "x" * 43,
            "code_challenge_method": "plain",
        },
    )
    assert httpx.URL(plain.headers["location"]).params["error"] == "invalid_request"
    assert "none" not in meta["introspection_endpoint_auth_methods_supported"]
    public_token = agent.provider.issue_token(public)
    refused = http.post(
        meta["introspection_endpoint"], data={"token": public_token, "client_id": public.client_id}
    )
    assert refused.status_code == 401
    assert "HS256" not in meta["dpop_signing_alg_values_supported"]
    header = {"typ": "dpop+jwt", "alg": "HS256", "jwk": {"kty": "oct", "k": "c2VjcmV0"}}
    claims = {"jti": "j", "htm": "POST", "htu": token_url, "iat": int(time.time())}
    hs_proof = f"{_b64(header)}.{_b64(claims)}.AAAA"
    answer = http.post(
        token_url, data={"grant_type": "client_credentials"}, auth=auth, headers={"DPoP": hs_proof}
    )
    assert answer.json()["error"] == "invalid_dpop_proof"


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_plain_loopback_offers_no_client_certificates(idp_server_factory: Any) -> None:
    provider = idp_server_factory()  # plain HTTP: a request cannot carry a client certificate
    with httpx.Client() as http:
        meta = http.get(provider.issuer + "/.well-known/openid-configuration").json()
    assert "tls_client_certificate_bound_access_tokens" not in meta
    assert "mtls_endpoint_aliases" not in meta
    for member in ("token", "introspection", "revocation"):
        methods = meta[f"{member}_endpoint_auth_methods_supported"]
        assert not {"tls_client_auth", "self_signed_tls_client_auth"} & set(methods)


def test_required_pushed_requests_are_what_is_advertised(provider: Any, agent: Agent) -> None:
    provider.protocol_settings.require_pushed_authorization_requests = True
    meta = agent.http().get(provider.issuer + "/.well-known/openid-configuration").json()
    assert meta["require_pushed_authorization_requests"] is True
    PROVERS["require_pushed_authorization_requests"](agent, True)
    PROVERS["pushed_authorization_request_endpoint"](
        agent, meta["pushed_authorization_request_endpoint"]
    )


def test_switched_off_protocol_features_are_neither_advertised_nor_served(
    provider: Any, agent: Agent
) -> None:
    settings = provider.protocol_settings
    settings.dynamic_registration = False
    settings.pushed_authorization_requests = False
    settings.end_session = False
    http = agent.http()
    meta = http.get(provider.issuer + "/.well-known/openid-configuration").json()
    for member, endpoint in (
        ("registration_endpoint", "registration"),
        ("pushed_authorization_request_endpoint", "pushed_authorization_request"),
        ("end_session_endpoint", "end_session"),
    ):
        assert member not in meta
        assert http.post(agent.metadata[member], data={}).status_code == 404, endpoint
    assert "require_pushed_authorization_requests" not in meta
