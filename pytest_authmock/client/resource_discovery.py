"""From a protected API's 401 to its authorization server (RFC 9728, RFC 8414).

A client that only knows an API's URL calls it, gets ``401`` with
``WWW-Authenticate: Bearer resource_metadata="..."`` (RFC 9728 §5.1), reads the
protected resource metadata there (or at the API's well-known URL, §3), checks
that it describes the API it called (§3.3), and reads the metadata of an
authorization server it names (RFC 8414, OIDC Discovery). What comes out says
which issuer to get a token from, for which ``resource`` (RFC 8707) and scopes.
"""

from __future__ import annotations

import dataclasses
import re
import ssl
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from pytest_authmock.client.discovery import (
    ProviderMetadata,
    metadata_urls,
    parse_metadata_response,
)
from pytest_authmock.client.errors import ConfigurationError, ProviderError
from pytest_authmock.client.responses import fetched_document

__all__ = [
    "DiscoveredResource",
    "ResourceMetadata",
    "adiscover_resource",
    "discover_resource",
    "resource_metadata_url",
]

#: RFC 9728 §3: the well-known URI suffix of protected resource metadata.
WELL_KNOWN = "/.well-known/oauth-protected-resource"
_JSON = {"Accept": "application/json"}
# auth-param = token BWS "=" BWS ( token / quoted-string )   (RFC 9110 §11.2)
_AUTH_PARAM = r'(?:^|[\s,]){name}\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))'


def resource_metadata_url(resource: str) -> str:
    """RFC 9728 §3: the metadata URL of ``resource``, the suffix between host and path."""
    url = httpx.URL(resource)
    path = "" if url.path == "/" else url.path
    return str(url.copy_with(path=WELL_KNOWN + path, fragment=None))


def challenge_param(response: httpx.Response, name: str) -> str | None:
    """An auth-param of the answer's ``WWW-Authenticate`` challenges (any scheme), if present."""
    for header in response.headers.get_list("www-authenticate"):
        found = re.search(_AUTH_PARAM.format(name=re.escape(name)), header)
        if found:
            quoted, plain = found.group(1), found.group(2)
            return re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else plain
    return None


def _same_resource(resource: str, called: httpx.URL, *, allow_prefix: bool) -> bool:
    """RFC 9728 §3.3: the metadata must describe the URL the client called."""
    try:
        described = httpx.URL(resource)
    except (httpx.InvalidURL, TypeError):
        return False
    origin = (described.scheme, described.host, described.port or _port(described))
    if origin != (called.scheme, called.host, called.port or _port(called)):
        return False
    if described.path == called.path and described.query == called.query:
        return True
    if not allow_prefix or described.query:
        return False
    # draft-mcguinness-oauth-rfc9728bis: a path prefix of the URL, on a segment boundary.
    prefix = described.path.rstrip("/")
    return called.path == prefix or called.path.startswith(prefix + "/")


def _port(url: httpx.URL) -> int | None:
    return {"http": 80, "https": 443}.get(url.scheme)


@dataclasses.dataclass(frozen=True)
class ResourceMetadata:
    """An RFC 9728 protected resource metadata document; ``raw`` has all of it."""

    resource: str
    authorization_servers: tuple[str, ...] = ()
    scopes_supported: tuple[str, ...] = ()
    bearer_methods_supported: tuple[str, ...] = ()
    #: Where the document was read.
    url: str = ""
    raw: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    @classmethod
    def from_response(
        cls, response: httpx.Response, called: httpx.URL, *, allow_prefix: bool = False
    ) -> ResourceMetadata:
        """The document of one answer, checked against the URL the client called."""
        url = str(response.request.url)
        document = fetched_document(
            response,
            f"the protected resource metadata at {url}",
            advice="; the API does not publish RFC 9728 metadata there",
        )
        if not isinstance(document, Mapping):
            raise ProviderError(f"the protected resource metadata at {url} is not a JSON object")
        resource = document.get("resource")
        if not isinstance(resource, str):
            raise ProviderError(
                f"the protected resource metadata at {url} has no 'resource' (RFC 9728 §2)"
            )
        if not _same_resource(resource, called, allow_prefix=allow_prefix):
            hint = "" if allow_prefix else "; pass allow_prefix=True to accept a path prefix"
            raise ConfigurationError(
                f"the metadata at {url} describes resource {resource!r}, not "
                f"{str(called.copy_with(fragment=None))!r} that was called; RFC 9728 §3.3 "
                f"forbids using it{hint}"
            )

        def strings(name: str) -> tuple[str, ...]:
            value = document.get(name)
            if isinstance(value, list):
                return tuple(v for v in value if isinstance(v, str))
            return ()

        return cls(
            resource=resource,
            authorization_servers=strings("authorization_servers"),
            scopes_supported=strings("scopes_supported"),
            bearer_methods_supported=strings("bearer_methods_supported"),
            url=url,
            raw=dict(document),
        )


@dataclasses.dataclass(frozen=True)
class DiscoveredResource:
    """What a client needs to get a token for an API it only knew the URL of."""

    #: The API's RFC 9728 metadata.
    metadata: ResourceMetadata
    #: The authorization server chosen among ``metadata.authorization_servers``, and its metadata.
    provider: ProviderMetadata
    #: The scopes to ask for: the 401's ``scope`` (RFC 6750 §3), else ``scopes_supported``.
    scopes: tuple[str, ...] = ()

    @property
    def issuer(self) -> str:
        return self.provider.issuer

    @property
    def resource(self) -> str:
        """The RFC 8707 ``resource`` to send with every token request for this API."""
        return self.metadata.resource


def _metadata_location(response: httpx.Response, called: httpx.URL) -> str:
    if response.status_code != 401:
        raise ConfigurationError(
            f"{called.copy_with(query=None)} answered HTTP {response.status_code} without a "
            "token; expected 401 from a protected API (RFC 6750 §3)"
        )
    # RFC 9728 §5.1; without it, the well-known URL of the URL called (§3).
    return challenge_param(response, "resource_metadata") or resource_metadata_url(
        str(called.copy_with(query=None, fragment=None))
    )


def _choose(metadata: ResourceMetadata, issuer: str | None) -> list[str]:
    servers = list(metadata.authorization_servers)
    if not servers:
        raise ConfigurationError(
            f"the protected resource metadata at {metadata.url} names no authorization_servers;"
            " pass the issuer to OAuthClient yourself"
        )
    if issuer is None:
        return servers[:1]
    wanted = issuer.rstrip("/")
    if wanted not in (server.rstrip("/") for server in servers):
        raise ConfigurationError(
            f"{metadata.resource} does not name {issuer!r} as an authorization server"
            f" (it names {', '.join(servers)})"
        )
    return [wanted]


def _scopes(response: httpx.Response, metadata: ResourceMetadata) -> tuple[str, ...]:
    asked = challenge_param(response, "scope")
    return tuple(asked.split()) if asked else metadata.scopes_supported


def discover_resource(
    url: str,
    *,
    response: httpx.Response | None = None,
    issuer: str | None = None,
    allow_prefix: bool = False,
    http_client: httpx.Client | None = None,
    verify: ssl.SSLContext | bool = True,
    timeout: float = 10.0,
) -> DiscoveredResource:
    """Find the authorization server of the protected API at ``url``.

    ``response`` is the API's 401 if the caller has it already; otherwise the API
    is called without a token to get one. ``issuer`` picks one of several
    authorization servers (default the first). ``allow_prefix`` accepts metadata
    whose ``resource`` is a path prefix of ``url`` on the same origin (RFC 9728
    §3.3 asks for the exact URL). ``http_client`` is used and not closed.
    """
    called = httpx.URL(url)
    http = http_client or httpx.Client(verify=verify, timeout=timeout)
    try:
        if response is None:
            response = http.get(url, headers=_JSON)
        location = _metadata_location(response, called)
        metadata = ResourceMetadata.from_response(
            http.get(location, headers=_JSON), called, allow_prefix=allow_prefix
        )
        (server,) = _choose(metadata, issuer)
        provider = None
        for candidate in metadata_urls(server):
            provider = parse_metadata_response(server, http.get(candidate, headers=_JSON))
            if provider is not None:
                break
    finally:
        if http_client is None:
            http.close()
    return _discovered(metadata, provider, server, _scopes(response, metadata))


async def adiscover_resource(
    url: str,
    *,
    response: httpx.Response | None = None,
    issuer: str | None = None,
    allow_prefix: bool = False,
    http_client: httpx.AsyncClient | None = None,
    verify: ssl.SSLContext | bool = True,
    timeout: float = 10.0,
) -> DiscoveredResource:
    """:func:`discover_resource` for async code, with an ``httpx.AsyncClient``."""
    called = httpx.URL(url)
    http = http_client or httpx.AsyncClient(verify=verify, timeout=timeout)
    try:
        if response is None:
            response = await http.get(url, headers=_JSON)
        location = _metadata_location(response, called)
        metadata = ResourceMetadata.from_response(
            await http.get(location, headers=_JSON), called, allow_prefix=allow_prefix
        )
        (server,) = _choose(metadata, issuer)
        provider = None
        for candidate in metadata_urls(server):
            provider = parse_metadata_response(server, await http.get(candidate, headers=_JSON))
            if provider is not None:
                break
    finally:
        if http_client is None:
            await http.aclose()
    return _discovered(metadata, provider, server, _scopes(response, metadata))


def _discovered(
    metadata: ResourceMetadata,
    provider: ProviderMetadata | None,
    server: str,
    scopes: Sequence[str],
) -> DiscoveredResource:
    if provider is None:
        raise ConfigurationError(
            f"the authorization server {server} named by {metadata.url} publishes no metadata"
            f" (tried {', '.join(metadata_urls(server))})"
        )
    return DiscoveredResource(metadata=metadata, provider=provider, scopes=tuple(scopes))
