"""Scenario: one gateway, a tenant per issuer, custom claims per user, client and request."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from examples.multi_tenant.tenants import Gateway, Rejected
from pytest_authmock import ClaimsRequest, FakeIdP


def client_credentials(idp: FakeIdP, client_id: str, secret: str, **form: str) -> str:
    response = httpx.post(
        idp.url_for("token"),
        data={"grant_type": "client_credentials", **form},
        auth=(client_id, secret),
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture
def tenants(idp_factory: Callable[..., FakeIdP]) -> dict[str, FakeIdP]:
    # Each provider has its own issuer URL and its own signing keys.
    return {
        "acme": idp_factory("https://login.acme.example"),
        "globex": idp_factory("https://auth.example/tenants/globex", algorithm="ES256"),
    }


@pytest.fixture
def gateway(tenants: dict[str, FakeIdP]) -> Iterator[Gateway]:
    gateway = Gateway({name: idp.issuer for name, idp in tenants.items()})
    yield gateway
    gateway.close()


def test_each_tenant_accepts_its_own_tokens_only(
    tenants: dict[str, FakeIdP], gateway: Gateway
) -> None:
    acme, globex = tenants["acme"], tenants["globex"]
    acme.add_client("app", "app-secret")
    globex.add_client("app", "app-secret")
    acme_token = client_credentials(acme, "app", "app-secret")
    globex_token = client_credentials(globex, "app", "app-secret")

    assert gateway.authorize("acme", acme_token)["iss"] == acme.issuer
    assert gateway.authorize("globex", globex_token)["iss"] == globex.issuer
    with pytest.raises(Rejected, match="not of tenant 'globex'"):
        gateway.authorize("globex", acme_token)


def test_a_forged_issuer_fails_the_signature(tenants: dict[str, FakeIdP], gateway: Gateway) -> None:
    # A token of acme whose payload claims globex: the keys differ, so it fails.
    acme = tenants["acme"]
    acme.add_client("app", "app-secret")
    head, _, signature = client_credentials(acme, "app", "app-secret").split(".")
    forged = base64.urlsafe_b64encode(
        json.dumps({"iss": tenants["globex"].issuer}).encode()
    ).rstrip(b"=")
    with pytest.raises(Rejected, match="bad signature"):
        gateway.authorize("globex", f"{head}.{forged.decode()}.{signature}")


def test_claims_per_client_per_user_and_per_request(
    tenants: dict[str, FakeIdP], gateway: Gateway
) -> None:
    acme = tenants["acme"]
    acme.add_client(
        "app", "app-secret", claims={"plan": "enterprise"}
    )  # in every token of this client
    acme.add_user("ada", "ada-password", claims={"roles": ["admin"]})  # in every token of this user

    @acme.claims_hook  # per request: sees the grant request, returns extra or overriding claims
    def scoped_roles(request: ClaimsRequest) -> dict[str, Any] | None:
        if request.params.get("resource") == "https://billing.acme.example":
            return {"roles": ["billing-reader"], "plan": "billing"}
        return None

    default = httpx.post(
        acme.url_for("token"),
        data={"grant_type": "password", "username": "ada", "password": "ada-password"},
        auth=("app", "app-secret"),
    ).json()["access_token"]
    billing = httpx.post(
        acme.url_for("token"),
        data={
            "grant_type": "password",
            "username": "ada",
            "password": "ada-password",
            "resource": "https://billing.acme.example",
        },
        auth=("app", "app-secret"),
    ).json()["access_token"]

    claims = gateway.authorize("acme", default)
    assert (claims["roles"], claims["plan"]) == (["admin"], "enterprise")
    claims = gateway.authorize("acme", billing)
    assert (claims["roles"], claims["plan"]) == (["billing-reader"], "billing")


def test_custom_kid(tenants: dict[str, FakeIdP], gateway: Gateway) -> None:
    globex = tenants["globex"]
    globex.use_kid("globex-2030-01")
    globex.add_client("app", "app-secret")
    token = client_credentials(globex, "app", "app-secret")

    assert [key["kid"] for key in globex.jwks()["keys"]] == ["globex-2030-01"]
    assert gateway.authorize("globex", token)["client_id"] == "app"


@pytest.mark.authmock(config="tenant-a.toml")
def test_a_tenant_declared_in_toml(idp: FakeIdP) -> None:
    gateway = Gateway({"a": idp.issuer})
    token = client_credentials(idp, "gateway", "gateway-secret")
    claims = gateway.authorize("a", token)
    gateway.close()
    assert claims["tenant"] == "a"
    assert claims["exp"] - claims["iat"] == 900
    assert idp.keys.kid == "tenant-a-2030"
    # Opaque tokens per client: the batch job's tokens are references, not JWTs.
    opaque = client_credentials(idp, "legacy-batch", "legacy-batch-secret")
    assert opaque.count(".") == 0
    assert idp.check_bearer(f"Bearer {opaque}").ok
