"""A protected resource's metadata (RFC 9728) tells the truth, over both transports.

Each member of the document ``idp.protect()`` serves has a prover that makes the
route do what the member says; a member without a prover fails the test. The
loopback transport runs with mTLS, so certificate binding is real there too.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from pytest_authmock.client import DPoPKey
from pytest_authmock.transport.tls import TLSMaterial
from tests.breadth.metadata_provers import Agent, signing_key

pytestmark = pytest.mark.authmock(mtls=True)

SCOPES = ("reports:read", "reports:write")


class Route:
    """One protected route, its metadata document, and the agent that calls it."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.url = agent.provider.issuer + "/reports"
        agent.provider.protect(self.url, scopes=list(SCOPES))
        self.metadata_url = str(
            httpx.URL(self.url).copy_with(path="/.well-known/oauth-protected-resource/reports")
        )
        self.document: dict[str, Any] = agent.http().get(self.metadata_url).json()

    def call(self, token: str, *, http: httpx.Client | None = None) -> httpx.Response:
        client = http or self.agent.http()
        return client.get(self.url, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def route(provider: Any, transport: str, authmock_pki: TLSMaterial) -> Iterator[Route]:
    agent = Agent(provider, transport, authmock_pki)
    yield Route(agent)
    agent.close()


def prove_resource(route: Route, value: Any) -> None:
    # §3.3: the identifier is the one the document's URL was made from.
    assert value == route.url
    assert route.metadata_url == str(
        httpx.URL(value).copy_with(path="/.well-known/oauth-protected-resource/reports")
    )


def prove_authorization_servers(route: Route, value: Any) -> None:
    assert value, "an empty list names no server"
    http = route.agent.http()
    for issuer in value:
        metadata = http.get(issuer + "/.well-known/oauth-authorization-server").json()
        assert metadata["issuer"] == issuer  # RFC 8414 §3.3
        client = route.agent.provider.add_client()
        token = http.post(
            metadata["token_endpoint"],
            data={"grant_type": "client_credentials", "scope": " ".join(SCOPES)},
            auth=(client.client_id, client.client_secret),
        ).json()["access_token"]
        assert route.call(token).status_code == 200


def prove_bearer_methods(route: Route, value: Any) -> None:
    assert value == ["header"]
    token = route.agent.provider.issue_token(scopes=list(SCOPES))
    assert route.call(token).status_code == 200


def prove_scopes(route: Route, value: Any) -> None:
    assert tuple(value) == SCOPES
    provider = route.agent.provider
    assert route.call(provider.issue_token(scopes=list(value))).status_code == 200
    for missing in value:
        fewer = [scope for scope in value if scope != missing]
        refused = route.call(provider.issue_token(scopes=fewer))
        assert refused.status_code == 403, f"a token without {missing} was accepted"
        assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]


def prove_dpop_algs(route: Route, value: Any) -> None:
    assert value, "an empty list advertises nothing"
    agent = route.agent
    token_endpoint = agent.metadata["token_endpoint"]
    for alg in value:
        key = DPoPKey(signing_key(alg), alg=alg)
        client = agent.provider.add_client()
        http = agent.http()
        token = http.post(
            token_endpoint,
            data={"grant_type": "client_credentials", "scope": " ".join(SCOPES)},
            auth=(client.client_id, client.client_secret),
            headers={"DPoP": key.proof("POST", token_endpoint)},
        ).json()["access_token"]
        proof = key.proof("GET", route.url, access_token=token)  # with ath (§4.2)
        answer = http.get(route.url, headers={"Authorization": f"DPoP {token}", "DPoP": proof})
        assert answer.status_code == 200, f"DPoP with {alg}: {answer.text}"
        # Without the proof the bound token is refused (RFC 9449 §7.1).
        assert route.call(token).status_code == 401


def prove_certificate_binding(route: Route, value: Any) -> None:
    assert value is True
    agent = route.agent
    cert = agent.pki.issue_client_cert("route-" + secrets.token_hex(3))
    client = agent.provider.add_client(tls_client_auth_subject_dn=cert.subject_dn)
    with_cert = agent.http(cert)
    token = with_cert.post(
        agent.endpoint("token_endpoint", mtls=True),
        data={
            "grant_type": "client_credentials",
            "client_id": client.client_id,
            "scope": " ".join(SCOPES),
        },
    ).json()["access_token"]
    assert route.call(token, http=with_cert).status_code == 200
    assert route.call(token).status_code == 401  # no certificate, no use (RFC 8705 §3)


PROVERS: dict[str, Callable[[Route, Any], None]] = {
    "resource": prove_resource,
    "authorization_servers": prove_authorization_servers,
    "bearer_methods_supported": prove_bearer_methods,
    "scopes_supported": prove_scopes,
    "dpop_signing_alg_values_supported": prove_dpop_algs,
    "tls_client_certificate_bound_access_tokens": prove_certificate_binding,
}


def test_every_member_has_a_prover(route: Route) -> None:
    unproven = sorted(set(route.document) - set(PROVERS))
    assert not unproven, f"advertised without a prover: {unproven}"


@pytest.mark.parametrize("member", sorted(PROVERS))
def test_advertised_member_works(route: Route, member: str) -> None:
    if member not in route.document:
        pytest.skip(f"{member} is not advertised over this transport")
    PROVERS[member](route, route.document[member])


def test_plain_loopback_offers_no_certificate_binding(idp_server_factory: Any) -> None:
    provider = idp_server_factory()  # plain HTTP: a request cannot carry a client certificate
    provider.protect(provider.issuer + "/reports")
    with httpx.Client() as http:
        document = http.get(provider.issuer + "/.well-known/oauth-protected-resource/reports")
    assert "tls_client_certificate_bound_access_tokens" not in document.json()
