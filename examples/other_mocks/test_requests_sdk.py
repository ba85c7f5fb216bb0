"""Scenario: an SDK on ``requests`` meets the in-process provider, no socket involved.

``requests=True`` makes ``idp`` answer ``requests`` calls to its issuer and to
the URLs given to ``protect()`` (through the ``responses`` library); planned
faults raise the exceptions ``requests`` raises over a real socket.
"""

from __future__ import annotations

import pytest
import requests

from examples.other_mocks.billing_sdk import Billing
from pytest_authmock import FakeIdP

pytest.importorskip("responses", reason="needs pytest-authmock[requests]")
pytestmark = pytest.mark.authmock(requests=True)

API = "https://billing.example.test"


@pytest.fixture
def billing(idp: FakeIdP) -> Billing:
    idp.protect(
        f"{API}/invoices",
        scopes=["invoices:read"],
        respond=lambda request, token: {"invoices": [{"id": "in_1", "total": 42}]},
    )
    client = idp.add_client("billing-sdk", scopes=["invoices:read"])
    return Billing(
        API,
        token_url=idp.url_for("token"),
        client_id=client.client_id,
        client_secret=str(client.client_secret),
    )


def test_the_sdk_gets_a_token_and_calls_the_api(idp: FakeIdP, billing: Billing) -> None:
    assert billing.invoices() == [{"id": "in_1", "total": 42}]
    assert idp.journal.count(endpoint="token", client_id="billing-sdk") == 1
    assert idp.journal.count(endpoint="resource", status_code=200) == 1


def test_its_session_retries_a_503_from_the_provider(idp: FakeIdP, billing: Billing) -> None:
    idp.fail(503, endpoint="token", times=1)
    assert billing.invoices()
    assert [entry.status_code for entry in idp.journal.filter(endpoint="token")] == [503, 200]


def test_a_timeout_raises_what_requests_raises(idp: FakeIdP, billing: Billing) -> None:
    idp.timeout(endpoint="token")
    with pytest.raises(requests.ReadTimeout):
        billing.invoices()
