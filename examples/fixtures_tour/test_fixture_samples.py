"""The short samples of the fixture pages (reference, loopback server, multiple issuers), run."""

from __future__ import annotations

from typing import Any

import httpx

# --8<-- [start:annotated]
from pytest_authmock import FakeIdP


def test_annotated(idp: FakeIdP) -> None:
    ...
    # --8<-- [end:annotated]
    assert idp.issuer == "https://idp.authmock.test"


def test_without_patching() -> None:
    # --8<-- [start:handler]
    idp = FakeIdP()
    client = httpx.Client(transport=httpx.MockTransport(idp.handler))
    # --8<-- [end:handler]
    with client:
        assert client.get(idp.url_for("discovery")).json()["issuer"] == idp.issuer


# --8<-- [start:idp_server]
from pytest_authmock import IdPServer  # noqa: E402


def test_any_client(idp_server: IdPServer) -> None:
    print(idp_server.issuer)  # http://127.0.0.1:43117
    # --8<-- [end:idp_server]
    assert idp_server.issuer.startswith("http://127.0.0.1:")


# --8<-- [start:factory]
def test_two_tenants(idp_factory: Any) -> None:
    acme = idp_factory("https://login.acme.example")
    globex = idp_factory("https://auth.example/tenants/globex", token_format="opaque")
    # --8<-- [end:factory]
    assert acme.issuer != globex.issuer
    assert globex.config.token_format == "opaque"


def test_claims_hook(idp: FakeIdP) -> None:
    # --8<-- [start:claims_hook]
    @idp.claims_hook
    def roles_for_the_resource(request):  # type: ignore[no-untyped-def]  # a ClaimsRequest
        if request.params.get("resource") == "https://billing.example":
            return {"roles": ["billing-reader"]}
        return None

    # --8<-- [end:claims_hook]
    idp.add_client("billing-job", "billing-secret", grant_types=["client_credentials"])
    form = {"grant_type": "client_credentials", "resource": "https://billing.example"}
    with httpx.Client(transport=httpx.MockTransport(idp.handler)) as http:
        answer = http.post(idp.url_for("token"), data=form, auth=("billing-job", "billing-secret"))
    token = answer.json()["access_token"]
    check = idp.check_bearer(f"Bearer {token}")
    assert check.token is not None, check.description
    assert check.token.claims["roles"] == ["billing-reader"]
