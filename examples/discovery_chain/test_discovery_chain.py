"""The discovery chain an OAuth-protected tool server expects from its clients.

A client that knows nothing but the tool server's URL, as MCP clients do:

1. it calls the server and gets ``401`` with ``resource_metadata`` (RFC 9728 §5.1);
2. it reads the protected resource metadata, which names the authorization server;
3. it reads the authorization server's metadata (RFC 8414);
4. it registers itself (RFC 7591), having no client id yet;
5. it signs the user in with the authorization code grant, PKCE (RFC 7636) and
   the server as ``resource`` (RFC 8707), so the token is for that server only;
6. it calls the server with the token.

Runs in-process and over the loopback server; nothing is configured on the
client's side but the server's URL.
"""

from __future__ import annotations

import urllib.request
from typing import Any

import httpx
import pytest

from pytest_authmock import FakeIdP
from pytest_authmock.client import (
    BearerAuth,
    OAuthClient,
    authorize_in_browser,
    discover_resource,
    register_client,
)


def headless_browser(url: str) -> None:
    """The user's browser: the provider signs the user in (auto_approve) and redirects."""
    answer = httpx.get(url)
    assert answer.status_code == 302, answer.text
    urllib.request.urlopen(answer.headers["location"], timeout=5).close()  # noqa: S310


@pytest.fixture(params=["idp", "idp_server"])
def provider(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(request.param)


def test_from_a_401_to_a_call(provider: FakeIdP) -> None:
    # The tool server: it takes only tokens issued for it (RFC 8707 audience).
    tools = provider.issuer + "/mcp"  # on the provider's origin, so both transports serve it
    provider.protect(tools, scopes=["tools:call"], audience=tools)
    provider.auto_approve = provider.add_user("ada")  # the user at the sign-in page
    # --8<-- [start:chain]
    # 1-3: the 401, the resource metadata, the authorization server's metadata.
    found = discover_resource(tools)
    # 4: no client id yet: register as a public native client (RFC 8252).
    with OAuthClient(found.issuer) as anonymous:
        registered = register_client(
            anonymous,
            {
                "client_name": "example tool client",
                "redirect_uris": ["http://127.0.0.1/callback"],
                "grant_types": ["authorization_code", "refresh_token"],
                "token_endpoint_auth_method": "none",
                "scope": " ".join(found.scopes),
            },
        )
    # 5: the browser login, PKCE and the server as the token's resource.
    with registered.oauth_client() as oauth:
        token = authorize_in_browser(
            oauth,
            scopes=found.scopes,
            resource=found.resource,
            open_browser=headless_browser,
        )
    # 6: the call.
    answer = httpx.get(tools, auth=BearerAuth(token.access_token))
    # --8<-- [end:chain]
    assert answer.status_code == 200, answer.text
    assert answer.json()["aud"] == [tools]
    assert answer.json()["scope"] == "tools:call"
    chain = [
        entry.endpoint for entry in provider.journal if entry.endpoint not in ("discovery", "jwks")
    ]
    assert chain == [
        "resource",  # 401
        "resource_metadata",
        "registration",
        "authorization",
        "token",
        "resource",  # 200
    ]


def test_a_stricter_provider(provider: FakeIdP) -> None:
    """Closed registration and pushed authorization requests: the chain is the same."""
    tools = provider.issuer + "/mcp"
    provider.protect(tools, scopes=["tools:call"], audience=tools)
    provider.auto_approve = provider.add_user("ada")
    provider.protocol_settings.initial_access_token = "given-to-the-tool-by-an-admin"
    provider.protocol_settings.require_pushed_authorization_requests = True
    found = discover_resource(tools)
    with OAuthClient(found.issuer) as anonymous:
        registered = register_client(
            anonymous,
            {"redirect_uris": ["http://127.0.0.1/callback"], "token_endpoint_auth_method": "none"},
            initial_access_token="given-to-the-tool-by-an-admin",
        )
    with registered.oauth_client() as oauth:
        # The metadata requires PAR: the login pushes the request first (RFC 9126).
        token = authorize_in_browser(
            oauth, scopes=found.scopes, resource=found.resource, open_browser=headless_browser
        )
    assert httpx.get(tools, auth=BearerAuth(token.access_token)).status_code == 200
    provider.journal.assert_count(1, endpoint="pushed_authorization_request")
