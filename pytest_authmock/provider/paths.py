"""Where each endpoint lives below the issuer: the one table of paths.

The routing table (:mod:`.routes`) maps these paths to handlers; discovery
advertises them and ``idp.url_for()`` builds URLs from them.
"""

from __future__ import annotations

#: Endpoint name -> path below the issuer.
PATHS: dict[str, str] = {
    "token": "/oauth2/token",
    "introspection": "/oauth2/introspect",
    "revocation": "/oauth2/revoke",
    "userinfo": "/oauth2/userinfo",
    "jwks": "/.well-known/jwks.json",
    "authorization": "/oauth2/authorize",
    "device_authorization": "/oauth2/device_authorization",
    "device_verification": "/device",
    "api_tokens": "/api/tokens",
    "api_tokens_openapi": "/api/openapi.json",
}
#: OIDC Discovery §4 and RFC 8414 §3: the two well-known metadata documents.
DISCOVERY_PATHS = ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server")
