"""Scenario: a suite on pytest-httpx (``httpx_mock``) adds ``idp``; no glue code needed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_authmock import FakeIdP

pytest.importorskip("pytest_httpx", reason="needs pytest-httpx")


# --8<-- [start:httpx_mock]
def test_httpx_mock_beside_idp(idp: FakeIdP, httpx_mock: Any) -> None:
    httpx_mock.add_response(url="https://geo.example.test/v1/where", json={"country": "NL"})
    client = idp.add_client()
    token = httpx.post(
        idp.url_for("token"),
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
    )
    assert token.status_code == 200  # idp registered its URLs with httpx_mock
    assert httpx.get("https://geo.example.test/v1/where").json() == {"country": "NL"}


# --8<-- [end:httpx_mock]
