"""Scenario: respx_mock mocks a third-party API while ``idp`` serves the tokens."""

from __future__ import annotations

import httpx
import pytest
import respx

from pytest_authmock import FakeIdP


# --8<-- [start:respx]
def test_respx_mock_beside_idp(idp: FakeIdP, respx_mock: respx.MockRouter) -> None:
    respx_mock.get("https://geo.example.test/v1/where").respond(json={"country": "NL"})
    client = idp.add_client()
    token = httpx.post(
        idp.url_for("token"),
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
    )
    assert token.status_code == 200  # idp's URL
    assert httpx.get("https://geo.example.test/v1/where").json() == {"country": "NL"}
    # Every other URL is respx_mock's to answer or refuse, as without idp:
    with pytest.raises(AssertionError, match="not mocked"):
        httpx.get("https://elsewhere.example.test/")


# --8<-- [end:respx]
