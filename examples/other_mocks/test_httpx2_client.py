"""Scenario: code under test on httpx2, the maintained fork of httpx."""

from __future__ import annotations

import pytest

from pytest_authmock import FakeIdP

httpx2 = pytest.importorskip("httpx2", reason="needs pytest-authmock[httpx2] (Python 3.11+)")


# --8<-- [start:httpx2]
def test_an_httpx2_client_reaches_idp(idp: FakeIdP) -> None:
    client = idp.add_client()
    token = httpx2.post(
        idp.url_for("token"),
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
    )
    assert token.json()["token_type"] == "Bearer"
    idp.timeout(endpoint="jwks")
    with pytest.raises(httpx2.ReadTimeout):  # httpx2's own exception
        httpx2.get(idp.url_for("jwks"))


def test_without_patching() -> None:
    idp = FakeIdP()
    with httpx2.Client(transport=httpx2.MockTransport(idp.handler)) as http:
        assert "keys" in http.get(idp.url_for("jwks")).json()


# --8<-- [end:httpx2]
