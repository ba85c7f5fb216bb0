"""Protected resource metadata (RFC 9728) of the API given with ``--authmock-contract-resource``.

The API's 401 points to its metadata (``resource_metadata``, §5.1) or the
metadata sits at its well-known URL (§3); the document describes the API and
names the issuer under test as an authorization server. An API without
metadata is reported, not failed: RFC 9728 is optional.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_authmock.client.errors import AuthError
from pytest_authmock.client.resource_discovery import (
    challenge_param,
    discover_resource,
    resource_metadata_url,
)
from pytest_authmock.contract.checks import Provider


@pytest.fixture(scope="module")
def refusal(provider: Provider, resource: str) -> httpx.Response:
    response = provider.http.get(resource, headers={"Accept": "application/json"})
    assert response.status_code == 401, (
        f"the resource answered HTTP {response.status_code} without a token (RFC 6750 §3: 401)"
    )
    return response


@pytest.fixture(scope="module")
def document(provider: Provider, resource: str, refusal: httpx.Response) -> dict[str, Any]:
    pointed = challenge_param(refusal, "resource_metadata")
    url = pointed or resource_metadata_url(resource)
    response = provider.http.get(url, headers={"Accept": "application/json"})
    if response.status_code == 404 and pointed is None:
        pytest.skip(f"the resource publishes no RFC 9728 metadata ({url} answered 404)")
    assert response.status_code == 200, (
        f"the resource metadata at {url} answered HTTP {response.status_code} (RFC 9728 §3.2: 200)"
    )
    kind = response.headers.get("content-type", "").split(";")[0].strip()
    assert kind == "application/json", f"{url} is {kind or 'untyped'}, not JSON (RFC 9728 §3.2)"
    body = response.json()
    assert isinstance(body, dict), f"{url} is not a JSON object (RFC 9728 §3.2)"
    return body


def test_the_401_points_to_the_metadata(refusal: httpx.Response, document: dict[str, Any]) -> None:
    assert challenge_param(refusal, "resource_metadata"), (
        "the resource publishes RFC 9728 metadata but its 401 does not say where"
        " (RFC 9728 §5.1: resource_metadata in WWW-Authenticate)"
    )


def test_the_metadata_describes_the_resource(resource: str, document: dict[str, Any]) -> None:
    described = document.get("resource")
    assert isinstance(described, str), "the metadata has no 'resource' (RFC 9728 §2 REQUIRED)"
    if described != resource:
        called, named = httpx.URL(resource), httpx.URL(described)
        assert (named.scheme, named.host, named.port) == (called.scheme, called.host, called.port)
        assert called.path.startswith(named.path.rstrip("/")), (
            f"the metadata describes {described!r}, which is not {resource!r} nor a prefix of it"
            " (RFC 9728 §3.3)"
        )


def test_the_issuer_is_an_authorization_server(
    provider: Provider, document: dict[str, Any]
) -> None:
    servers = document.get("authorization_servers")
    assert isinstance(servers, list), "the metadata lists no authorization_servers (RFC 9728 §2)"
    issuer = provider.settings.issuer.rstrip("/")
    assert issuer in [str(s).rstrip("/") for s in servers], (
        f"the resource's metadata names {servers}, not the issuer under test {issuer!r}"
    )


def test_the_chain_from_the_401_to_the_issuer(
    provider: Provider, resource: str, refusal: httpx.Response, document: dict[str, Any]
) -> None:
    try:
        found = discover_resource(
            resource,
            response=refusal,
            issuer=provider.settings.issuer,
            allow_prefix=True,
            http_client=provider.http,
        )
    except AuthError as exc:
        raise AssertionError(f"the client library could not follow the chain: {exc}") from None
    assert found.issuer.rstrip("/") == provider.settings.issuer.rstrip("/")
