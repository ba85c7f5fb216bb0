"""Scenario: an SDK meets an identity provider having a bad day.

Every fault is planned by the test and checked at teardown: a planned fault
that never fired fails the test, so a retry test cannot pass by accident.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from examples.faults.inventory_sdk import Inventory, InventoryError
from pytest_authmock import FakeIdP

API = "https://inventory.example.test"


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def sdk(idp: FakeIdP, slept: list[float]) -> Iterator[Inventory]:
    idp.protect(f"{API}/items", respond=lambda request, token: {"items": ["bolt", "nut"]})
    client = idp.add_client("inventory-sdk")
    inventory = Inventory(
        API,
        issuer=idp.issuer,
        client_id="inventory-sdk",
        client_secret=str(client.client_secret),
        sleep=slept.append,
    )
    yield inventory
    inventory.close()


def test_retries_a_flaky_token_endpoint(idp: FakeIdP, sdk: Inventory, slept: list[float]) -> None:
    idp.fail(503, endpoint="token", times=2)  # the next two token requests fail

    assert sdk.items() == ["bolt", "nut"]
    assert [e.status_code for e in idp.journal.filter(endpoint="token")] == [503, 503, 200]
    assert slept == [0.5, 1.0]


def test_honours_retry_after(idp: FakeIdP, sdk: Inventory, slept: list[float]) -> None:
    idp.rate_limit(retry_after=7, endpoint="token")

    sdk.items()
    assert slept == [7.0]


def test_gives_up_with_a_clear_error(idp: FakeIdP, sdk: Inventory) -> None:
    idp.fail(502, endpoint="token", times=None)  # every request, until the test ends

    with pytest.raises(InventoryError, match="keeps failing"):
        sdk.items()
    assert idp.journal.count(endpoint="token", fault="status") == 3


def test_survives_a_timeout(idp: FakeIdP, sdk: Inventory) -> None:
    idp.timeout(endpoint="token")  # in-process: httpx.ReadTimeout at once

    assert sdk.items() == ["bolt", "nut"]
    assert idp.journal.filter(endpoint="token")[0].fault == "timeout"


def test_a_broken_answer_is_reported(idp: FakeIdP, sdk: Inventory) -> None:
    idp.truncated_json(endpoint="token")

    with pytest.raises(InventoryError, match="broken answer"):
        sdk.items()


def test_renews_its_token_after_a_key_rotation(idp: FakeIdP, sdk: Inventory) -> None:
    sdk.items()
    idp.rotate_keys(grace=0)  # the old key leaves the JWKS: its tokens stop verifying

    assert sdk.items() == ["bolt", "nut"]
    assert [e.status_code for e in idp.journal.filter(endpoint="resource")] == [200, 401, 200]


def test_a_disabled_client_is_told_so(idp: FakeIdP, sdk: Inventory) -> None:
    sdk.items()
    idp.disable_client("inventory-sdk")

    with pytest.raises(InventoryError, match="invalid_client"):
        sdk.items()


@pytest.mark.authmock(clock_skew=600)
def test_a_provider_ten_minutes_ahead_changes_nothing(idp: FakeIdP, sdk: Inventory) -> None:
    assert sdk.items() == ["bolt", "nut"]


@pytest.mark.authmock(assert_all_faults_fired=False)
def test_a_seeded_fraction_of_failures(idp: FakeIdP, slept: list[float]) -> None:
    # About a third of the token requests fail; the seed makes the pattern
    # reproducible, and the teardown check is off because the count is not the point.
    idp.fail(503, endpoint="token", times=None, fraction=0.3)
    client = idp.add_client()
    idp.protect(f"{API}/items", respond=lambda request, token: {"items": []})
    for _ in range(5):
        sdk = Inventory(
            API,
            issuer=idp.issuer,
            client_id=client.client_id,
            client_secret=str(client.client_secret),
            attempts=10,
            sleep=slept.append,
        )
        assert sdk.items() == []
        sdk.close()


def test_over_a_real_socket_the_connection_really_stalls(idp_server: FakeIdP) -> None:
    idp_server.timeout(endpoint="token")
    client = idp_server.add_client()
    with httpx.Client(timeout=0.2) as http, pytest.raises(httpx.ReadTimeout):
        http.post(
            idp_server.url_for("token"),
            data={"grant_type": "client_credentials"},
            auth=(client.client_id, str(client.client_secret)),
        )
