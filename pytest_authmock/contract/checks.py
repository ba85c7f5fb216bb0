"""Helpers of the contract suite: talking to the provider, and recording its choices."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from pytest_authmock.contract.options import ContractSettings

__all__ = ["Choices", "Provider", "jwt_header"]

#: Members of a JWK that only a private key has (RFC 7518 §6).
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


@dataclasses.dataclass
class Choices:
    """The variants a provider chose where the RFCs allow several."""

    items: dict[str, tuple[str, str | None]] = dataclasses.field(default_factory=dict)

    def record(self, what: str, chosen: str, fake_option: str | None = None) -> None:
        """``fake_option``: how to make the fake choose the same (``token_format='opaque'``)."""
        self.items[what] = (chosen, fake_option)

    def as_json(self) -> dict[str, dict[str, str | None]]:
        return {
            what: {"chosen": chosen, "fake": option}
            for what, (chosen, option) in self.items.items()
        }

    def lines(self) -> list[str]:
        out = []
        for what, (chosen, option) in sorted(self.items.items()):
            hint = f"  (fake: {option})" if option else ""
            out.append(f"{what}: {chosen}{hint}")
        return out


def jwt_header(token: str) -> dict[str, Any] | None:
    """The header of a JWS compact token, or ``None`` if ``token`` is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (ValueError, binascii.Error):
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
                    f"({', '.join(self.metadata_urls().values())})"
                )
            self._metadata = found
        return self._metadata

    def endpoint(self, name: str) -> str | None:
        value = self.metadata().get(name)
        return value if isinstance(value, str) else None

    def jwks(self) -> dict[str, Any]:
        uri = self.endpoint("jwks_uri")
        assert uri, "the metadata has no jwks_uri"
        response = self.http.get(uri)
        assert response.status_code == 200, f"GET {uri} answered {response.status_code}"
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
        self, data: dict[str, str], *, secret: str | None = None
    ) -> tuple[dict[str, str], httpx.BasicAuth | None]:
        """The form plus the client's credentials, by the method the provider prefers."""
        settings = self.settings
        form = dict(data)
        secret = settings.client_secret if secret is None else secret
        method = self.auth_method
        if method == "client_secret_basic" and secret is not None:
            # RFC 6749 §2.3.1: form-urlencode id and secret before Base64.
            from urllib.parse import quote_plus

            return form, httpx.BasicAuth(quote_plus(settings.client_id), quote_plus(secret))
        form["client_id"] = settings.client_id
        if secret is not None:
            form["client_secret"] = secret
        return form, None

    def post(
        self, endpoint: str, data: dict[str, str], *, secret: str | None = None, auth: bool = True
    ) -> httpx.Response:
        url = self.endpoint(endpoint)
        assert url, f"the metadata has no {endpoint}"
        if not auth:
            return self.http.post(url, data=data, headers={"Accept": "application/json"})
        form, basic = self.authenticated(data, secret=secret)
        return self.http.post(
            url,
            data=form,
            auth=basic if basic is not None else httpx.USE_CLIENT_DEFAULT,
            headers={"Accept": "application/json"},
        )

    def token(self, data: dict[str, str], **kwargs: Any) -> httpx.Response:
        if (
            self.settings.scope
            and "scope" not in data
            and data.get("grant_type") != "refresh_token"
        ):
            data = {**data, "scope": self.settings.scope}
        return self.post("token_endpoint", data, **kwargs)

    # -- tokens -----------------------------------------------------------------------

    def verify_jwt(self, token: str) -> dict[str, Any]:
        """Verify a JWT with the published keys; returns its claims."""
        header = jwt_header(token)
        assert header is not None, "not a JWT"
        keys = self.jwks()
        kid = header.get("kid")
        kids = [key.get("kid") for key in keys.get("keys", [])]
        assert kid is None or kid in kids, f"token kid {kid!r} is not in the JWKS ({kids})"
        alg = str(header.get("alg"))
        assert alg != "none", "an unsigned JWT"
        try:
            decoded = jwt.decode(token, KeySet.import_key_set(keys), algorithms=[alg])  # type: ignore[arg-type]
        except (JoseError, ValueError) as exc:
            raise AssertionError(
                f"the token's signature does not verify with the JWKS: {exc}"
            ) from None
        return dict(decoded.claims)
