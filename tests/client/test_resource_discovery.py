"""From an API's 401 to its authorization server (RFC 9728 metadata, then RFC 8414)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_authmock.client import (
    ConfigurationError,
    ProviderError,
    ResourceMetadata,
    adiscover_resource,
    discover_resource,
    resource_metadata_url,
)


@pytest.fixture
def origin(server: Any) -> str:
    # In-process any host works; a loopback server can only route its own origin.
    if server.issuer == "https://idp.authmock.test":
        return "https://mcp.authmock.test"
    return str(httpx.URL(server.issuer).copy_with(path="/"))[:-1]


def test_from_the_api_url_to_the_issuer(server: Any, origin: str) -> None:
    api = origin + "/mcp"
    server.protect(api, scopes=["tools:read", "tools:call"], audience=api)
    found = discover_resource(api)
    assert found.issuer == server.issuer
    assert found.resource == api
    assert found.scopes == ("tools:read", "tools:call")
    assert found.metadata.authorization_servers == (server.issuer,)
    assert found.metadata.url == origin + "/.well-known/oauth-protected-resource/mcp"
    assert found.provider.token_endpoint == server.url_for("token")
    assert found.provider.raw["authorization_endpoint"] == server.url_for("authorization")
    server.journal.assert_count(1, endpoint="resource", status_code=401)
    server.journal.assert_count(1, endpoint="resource_metadata")


def test_from_a_401_the_caller_already_has(server: Any, origin: str) -> None:
    api = origin + "/mcp"
    server.protect(api)
    with httpx.Client() as http:
        refused = http.get(api, headers={"Authorization": "Bearer expired-or-unknown"})
        found = discover_resource(api, response=refused, http_client=http)
        assert not http.is_closed  # the caller's client is left open
    assert found.issuer == server.issuer
    server.journal.assert_count(1, endpoint="resource")


def test_a_resource_for_the_whole_origin_needs_allow_prefix(server: Any, origin: str) -> None:
    api = origin + "/v1/orders"
    server.protect(api, resource=origin)
    with pytest.raises(ConfigurationError, match=r"RFC 9728 §3\.3 forbids.*allow_prefix=True"):
        discover_resource(api)
    found = discover_resource(api, allow_prefix=True)
    assert found.resource == origin


def test_async(server: Any, origin: str) -> None:
    api = origin + "/mcp"
    server.protect(api, scopes=["tools"])
    found = asyncio.run(adiscover_resource(api))
    assert (found.issuer, found.resource, found.scopes) == (server.issuer, api, ("tools",))


def test_an_api_that_needs_no_token_is_a_configuration_error(server: Any) -> None:
    with pytest.raises(ConfigurationError, match="answered HTTP 200 without a token"):
        discover_resource(server.issuer + "/.well-known/openid-configuration")


def test_the_metadata_url_of_a_resource() -> None:
    assert (
        resource_metadata_url("https://api.example.com/v1/mcp")
        == "https://api.example.com/.well-known/oauth-protected-resource/v1/mcp"
    )
    # RFC 9728 §3: the slash after the host goes.
    for bare in ("https://api.example.com", "https://api.example.com/"):
        assert resource_metadata_url(bare) == (
            "https://api.example.com/.well-known/oauth-protected-resource"
        )


# -- against scripted servers: what the fake never answers ---------------------------

API = "https://api.example.com/mcp"
AS = "https://login.example.com"
PRM = "https://api.example.com/.well-known/oauth-protected-resource/mcp"


def scripted(
    *, challenge: str | None = None, document: Any = None, servers: dict[str, Any] | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        url = str(request.url.copy_with(query=None))
        seen.append(url)
        if url == API:
            headers = {"WWW-Authenticate": challenge} if challenge else {}
            return httpx.Response(401, headers=headers)
        if url == PRM or url.endswith("/elsewhere"):
            return httpx.Response(200, json=document)
        for issuer, meta in (servers or {}).items():
            if url == issuer + "/.well-known/openid-configuration":
                return httpx.Response(200, json=meta)
        return httpx.Response(404)

    handle.seen = seen  # type: ignore[attr-defined]
    return handle


def discover(handler: Callable[[httpx.Request], httpx.Response], **kwargs: Any) -> Any:
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        return discover_resource(API, http_client=http, **kwargs)


def as_metadata(issuer: str) -> dict[str, str]:
    return {"issuer": issuer, "token_endpoint": issuer + "/token"}


def test_without_resource_metadata_in_the_challenge_the_well_known_url_is_read() -> None:
    handler = scripted(
        challenge='Bearer realm="api"',
        document={"resource": API, "authorization_servers": [AS]},
        servers={AS: as_metadata(AS)},
    )
    assert discover(handler).issuer == AS
    assert PRM in handler.seen  # type: ignore[attr-defined]


def test_the_challenge_location_and_scope_win() -> None:
    handler = scripted(
        challenge='Bearer error="invalid_token", scope="mcp:call", '
        'resource_metadata="https://api.example.com/elsewhere"',
        document={"resource": API, "authorization_servers": [AS], "scopes_supported": ["x"]},
        servers={AS: as_metadata(AS)},
    )
    found = discover(handler)
    assert found.scopes == ("mcp:call",)
    assert found.metadata.url == "https://api.example.com/elsewhere"


def test_a_document_for_another_resource_is_refused() -> None:
    handler = scripted(
        document={"resource": "https://evil.example.com/mcp", "authorization_servers": [AS]}
    )
    with pytest.raises(
        ConfigurationError, match=r"describes resource 'https://evil\.example\.com/mcp'"
    ):
        discover(handler)
    other_origin = scripted(
        document={"resource": "https://evil.example.com", "authorization_servers": [AS]}
    )
    with pytest.raises(ConfigurationError, match="forbids"):
        discover(other_origin, allow_prefix=True)


def test_choosing_among_authorization_servers() -> None:
    second = "https://second.example.com"
    handler = scripted(
        document={"resource": API, "authorization_servers": [AS, second]},
        servers={AS: as_metadata(AS), second: as_metadata(second)},
    )
    assert discover(handler).issuer == AS
    assert discover(handler, issuer=second + "/").issuer == second
    with pytest.raises(ConfigurationError, match=r"does not name 'https://third\.example\.com'"):
        discover(handler, issuer="https://third.example.com")


def test_an_authorization_server_whose_metadata_names_another_issuer() -> None:
    handler = scripted(
        document={"resource": API, "authorization_servers": [AS]},
        servers={AS: as_metadata("https://impostor.example.com")},
    )
    with pytest.raises(ConfigurationError, match=r"is for issuer 'https://impostor\.example\.com'"):
        discover(handler)


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"authorization_servers": [AS]}, "has no 'resource'"),
        (["not", "an", "object"], "not a JSON object"),
        ({"resource": API}, "names no authorization_servers"),
    ],
)
def test_bad_documents(document: Any, problem: str) -> None:
    with pytest.raises((ProviderError, ConfigurationError), match=problem):
        discover(scripted(document=document))


def test_a_missing_document() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401) if str(request.url) == API else httpx.Response(404)

    with pytest.raises(ProviderError, match="does not publish RFC 9728 metadata"):
        discover(handler)


def test_the_document_type() -> None:
    response = httpx.Response(
        200,
        json={
            "resource": API,
            "authorization_servers": [AS],
            "bearer_methods_supported": ["header"],
        },
        request=httpx.Request("GET", PRM),
    )
    metadata = ResourceMetadata.from_response(response, httpx.URL(API))
    assert metadata.bearer_methods_supported == ("header",)
    assert metadata.raw["resource"] == API
