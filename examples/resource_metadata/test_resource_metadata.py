"""A tool that only knows an API's URL finds where to log in (RFC 9728).

The API (mounted with ``idp.protect()``) answers 401 with
``resource_metadata`` in its challenge; the document there names the issuer.
Runs in-process and over the loopback server.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_authmock import FakeIdP
from pytest_authmock.client import discover_resource


@pytest.fixture(params=["idp", "idp_server"])
def provider(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(request.param)


def test_the_api_says_where_to_log_in(provider: FakeIdP) -> None:
    api = provider.issuer + "/reports"  # the loopback server serves its own origin
    # --8<-- [start:mount]
    provider.protect(api, scopes=["reports:read"], audience=api)
    # --8<-- [end:mount]
    # --8<-- [start:challenge]
    refused = httpx.get(api)
    assert refused.status_code == 401
    challenge = refused.headers["WWW-Authenticate"]
    metadata_url = str(
        httpx.URL(api).copy_with(path="/.well-known/oauth-protected-resource/reports")
    )
    assert f'resource_metadata="{metadata_url}"' in challenge
    document = httpx.get(metadata_url).json()
    assert document["resource"] == api
    assert document["authorization_servers"] == [provider.issuer]
    assert document["scopes_supported"] == ["reports:read"]
    assert document["bearer_methods_supported"] == ["header"]
    assert "ES256" in document["dpop_signing_alg_values_supported"]
    # --8<-- [end:challenge]
    # --8<-- [start:discover]
    found = discover_resource(api)  # 401 -> resource metadata -> issuer metadata
    assert found.issuer == provider.issuer
    assert found.resource == api  # send it as resource= with every token request
    assert found.scopes == ("reports:read",)
    # --8<-- [end:discover]
