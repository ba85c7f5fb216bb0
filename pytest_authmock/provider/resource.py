"""API routes mounted with ``idp.protect()``: bearer-protected, answered by the provider."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar

import httpx

from pytest_authmock.provider import challenges
from pytest_authmock.provider.bearer import TokenInfo, check_bearer, dpop_header
from pytest_authmock.provider.context import ProviderContext, ProviderRequest
from pytest_authmock.provider.http import json_response

Responder = Callable[[httpx.Request, TokenInfo], "httpx.Response | dict[str, Any]"]


@dataclasses.dataclass
class ProtectedResource:
    """An API route mounted with ``idp.protect()``."""

    url: httpx.URL
    scopes: tuple[str, ...]
    audience: str | None
    leeway: float
    methods: frozenset[str] | None
    responder: Responder | None = None
    #: RFC 9728 §1.2: the resource identifier (the URL, unless ``protect(resource=...)``).
    identifier: str = ""
    #: Where its RFC 9728 metadata is served (``None``: no metadata).
    metadata_url: str | None = None
    #: The journal's and fault plan's name for these routes.
    endpoint: ClassVar[str] = "resource"

    def matches(self, url: httpx.URL) -> bool:
        return (
            url.scheme == self.url.scheme
            and url.host == self.url.host
            and url.port == self.url.port
            and url.path == self.url.path
        )

    def respond(self, ctx: ProviderContext, request: ProviderRequest) -> httpx.Response:
        if self.methods is not None and request.method not in self.methods:
            return json_response(
                405,
                {
                    "error": "method_not_allowed",
                    "error_description": f"{request.method} is not allowed here",
                },
                headers={"Allow": ", ".join(sorted(self.methods))},
            )
        result = check_bearer(
            ctx,
            request.headers.get("authorization"),
            scopes=self.scopes,
            audience=self.audience,
            leeway=self.leeway,
            peer_cert=request.peer_cert,
            dpop=dpop_header(request),
            method=request.method,
            url=request.url,
        )
        if result.token is None:
            return self._pointing_to_metadata(result.to_response())
        if self.responder is None:
            return result.to_response()
        answer = self.responder(request.http, result.token)
        return answer if isinstance(answer, httpx.Response) else json_response(200, answer)

    def _pointing_to_metadata(self, answer: httpx.Response) -> httpx.Response:
        """RFC 9728 §5.1: the challenge names where the resource's metadata is."""
        challenge = answer.headers.get("www-authenticate")
        if self.metadata_url is not None and challenge:
            answer.headers["WWW-Authenticate"] = challenges.with_params(
                challenge, resource_metadata=self.metadata_url
            )
        return answer
