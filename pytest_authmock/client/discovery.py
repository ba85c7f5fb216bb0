"""Issuer metadata (OIDC Discovery 1.0, RFC 8414): where every endpoint lives.

No endpoint path is ever guessed: the client reads the metadata document once,
checks that it describes the issuer it was asked for, and caches it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from pytest_authmock.client.errors import ConfigurationError, ProviderError
from pytest_authmock.client.responses import fetched_document

__all__ = ["ProviderMetadata", "metadata_urls"]


def metadata_urls(issuer: str) -> list[str]:
    """The documents to try, in order.

    OIDC Discovery appends ``/.well-known/openid-configuration`` to the issuer;
    RFC 8414 §3.1 inserts ``/.well-known/oauth-authorization-server`` between the
    host and the issuer's path. Providers that only speak plain OAuth have only
    the second one.
    """
    base = issuer.rstrip("/")
    parts = urlsplit(base)
    rfc8414 = urlunsplit(
        (parts.scheme, parts.netloc, "/.well-known/oauth-authorization-server" + parts.path, "", "")
    )
    return [base + "/.well-known/openid-configuration", rfc8414]


def _normalise(issuer: str) -> str:
    return issuer.rstrip("/")


@dataclasses.dataclass(frozen=True)
class ProviderMetadata:
    """The parts of the metadata document this library uses; ``raw`` has it all."""

    issuer: str
    token_endpoint: str
    introspection_endpoint: str | None = None
    revocation_endpoint: str | None = None
    userinfo_endpoint: str | None = None
    jwks_uri: str | None = None
    device_authorization_endpoint: str | None = None
    grant_types_supported: tuple[str, ...] = ()
    token_endpoint_auth_methods_supported: tuple[str, ...] = ()
    mtls_endpoint_aliases: Mapping[str, str] = dataclasses.field(default_factory=dict)
    raw: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    @classmethod
    def from_document(cls, expected_issuer: str, document: Any, url: str) -> ProviderMetadata:
        if not isinstance(document, Mapping):
            raise ProviderError(f"the metadata at {url} is not a JSON object")
        issuer = document.get("issuer")
        # RFC 8414 §3.3 / OIDC Discovery §4.3: the document must name the issuer
        # it was fetched for, or a compromised or misconfigured host could point
        # the client at someone else's token endpoint.
        if not isinstance(issuer, str) or _normalise(issuer) != _normalise(expected_issuer):
            raise ConfigurationError(
                f"the metadata at {url} is for issuer {issuer!r}, not {expected_issuer!r};"
                " check the issuer URL you configured"
            )
        token_endpoint = document.get("token_endpoint")
        if not isinstance(token_endpoint, str):
            raise ProviderError(
                f"the metadata at {url} has no token_endpoint; this provider cannot issue tokens"
            )

        def opt(name: str) -> str | None:
            value = document.get(name)
            return value if isinstance(value, str) else None

        def strings(name: str) -> tuple[str, ...]:
            value = document.get(name)
            if isinstance(value, list):
                return tuple(v for v in value if isinstance(v, str))
            return ()

        aliases = document.get("mtls_endpoint_aliases")
        return cls(
            issuer=issuer,
            token_endpoint=token_endpoint,
            introspection_endpoint=opt("introspection_endpoint"),
            revocation_endpoint=opt("revocation_endpoint"),
            userinfo_endpoint=opt("userinfo_endpoint"),
            jwks_uri=opt("jwks_uri"),
            device_authorization_endpoint=opt("device_authorization_endpoint"),
            grant_types_supported=strings("grant_types_supported"),
            token_endpoint_auth_methods_supported=strings("token_endpoint_auth_methods_supported"),
            mtls_endpoint_aliases=(
                {k: v for k, v in aliases.items() if isinstance(v, str)}
                if isinstance(aliases, Mapping)
                else {}
            ),
            raw=dict(document),
        )

    def endpoint(self, name: str, *, mtls: bool = False) -> str:
        """The URL of ``name`` (e.g. ``"revocation_endpoint"``), or a clear error.

        With ``mtls=True`` the RFC 8705 §5 alias is preferred when the provider
        publishes one: certificate-bound requests must go to the mTLS host.
        """
        if mtls and name in self.mtls_endpoint_aliases:
            return self.mtls_endpoint_aliases[name]
        value = self.token_endpoint if name == "token_endpoint" else self.raw.get(name)
        if not isinstance(value, str):
            raise ConfigurationError(
                f"the provider {self.issuer} does not publish a {name} in its metadata;"
                " this operation is not available there"
            )
        return value


def parse_metadata_response(
    expected_issuer: str, response: httpx.Response
) -> ProviderMetadata | None:
    """The metadata from one answer; ``None`` when the document does not exist there."""
    url = str(response.request.url)
    if response.status_code == 404:
        return None
    document = fetched_document(response, f"the metadata at {url}")
    return ProviderMetadata.from_document(expected_issuer, document, url)
