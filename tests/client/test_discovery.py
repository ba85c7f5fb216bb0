"""Discovery: endpoints come from metadata, checked and cached."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from pytest_authmock.client import ConfigurationError, OAuthClient, ProviderError, RetryPolicy
from pytest_authmock.client.discovery import metadata_urls

ISSUER = "https://login.example/tenant"


def provider(documents: dict[str, Any], seen: list[str]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        doc = documents.get(str(request.url))
        if doc is None:
            return httpx.Response(404)
        return httpx.Response(200, json=doc)

    return httpx.Client(transport=httpx.MockTransport(handler))


def meta(issuer: str = ISSUER, **extra: Any) -> dict[str, Any]:
    return {"issuer": issuer, "token_endpoint": "https://login.example/t/token", **extra}


def test_metadata_urls_follow_both_specs() -> None:
    assert metadata_urls("https://a.example/t1/") == [
        "https://a.example/t1/.well-known/openid-configuration",
        # RFC 8414 §3.1 inserts the well-known part before the path.
        "https://a.example/.well-known/oauth-authorization-server/t1",
    ]


def test_oidc_document_is_used_and_cached() -> None:
    seen: list[str] = []
    http = provider({metadata_urls(ISSUER)[0]: meta()}, seen)
    oauth = OAuthClient(ISSUER, client_id="c", http_client=http)
    assert oauth.metadata().token_endpoint == "https://login.example/t/token"
    assert oauth.metadata() is oauth.metadata()
    assert seen == [metadata_urls(ISSUER)[0]]


def test_cache_expires_after_ttl_and_refresh_forces_a_fetch() -> None:
    now = [1000.0]
    seen: list[str] = []
    http = provider({metadata_urls(ISSUER)[0]: meta()}, seen)
    oauth = OAuthClient(ISSUER, http_client=http, clock=lambda: now[0], metadata_ttl=60)
    oauth.metadata()
    now[0] += 59
    oauth.metadata()
    assert len(seen) == 1
    now[0] += 2
    oauth.metadata()
    assert len(seen) == 2
    oauth.metadata(refresh=True)
    assert len(seen) == 3


def test_falls_back_to_rfc8414_document() -> None:
    seen: list[str] = []
    http = provider({metadata_urls(ISSUER)[1]: meta()}, seen)
    oauth = OAuthClient(ISSUER, http_client=http)
    assert oauth.metadata().issuer == ISSUER
    assert seen == metadata_urls(ISSUER)


def test_no_metadata_at_all_is_a_configuration_error() -> None:
    http = provider({}, [])
    with pytest.raises(ConfigurationError, match="publishes no metadata"):
        OAuthClient(ISSUER, http_client=http).metadata()


def test_metadata_for_another_issuer_is_refused() -> None:
    # RFC 8414 §3.3: otherwise a hostile host could redirect token requests.
    http = provider({metadata_urls(ISSUER)[0]: meta(issuer="https://evil.example")}, [])
    with pytest.raises(ConfigurationError, match=r"evil\.example"):
        OAuthClient(ISSUER, http_client=http).metadata()


def test_trailing_slash_differences_are_tolerated() -> None:
    http = provider({metadata_urls(ISSUER)[0]: meta(issuer=ISSUER + "/")}, [])
    assert OAuthClient(ISSUER + "/", http_client=http).metadata().issuer == ISSUER + "/"


@pytest.mark.parametrize(
    ("document", "match"),
    [
        ({"issuer": ISSUER}, "no token_endpoint"),
        (["not", "an", "object"], "not a JSON object"),
    ],
)
def test_broken_documents_are_provider_errors(document: Any, match: str) -> None:
    http = provider({metadata_urls(ISSUER)[0]: document}, [])
    with pytest.raises(ProviderError, match=match):
        OAuthClient(ISSUER, http_client=http).metadata()


def test_server_error_on_discovery_is_retried_then_reported() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(500)

    http = httpx.Client(transport=httpx.MockTransport(handler))
    retry = RetryPolicy(max_attempts=2, jitter=False, sleep=lambda _: None)
    from pytest_authmock.client import ProviderUnavailable

    with pytest.raises(ProviderUnavailable, match="discovery"):
        OAuthClient(ISSUER, http_client=http, retry=retry).metadata()
    assert len(calls) == 2


def test_missing_optional_endpoint_names_itself() -> None:
    http = provider({metadata_urls(ISSUER)[0]: meta()}, [])
    oauth = OAuthClient(ISSUER, client_id="c", http_client=http)
    with pytest.raises(ConfigurationError, match="revocation_endpoint"):
        oauth.revoke("tok")


def test_mtls_alias_is_used_for_tls_client_auth() -> None:
    seen: list[str] = []
    doc = meta(mtls_endpoint_aliases={"token_endpoint": "https://mtls.login.example/token"})

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path.endswith("openid-configuration"):
            return httpx.Response(200, json=doc)
        return httpx.Response(200, json={"access_token": "AT", "token_type": "Bearer"})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    from pytest_authmock.client import ClientCredentialsGrant

    tls = OAuthClient(ISSUER, client_id="c", auth_method="tls_client_auth", http_client=http)
    tls.request_token(ClientCredentialsGrant())
    basic = OAuthClient(ISSUER, client_id="c", client_secret="s", http_client=http)
    basic.request_token(ClientCredentialsGrant())
    token_urls = [u for u in seen if "configuration" not in u]
    assert token_urls == ["https://mtls.login.example/token", "https://login.example/t/token"]


def test_async_discovery_uses_the_same_cache() -> None:
    seen: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=meta())

    async def main() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            oauth = OAuthClient(ISSUER, async_http_client=http)
            first = await oauth.ametadata()
            assert await oauth.ametadata() is first

    asyncio.run(main())
    assert len(seen) == 1


def test_issuer_must_be_a_url() -> None:
    with pytest.raises(ConfigurationError, match="http"):
        OAuthClient("idp.example")
