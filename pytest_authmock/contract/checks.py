"""Helpers of the contract suite: talking to the provider, and recording its choices."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import quote_plus, urlsplit, urlunsplit

import httpx
import pytest

from pytest_authmock.contract.choices import Choices
from pytest_authmock.contract.options import ContractSettings

__all__ = ["Choices", "Provider", "jwt_header", "oauth_error", "require_supported", "said"]

#: Members of a JWK that only a private key has (RFC 7518 §6).
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_SCOPED = ("client_credentials", "password")


def jwt_header(token: str) -> dict[str, Any] | None:
    """The header of a JWS compact token, or ``None`` if ``token`` is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        return None
    return header if isinstance(header, dict) else None


class Provider:
    """The provider under test, reached through its metadata only."""

    def __init__(self, settings: ContractSettings, http: httpx.Client) -> None:
        self.settings = settings
        self.http = http
        self._metadata: dict[str, Any] | None = None
        #: Which well-known documents answered: "openid-configuration", "oauth-authorization-server".
        self.documents: list[str] = []

    # -- discovery ------------------------------------------------------------------

    def metadata_urls(self) -> dict[str, str]:
        issuer = self.settings.issuer
        parts = urlsplit(issuer)
        rfc8414 = urlunsplit(
            (
                parts.scheme,
                parts.netloc,
                "/.well-known/oauth-authorization-server" + parts.path,
                "",
                "",
            )
        )
        return {
            "openid-configuration": issuer + "/.well-known/openid-configuration",
            "oauth-authorization-server": rfc8414,
        }

    def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            found: dict[str, Any] | None = None
            for name, url in self.metadata_urls().items():
                response = self.http.get(url, headers={"Accept": "application/json"})
                if response.status_code == 200:
                    self.documents.append(name)
                    found = found or response.json()
            if found is None:
                raise AssertionError(
                    f"{self.settings.issuer} serves neither metadata document "
                    f"({', '.join(self.metadata_urls().values())}; OIDC Discovery §4, RFC 8414 §3)"
                )
            self._metadata = found
        return self._metadata

    def endpoint(self, name: str) -> str | None:
        value = self.metadata().get(name)
        return value if isinstance(value, str) else None

    def endpoint_or_skip(self, name: str) -> str:
        """The endpoint's URL; skips the check when the metadata has none."""
        url = self.endpoint(name)
        if not url:
            pytest.skip(f"no {name} in the metadata")
        return url

    def jwks(self) -> dict[str, Any]:
        uri = self.endpoint("jwks_uri")
        assert uri, "the metadata has no jwks_uri (RFC 8414 §2)"
        response = self.http.get(uri)
        assert response.status_code == 200, (
            f"GET {uri} answered {response.status_code} (RFC 8414 §2)"
        )
        body: dict[str, Any] = response.json()
        return body

    # -- client authentication -------------------------------------------------------

    @property
    def auth_method(self) -> str:
        supported = self.metadata().get(
            "token_endpoint_auth_methods_supported", ["client_secret_basic"]
        )
        if self.settings.client_secret is None:
            return "none"
        # RFC 6749 §2.3.1: servers MUST support Basic; prefer it when listed.
        return "client_secret_basic" if "client_secret_basic" in supported else "client_secret_post"

    def authenticated(
        self, data: dict[str, str], *, secret: str | None = None, method: str | None = None
    ) -> tuple[dict[str, str], httpx.BasicAuth | None]:
        """The form plus the client's credentials, by ``method`` or the one the provider prefers."""
        settings = self.settings
        form = dict(data)
        secret = settings.client_secret if secret is None else secret
        method = method or self.auth_method
        if method == "client_secret_basic" and secret is not None:
            # RFC 6749 §2.3.1: form-urlencode id and secret before Base64.
            return form, httpx.BasicAuth(quote_plus(settings.client_id), quote_plus(secret))
        form["client_id"] = settings.client_id
        if secret is not None:
            form["client_secret"] = secret
        return form, None

    def post(
        self,
        endpoint: str,
        data: dict[str, str],
        *,
        secret: str | None = None,
        auth: bool = True,
        method: str | None = None,
    ) -> httpx.Response:
        url = self.endpoint(endpoint)
        assert url, f"the metadata has no {endpoint} (RFC 8414 §2)"
        if not auth:
            return self.http.post(url, data=data, headers={"Accept": "application/json"})
        form, basic = self.authenticated(data, secret=secret, method=method)
        return self.http.post(
            url,
            data=form,
            auth=basic if basic is not None else httpx.USE_CLIENT_DEFAULT,
            headers={"Accept": "application/json"},
        )

    def token(self, data: dict[str, str], **kwargs: Any) -> httpx.Response:
        # The configured scope goes with the grants that ask for one at the token endpoint.
        if self.settings.scope and "scope" not in data and data.get("grant_type") in _SCOPED:
            data = {**data, "scope": self.settings.scope}
        return self.post("token_endpoint", data, **kwargs)


def oauth_error(response: httpx.Response, what: str = "the error answer") -> tuple[str, str]:
    """``(error, error_description)`` of an RFC 6749 §5.2 answer; fails on any other shape."""
    kind = response.headers.get("content-type", "").split(";")[0].strip()
    assert kind == "application/json", (
        f"{what} ({response.status_code}) is {kind or 'untyped'}, not application/json"
        " (RFC 6749 §5.2)"
    )
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(
            f"{what} ({response.status_code}) is not valid JSON (RFC 6749 §5.2)"
        ) from None
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, str) and error, (
        f"{what} ({response.status_code}) has no 'error' member (RFC 6749 §5.2)"
    )
    description = body.get("error_description")
    return error, description if isinstance(description, str) else ""


def said(response: httpx.Response) -> str:
    """What an answer said, for a message: status, and the OAuth error if there is one."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return f"HTTP {response.status_code}"
    description = body.get("error_description")
    detail = f": {description}" if isinstance(description, str) and description else ""
    return f"HTTP {response.status_code} {body['error']}{detail}"


def require_supported(metadata: dict[str, Any], grant: str) -> None:
    """Skip unless the provider supports ``grant`` at all (whether this client may is another matter)."""
    # RFC 8414 §2 defaults an absent list to authorization_code and implicit, but
    # many providers simply omit it: then the grant is tried rather than skipped.
    supported = metadata.get("grant_types_supported")
    if isinstance(supported, list) and grant not in supported:
        pytest.skip(f"the provider does not list {grant!r} in grant_types_supported")
