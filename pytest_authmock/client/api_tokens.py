"""A typed client of an API-token management API (create, list, get, revoke).

The endpoint is found in the issuer metadata (``api_tokens_endpoint``) unless
given; the caller authenticates with any ``httpx.Auth`` (a logged-in session's
:class:`OAuth2Auth`, or a :class:`BearerAuth`) whose token has the admin scope.
The secret of a new token is only in :class:`CreatedApiToken` and never in a
``repr``; an API token is then used like any bearer token (``--token`` flag or
environment variable through :class:`CredentialResolver`).
"""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx

from pytest_authmock.client.auth import BearerAuth
from pytest_authmock.client.challenge import parse_bearer_challenge
from pytest_authmock.client.errors import InvalidToken, ProviderError, TokenExpired
from pytest_authmock.client.oauth import OAuthClient
from pytest_authmock.client.redact import fingerprint
from pytest_authmock.client.responses import json_body, oauth_error

__all__ = [
    "ApiTokenAdmin",
    "ApiTokenForbidden",
    "ApiTokenInfo",
    "ApiTokenNotFound",
    "CreatedApiToken",
]

_JSON = {"Accept": "application/json"}


class ApiTokenForbidden(ProviderError):
    """The caller may not do this: its token lacks the admin scope, or the API token is
    bound to another session (device) and must be revoked from there."""


class ApiTokenNotFound(ProviderError):
    """No such API token of the caller (wrong id, or already revoked)."""


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProviderError(f"the API-token answer has a non-string timestamp {value!r}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ProviderError(f"the API-token answer has a bad timestamp {value!r}") from None


@dataclasses.dataclass(frozen=True)
class ApiTokenInfo:
    """An API token as listed: everything but its secret."""

    id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = None
    expired: bool = False
    bound_to_session: bool = False

    @classmethod
    def from_json(cls, body: Any) -> ApiTokenInfo:
        return cls(**cls._fields(body))

    @staticmethod
    def _fields(body: Any) -> dict[str, Any]:
        if not isinstance(body, Mapping):
            raise ProviderError("the API-token answer is not a JSON object")
        try:
            created = _time(body["created_at"])
            scopes = body.get("scopes") or []
            if created is None or not isinstance(scopes, list):
                raise TypeError
            return {
                "id": str(body["id"]),
                "name": str(body["name"]),
                "scopes": tuple(str(scope) for scope in scopes),
                "created_at": created,
                "expires_at": _time(body.get("expires_at")),
                "last_used_at": _time(body.get("last_used_at")),
                "expired": bool(body.get("expired", False)),
                "bound_to_session": bool(body.get("bound_to_session", False)),
            }
        except (KeyError, TypeError):
            raise ProviderError(
                "the API-token answer lacks id, name or created_at; is this an API-token endpoint?"
            ) from None


@dataclasses.dataclass(frozen=True)
class CreatedApiToken(ApiTokenInfo):
    """A new API token; ``token`` is the secret, shown once by the provider."""

    token: str = dataclasses.field(default="", repr=False)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.token)

    @classmethod
    def from_json(cls, body: Any) -> CreatedApiToken:
        fields = cls._fields(body)
        token = body.get("token")
        if not isinstance(token, str) or not token:
            raise ProviderError("the provider created an API token but sent no secret")
        return cls(**fields, token=token)


_CREATED = "the answer to creating an API token"
_READ = "the API-token answer"


def _check(response: httpx.Response, what: str) -> None:
    if response.status_code < 300:
        return
    error, description = oauth_error(response)
    status = response.status_code
    detail = description or error or f"HTTP {status}"
    if status == 401:
        challenge = parse_bearer_challenge(response.headers.get("WWW-Authenticate", ""))
        reason = challenge.get("error_description", "no credentials were sent")
        if "expired" in reason.lower():
            raise TokenExpired(
                f"{what} failed: the admin token has expired ({reason}); log in again"
            )
        raise InvalidToken(
            f"{what} failed: the provider does not accept the admin token ({reason})"
        )
    kwargs: dict[str, Any] = {
        "error": error,
        "error_description": description,
        "status_code": status,
    }
    if status == 403:
        challenge = parse_bearer_challenge(response.headers.get("WWW-Authenticate", ""))
        if challenge.get("error") == "insufficient_scope":
            scope = challenge.get("scope", "the admin scope")
            raise ApiTokenForbidden(
                f"{what} failed: the token lacks {scope!r}; log in with that scope", **kwargs
            )
        raise ApiTokenForbidden(f"{what} failed: {detail}", **kwargs)
    if status == 404:
        raise ApiTokenNotFound(f"{what} failed: {detail}", **kwargs)
    raise ProviderError(f"{what} failed with HTTP {status} ({detail})", **kwargs)


def _seconds(expires_in: int | timedelta | None) -> int | None:
    if isinstance(expires_in, timedelta):
        return int(expires_in.total_seconds())
    return expires_in


class ApiTokenAdmin:
    """Manage the caller's API tokens at ``oauth``'s issuer."""

    def __init__(
        self, oauth: OAuthClient, auth: httpx.Auth | str, *, endpoint: str | None = None
    ) -> None:
        self.oauth = oauth
        self.auth: httpx.Auth = BearerAuth(auth) if isinstance(auth, str) else auth
        self._endpoint = endpoint

    def __repr__(self) -> str:
        return f"ApiTokenAdmin(issuer={self.oauth.issuer!r}, auth={self.auth!r})"

    def endpoint(self) -> str:
        if self._endpoint is None:
            self._endpoint = self.oauth.metadata().endpoint("api_tokens_endpoint")
        return self._endpoint

    async def aendpoint(self) -> str:
        if self._endpoint is None:
            self._endpoint = (await self.oauth.ametadata()).endpoint("api_tokens_endpoint")
        return self._endpoint

    @staticmethod
    def _body(
        name: str,
        scopes: Sequence[str] | None,
        expires_in: int | timedelta | None,
        bind_to_session: bool,
    ) -> dict[str, Any]:
        if isinstance(scopes, str):
            raise TypeError(f"scopes must be a list of scope names, not the string {scopes!r}")
        body: dict[str, Any] = {"name": name, "expires_in": _seconds(expires_in)}
        if scopes is not None:
            body["scopes"] = list(scopes)
        if bind_to_session:
            body["bind_to_session"] = True
        return body

    def _send(self, method: str, url: str, what: str, body: Any = None) -> httpx.Response:
        response = self.oauth.retry.send(
            lambda: self.oauth.http.request(method, url, json=body, headers=_JSON, auth=self.auth),
            what=what,
            idempotent=method != "POST",
        )
        _check(response, what)
        return response

    async def _asend(self, method: str, url: str, what: str, body: Any = None) -> httpx.Response:
        http = await self.oauth.async_http()
        response = await self.oauth.retry.asend(
            lambda: http.request(method, url, json=body, headers=_JSON, auth=self.auth),
            what=what,
            idempotent=method != "POST",
        )
        _check(response, what)
        return response

    def create(
        self,
        name: str,
        *,
        scopes: Sequence[str] | None = None,
        expires_in: int | timedelta | None = None,
        bind_to_session: bool = False,
    ) -> CreatedApiToken:
        """Create a token; ``expires_in=None`` never expires, ``scopes=None`` takes the
        caller's (without the admin scope); ``bind_to_session`` lets only this
        session (device) revoke it."""
        body = self._body(name, scopes, expires_in, bind_to_session)
        response = self._send("POST", self.endpoint(), "creating an API token", body)
        return CreatedApiToken.from_json(json_body(response, _CREATED))

    async def acreate(
        self,
        name: str,
        *,
        scopes: Sequence[str] | None = None,
        expires_in: int | timedelta | None = None,
        bind_to_session: bool = False,
    ) -> CreatedApiToken:
        body = self._body(name, scopes, expires_in, bind_to_session)
        response = await self._asend("POST", await self.aendpoint(), "creating an API token", body)
        return CreatedApiToken.from_json(json_body(response, _CREATED))

    @staticmethod
    def _listed(response: httpx.Response) -> builtins.list[ApiTokenInfo]:
        body = json_body(response, "the API-token list answer")
        tokens = body.get("tokens") if isinstance(body, Mapping) else None
        if not isinstance(tokens, list):
            raise ProviderError("the API-token list answer has no 'tokens' array")
        return [ApiTokenInfo.from_json(item) for item in tokens]

    def list(self) -> builtins.list[ApiTokenInfo]:
        """The caller's tokens, oldest first (ids, names, times; never secrets)."""
        return self._listed(self._send("GET", self.endpoint(), "listing API tokens"))

    async def alist(self) -> builtins.list[ApiTokenInfo]:
        return self._listed(await self._asend("GET", await self.aendpoint(), "listing API tokens"))

    def get(self, token_id: str) -> ApiTokenInfo:
        url = f"{self.endpoint()}/{_id(token_id)}"
        response = self._send("GET", url, f"reading API token {token_id!r}")
        return ApiTokenInfo.from_json(json_body(response, _READ))

    async def aget(self, token_id: str) -> ApiTokenInfo:
        url = f"{await self.aendpoint()}/{_id(token_id)}"
        response = await self._asend("GET", url, f"reading API token {token_id!r}")
        return ApiTokenInfo.from_json(json_body(response, _READ))

    def revoke(self, token_id: str) -> None:
        """Revoke by id; it stops working at once. :class:`ApiTokenForbidden` if it is
        bound to another device, :class:`ApiTokenNotFound` if there is no such token."""
        self._send(
            "DELETE", f"{self.endpoint()}/{_id(token_id)}", f"revoking API token {token_id!r}"
        )

    async def arevoke(self, token_id: str) -> None:
        url = f"{await self.aendpoint()}/{_id(token_id)}"
        await self._asend("DELETE", url, f"revoking API token {token_id!r}")


def _id(token_id: str) -> str:
    if not token_id or any(char in token_id for char in "/?#% "):
        raise ValueError(f"{token_id!r} is not an API token id")
    return token_id
