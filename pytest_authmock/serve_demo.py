"""The demo setup of a bare ``authmock serve``: enough for every scenario, no flag needed.

* ``demo-client`` / ``demo-secret``: a confidential client that may use every grant;
* ``demo-cli``: a public client, as a command-line tool registers it: the device
  flow, the authorization code with PKCE (loopback redirect URIs on any port,
  RFC 8252 §7.3), the password grant and refresh tokens; asked for no scope, it
  gets them all, ``api_tokens:admin`` included, so its user may manage API tokens;
* the user ``demo`` / ``demo-password`` (with a fixed subject and profile);
* protected APIs: ``/api/me`` (any valid token), ``/api/read`` and ``/api/write``
  (tokens with the scope ``read``, ``write``: fine-grained API tokens).
"""

from __future__ import annotations

from typing import Any

from pytest_authmock.control.urls import debugger_callback
from pytest_authmock.serve_options import ServeOptions

#: Credentials of the embedded demo configuration, used when none are given.
#: They are documented and printed: they protect nothing.
DEMO_CLIENT = ("demo-client", "demo-secret")
DEMO_USER = ("demo", "demo-password")
DEMO_SUB = "7f5c3a52-2d0e-4b8e-9a3f-6d1b0c2e4a10"
DEMO_PROFILE = {
    "name": "Demo User",
    "given_name": "Demo",
    "family_name": "User",
    "preferred_username": DEMO_USER[0],
    "email": "demo@example.test",
    "email_verified": True,
    "updated_at": 1700000000,
}
DEMO_RESOURCE = "/api/me"
DEMO_CLI = "demo-cli"
#: What a token of ``demo-cli`` may carry; without a ``scope`` parameter it gets all
#: of them (RFC 6749 §3.3's pre-defined default).
DEMO_CLI_SCOPES = (
    "openid",
    "profile",
    "email",
    "offline_access",
    "api_tokens:admin",
    "read",
    "write",
)
DEMO_CLI_GRANTS = (
    "urn:ietf:params:oauth:grant-type:device_code",
    "authorization_code",
    "password",
    "refresh_token",
)


def demo_clients(
    demo_client: tuple[str, str], options: ServeOptions, issuer: str
) -> list[dict[str, Any]]:
    """The demo clients' ``[[clients]]`` tables (``_where`` names them in errors).

    They may redirect to loopback addresses on any port, to ``--redirect-uri``
    URIs and to the debugger page (its authorization-code sign-ins).
    """
    redirect_uris = [*options.client_redirect_uris(), debugger_callback(issuer)]
    return [
        {
            "client_id": demo_client[0],
            "client_secret": demo_client[1],
            "redirect_uris": list(redirect_uris),
            "_where": "demo client",
        },
        {
            "client_id": DEMO_CLI,
            "public": True,
            "grant_types": list(DEMO_CLI_GRANTS),
            "scopes": list(DEMO_CLI_SCOPES),
            # A user's login (its refresh token) lasts a day, as on many platforms.
            "refresh_token_ttl": 24 * 3600,
            "redirect_uris": list(redirect_uris),
            "_where": "demo CLI client",
        },
    ]


def demo_resources(me: str) -> list[dict[str, Any]]:
    """The demo protected APIs' ``[[resources]]`` tables."""
    return [
        {"url": me, "_where": "demo resource"},
        {"url": "/api/read", "scopes": ["read"], "_where": "demo resource"},
        {"url": "/api/write", "scopes": ["write"], "_where": "demo resource"},
    ]
