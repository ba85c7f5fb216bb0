"""The routing table: the one place where grants and endpoints are wired to the provider.

A new grant is a module in ``grants/`` with ``GRANT_TYPE`` and ``grant()``, plus
one line in :data:`GRANTS`; a new endpoint is a handler in ``endpoints/``, its path
in :mod:`.paths` and one line in :data:`ROUTES`.
"""

from __future__ import annotations

import functools

import httpx

from pytest_authmock.provider.context import EndpointHandler, GrantHandler
from pytest_authmock.provider.endpoints import (
    api_tokens,
    authorization,
    device,
    discovery,
    dynamic_registration,
    end_session,
    introspection,
    par,
    revocation,
    token,
    userinfo,
)
from pytest_authmock.provider.errors import NotFound
from pytest_authmock.provider.grants import (
    authorization_code,
    client_credentials,
    device_code,
    jwt_bearer,
    password,
    refresh_token,
    token_exchange,
)
from pytest_authmock.provider.paths import DISCOVERY_PATHS, PATHS

#: Grant type -> handler, in the order ``add_client()`` lists them in messages.
GRANTS: dict[str, GrantHandler] = {
    client_credentials.GRANT_TYPE: client_credentials.grant,
    password.GRANT_TYPE: password.grant,
    refresh_token.GRANT_TYPE: refresh_token.grant,
    authorization_code.GRANT_TYPE: authorization_code.grant,
    device_code.GRANT_TYPE: device_code.grant,
    jwt_bearer.GRANT_TYPE: jwt_bearer.grant,
    token_exchange.GRANT_TYPE: token_exchange.grant,
}

#: Path below the issuer -> (endpoint name in the journal, handler).
ROUTES: dict[str, tuple[str, EndpointHandler]] = {
    DISCOVERY_PATHS[0]: ("discovery", discovery.discovery),
    DISCOVERY_PATHS[1]: ("discovery", discovery.discovery),
    PATHS["jwks"]: ("jwks", discovery.jwks),
    PATHS["token"]: ("token", token.token),
    PATHS["introspection"]: ("introspection", introspection.introspection),
    PATHS["revocation"]: ("revocation", revocation.revocation),
    PATHS["userinfo"]: ("userinfo", userinfo.userinfo),
    PATHS["authorization"]: ("authorization", authorization.authorization),
    PATHS["device_authorization"]: ("device_authorization", device.device_authorization),
    PATHS["device_verification"]: ("device_verification", device.verification_page),
    PATHS["api_tokens"]: ("api_tokens", api_tokens.api_tokens_api),
    PATHS["api_tokens_openapi"]: ("openapi", api_tokens.openapi),
    PATHS["registration"]: ("registration", dynamic_registration.registration),
    PATHS["pushed_authorization_request"]: (
        "pushed_authorization_request",
        par.pushed_authorization_request,
    ),
    PATHS["end_session"]: ("end_session", end_session.end_session),
}
#: Endpoints that also serve the paths below theirs (``/api/tokens/{id}``...).
_PREFIXES = (PATHS["api_tokens"], PATHS["registration"])

#: Endpoint name -> path: the journal's names (a name's first path wins, so
#: ``discovery`` is OIDC's document), and ``paths.PATHS``'s own spellings.
ENDPOINT_PATHS: dict[str, str] = {}
for _path, (_name, _) in ROUTES.items():
    ENDPOINT_PATHS.setdefault(_name, _path)
ENDPOINT_PATHS.update(PATHS)

#: Endpoint names a fault can target: every routed endpoint, and protected resources.
FAULT_ENDPOINTS: tuple[str, ...] = (
    *dict.fromkeys(name for name, _ in ROUTES.values()),
    "resource",
    "resource_metadata",
)


def route(path: str) -> tuple[str, EndpointHandler]:
    """The endpoint serving ``path`` (relative to the issuer), or ``404 not_found``."""
    found = ROUTES.get(path)
    for prefix in _PREFIXES:
        if found is None and path.startswith(prefix + "/"):
            found = ROUTES[prefix]  # /api/tokens/{id}, /oauth2/register/{client_id}
    if found is None:
        raise NotFound(f"no endpoint at {path!r}; every endpoint is listed at {DISCOVERY_PATHS[0]}")
    return found


class IssuerPaths:
    """Turns a request URL into a path below the issuer, or says it is not ours."""

    @staticmethod
    @functools.lru_cache(maxsize=256)
    def of(issuer: str, mtls_base_url: str | None) -> IssuerPaths:
        """The (immutable, so shared) paths of an issuer: parsed once per process."""
        return IssuerPaths(issuer, mtls_base_url)

    def __init__(self, issuer: str, mtls_base_url: str | None) -> None:
        self._issuer = issuer
        url = httpx.URL(issuer)
        self._prefix = url.path.rstrip("/")
        self._origins = [(url.scheme, url.host, url.port)]
        if mtls_base_url is not None:
            alias = httpx.URL(mtls_base_url)
            self._origins.append((alias.scheme, alias.host, alias.port))

    def relative(self, url: httpx.URL) -> str:
        if (url.scheme, url.host, url.port) not in self._origins:
            raise NotFound(
                f"{url.copy_with(query=None)} is not served by this provider ({self._issuer})"
            )
        path = url.path
        prefix = self._prefix
        if prefix:
            # RFC 8414 §3.1: for an issuer with a path, the well-known segment goes
            # between host and path.
            for well_known in DISCOVERY_PATHS:
                if path == well_known + prefix:
                    return well_known
            if path != prefix and not path.startswith(prefix + "/"):
                raise NotFound(f"{path!r} is outside the issuer path {prefix!r}")
            path = path[len(prefix) :] or "/"
        return path
