"""Protected resource metadata (RFC 9728) for routes mounted with ``idp.protect()``."""

from __future__ import annotations

import httpx
import pytest

from pytest_authmock import FakeIdP
from pytest_authmock.provider.dpop import DPOP_ALGS
from tests.helpers import bearer


@pytest.fixture
def origin(provider: FakeIdP) -> str:
    # In-process any host works; a loopback server can only route its own origin.
    if provider.issuer == "https://idp.authmock.test":
        return "https://api.authmock.test"
    return str(httpx.URL(provider.issuer).copy_with(path="/"))[:-1]


def test_the_document_of_a_route(provider: FakeIdP, http: httpx.Client, origin: str) -> None:
    api = origin + "/v1/orders"
    provider.protect(api, scopes=["orders:read", "orders:write"])
    answer = http.get(origin + "/.well-known/oauth-protected-resource/v1/orders")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    expected = {
        "resource": api,
        "authorization_servers": [provider.issuer],
        "scopes_supported": ["orders:read", "orders:write"],
        "bearer_methods_supported": ["header"],
        "dpop_signing_alg_values_supported": list(DPOP_ALGS),
    }
    if provider.client_certificates:  # in-process, or a loopback server with mTLS
        expected["tls_client_certificate_bound_access_tokens"] = True
    assert answer.json() == expected
    assert provider.journal.filter(endpoint="resource_metadata")[0].status_code == 200


def test_every_challenge_points_to_it(provider: FakeIdP, http: httpx.Client, origin: str) -> None:
    api = origin + "/v1/orders"
    provider.protect(api, scopes=["orders:read"])
    metadata = f'resource_metadata="{origin}/.well-known/oauth-protected-resource/v1/orders"'
    bare = http.get(api)
    assert bare.status_code == 401
    assert bare.headers["www-authenticate"] == f'Bearer realm="{provider.issuer}", {metadata}'
    invalid = http.get(api, headers=bearer("not-a-token"))
    assert invalid.status_code == 401
    assert 'error="invalid_token"' in invalid.headers["www-authenticate"]
    assert invalid.headers["www-authenticate"].endswith(metadata)
    narrow = provider.issue_token(scopes=["other"])
    forbidden = http.get(api, headers=bearer(narrow))
    assert forbidden.status_code == 403
    assert forbidden.headers["www-authenticate"].endswith(metadata)
    ok = http.get(api, headers=bearer(provider.issue_token(scopes=["orders:read"])))
    assert ok.status_code == 200
    assert "www-authenticate" not in ok.headers


def test_routes_sharing_an_identifier_share_one_document(
    provider: FakeIdP, http: httpx.Client, origin: str
) -> None:
    provider.protect(origin + "/v1/orders", scopes=["orders"], resource=origin)
    provider.protect(origin + "/v1/invoices", scopes=["billing", "orders"], resource=origin)
    document = http.get(origin + "/.well-known/oauth-protected-resource").json()
    assert document["resource"] == origin
    assert document["scopes_supported"] == ["orders", "billing"]
    challenge = http.get(origin + "/v1/invoices").headers["www-authenticate"]
    assert f'resource_metadata="{origin}/.well-known/oauth-protected-resource"' in challenge


def test_a_route_without_metadata(provider: FakeIdP, http: httpx.Client) -> None:
    # On the issuer's origin, so both transports answer the well-known URL (404).
    api = provider.issuer + "/legacy"
    provider.protect(api, resource_metadata=False)
    assert http.get(api).headers["www-authenticate"] == f'Bearer realm="{provider.issuer}"'
    well_known = str(httpx.URL(api).copy_with(path="/.well-known/oauth-protected-resource/legacy"))
    assert http.get(well_known).status_code == 404


def test_only_get_and_head(provider: FakeIdP, http: httpx.Client, origin: str) -> None:
    provider.protect(origin + "/v1/orders")
    url = origin + "/.well-known/oauth-protected-resource/v1/orders"
    assert http.head(url).status_code == 200
    refused = http.post(url)
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, HEAD"


def test_a_fault_can_take_the_document_down(
    provider: FakeIdP, http: httpx.Client, origin: str
) -> None:
    provider.protect(origin + "/v1/orders")
    provider.fail(endpoint="resource_metadata", status=503, times=1)
    url = origin + "/.well-known/oauth-protected-resource/v1/orders"
    assert http.get(url).status_code == 503
    assert http.get(url).status_code == 200


def test_protect_checks_the_identifier(idp: FakeIdP) -> None:
    with pytest.raises(ValueError, match=r"absolute http\(s\) URL"):
        idp.protect("https://api.example.com/x", resource="orders")
    with pytest.raises(ValueError, match="fragment"):
        idp.protect("https://api.example.com/x", resource="https://api.example.com/#x")
    idp.protect("https://api.example.com/a", resource="https://api.example.com")
    with pytest.raises(ValueError, match="would share the metadata URL"):
        idp.protect("https://api.example.com/b", resource="https://api.example.com/")


# -- the other in-process clients reach the document of a foreign origin too ------------

DOCUMENT = "https://api.authmock.test/.well-known/oauth-protected-resource/v1/orders"


@pytest.mark.authmock(requests=True)
def test_requests_in_process(idp: FakeIdP) -> None:
    requests = pytest.importorskip("requests")
    pytest.importorskip("responses")
    idp.protect("https://api.authmock.test/v1/orders")
    assert requests.get(DOCUMENT).json()["resource"] == "https://api.authmock.test/v1/orders"


def test_httpx2_in_process(idp: FakeIdP) -> None:
    httpx2 = pytest.importorskip("httpx2")
    idp.protect("https://api.authmock.test/v1/orders")
    assert httpx2.get(DOCUMENT).json()["resource"] == "https://api.authmock.test/v1/orders"
