"""Protected resource metadata (RFC 9728) for the routes mounted with ``idp.protect()``.

Each protected route has a resource identifier (its URL, or the ``resource=``
given to ``protect()``). The metadata document of an identifier is served at
``/.well-known/oauth-protected-resource`` inserted between its host and path
(§3), names this provider as the authorization server, and lists the scopes of
every route sharing the identifier. A 401 from the route points to it with
``resource_metadata`` in ``WWW-Authenticate`` (§5.1).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from pytest_authmock.provider.context import ProviderContext, ProviderRequest
from pytest_authmock.provider.dpop import DPOP_ALGS
from pytest_authmock.provider.http import json_response, require_method

if TYPE_CHECKING:
    from pytest_authmock.provider.resource import ProtectedResource

#: RFC 9728 §3: the well-known URI suffix.
WELL_KNOWN = "/.well-known/oauth-protected-resource"


def check_identifier(value: str) -> httpx.URL:
    """A resource identifier (RFC 9728 §1.2): an absolute http(s) URL without a fragment.

    RFC 9728 asks for https; http is accepted for loopback servers, as issuers are.
    """
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, TypeError):
        raise ValueError(f"resource {value!r} is not a URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"resource {value!r} must be an absolute http(s) URL (RFC 9728 §1.2)")
    if "#" in value:
        raise ValueError(f"resource {value!r} must not have a fragment (RFC 9728 §1.2)")
    return url


def well_known_url(identifier: httpx.URL) -> httpx.URL:
    """RFC 9728 §3: the metadata URL of ``identifier``, the suffix between host and path."""
    # "Any terminating slash following the host component MUST be removed."
    path = "" if identifier.path == "/" else identifier.path
    return identifier.copy_with(path=WELL_KNOWN + path, fragment=None)


@dataclasses.dataclass(eq=False)
class MetadataRoute:
    """The metadata document of one resource identifier, served at its well-known URL."""

    #: The journal's and fault plan's name for this route.
    endpoint: ClassVar[str] = "resource_metadata"

    identifier: str
    url: httpx.URL
    routes: list[ProtectedResource] = dataclasses.field(default_factory=list)

    def matches(self, url: httpx.URL) -> bool:
        return (url.scheme, url.host, url.port, url.path) == (
            self.url.scheme,
            self.url.host,
            self.url.port,
            self.url.path,
        )

    def document(self, ctx: ProviderContext) -> dict[str, Any]:
        scopes = list(dict.fromkeys(scope for route in self.routes for scope in route.scopes))
        body: dict[str, Any] = {
            "resource": self.identifier,
            "authorization_servers": [ctx.issuer],
            # RFC 6750 §2.1: the routes read the Authorization header only.
            "bearer_methods_supported": ["header"],
            # RFC 9449 §7: the routes check DPoP proofs of DPoP-bound tokens.
            "dpop_signing_alg_values_supported": list(DPOP_ALGS),
        }
        if ctx.client_certificates:
            # The routes check cnf x5t#S256 of certificate-bound tokens (RFC 8705 §3),
            # where a request can carry a certificate at all.
            body["tls_client_certificate_bound_access_tokens"] = True
        if scopes:
            body["scopes_supported"] = scopes
        return body

    def respond(self, ctx: ProviderContext, request: ProviderRequest) -> httpx.Response:
        require_method(request.http, "GET", "HEAD")
        return json_response(200, self.document(ctx), cache=True)
