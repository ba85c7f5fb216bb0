"""Dynamic client registration (RFC 7591) and its management (RFC 7592).

A tool that meets an authorization server it has never been configured for
registers itself: it posts its metadata (redirect URIs, grants, how it
authenticates) to the ``registration_endpoint`` and gets a ``client_id`` (and a
secret, for a confidential client). With the registration access token it can
later read, replace or delete that registration.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

import httpx

from pytest_authmock.client.errors import (
    ConfigurationError,
    InvalidCredentials,
    ProviderError,
)
from pytest_authmock.client.grants import ClientAuth, client_auth_for
from pytest_authmock.client.oauth import OAuthClient
from pytest_authmock.client.redact import fingerprint
from pytest_authmock.client.responses import json_body, oauth_error, provider_words

__all__ = [
    "RegisteredClient",
    "RegistrationError",
    "aregister_client",
    "delete_registration",
    "read_registration",
    "register_client",
    "update_registration",
]

_JSON = {"Accept": "application/json"}
_CLOSED = "registration is closed: pass the initial access token the provider gave you"
#: Fields of the answer that are not client metadata (RFC 7591 §3.2.1, RFC 7592 §3).
_CREDENTIALS = frozenset(
    {
        "client_id",
        "client_secret",
        "client_id_issued_at",
        "client_secret_expires_at",
        "registration_access_token",
        "registration_client_uri",
    }
)


class RegistrationError(ProviderError):
    """The provider refused the metadata: ``error`` is ``invalid_redirect_uri``,
    ``invalid_client_metadata`` or another RFC 7591 §3.2.2 code."""


@dataclasses.dataclass(frozen=True)
class RegisteredClient:
    """A client registered at ``issuer``: its credentials and registered metadata."""

    issuer: str
    client_id: str
    client_secret: str | None = dataclasses.field(default=None, repr=False)
    #: RFC 7592: the token that opens :attr:`registration_client_uri`.
    registration_access_token: str | None = dataclasses.field(default=None, repr=False)
    registration_client_uri: str | None = None
    #: When the secret expires (epoch seconds); 0 or ``None``: never.
    client_secret_expires_at: int | None = None
    #: The client metadata as the provider registered it (no credentials).
    metadata: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __repr__(self) -> str:
        secret = f"<{fingerprint(self.client_secret)}>" if self.client_secret else "None"
        return (
            f"RegisteredClient(issuer={self.issuer!r}, client_id={self.client_id!r}, "
            f"client_secret={secret}, registration_client_uri={self.registration_client_uri!r})"
        )

    @property
    def token_endpoint_auth_method(self) -> str:
        method = self.metadata.get("token_endpoint_auth_method")
        if isinstance(method, str):
            return method
        # RFC 7591 §2: the default.
        return "client_secret_basic" if self.client_secret else "none"

    def client_auth(self) -> ClientAuth:
        """How this client authenticates at the token endpoint."""
        return client_auth_for(self.client_id, self.client_secret, self.token_endpoint_auth_method)

    def oauth_client(self, **kwargs: Any) -> OAuthClient:
        """An :class:`OAuthClient` of the issuer acting as this client (``kwargs`` go to it)."""
        return OAuthClient(self.issuer, self.client_auth(), **kwargs)

    @classmethod
    def from_response(
        cls, issuer: str, response: httpx.Response, previous: RegisteredClient | None = None
    ) -> RegisteredClient:
        body = json_body(response, "the registration answer")
        if not isinstance(body, Mapping) or not isinstance(body.get("client_id"), str):
            raise ProviderError("the registration answer has no client_id (RFC 7591 §3.2.1)")

        def field(name: str, default: Any = None) -> Any:
            value = body.get(name)
            return value if value is not None else default

        return cls(
            issuer=issuer,
            client_id=body["client_id"],
            client_secret=field("client_secret", previous and previous.client_secret),
            # RFC 7592 §3: a read or update may leave the token out: it did not change.
            registration_access_token=field(
                "registration_access_token", previous and previous.registration_access_token
            ),
            registration_client_uri=field(
                "registration_client_uri", previous and previous.registration_client_uri
            ),
            client_secret_expires_at=field("client_secret_expires_at"),
            metadata={k: v for k, v in body.items() if k not in _CREDENTIALS},
        )


_NOT_OPENED = "the registration access token no longer opens it (was the client deleted?)"


def _refusal(what: str, response: httpx.Response, *, unauthorized: str = _NOT_OPENED) -> Exception:
    error, description = oauth_error(response)
    words = provider_words(response)
    if response.status_code == 401:
        return InvalidCredentials(f"{what} was refused ({words}); {unauthorized}")
    advice = {
        "invalid_redirect_uri": "; fix redirect_uris",
        "invalid_client_metadata": "; fix the field the description names",
    }.get(error or "", "")
    return RegistrationError(
        f"{what} failed ({words}){advice}",
        error=error,
        error_description=description,
        status_code=response.status_code,
    )


def _request(
    metadata: Mapping[str, Any], initial_access_token: str | None
) -> tuple[dict[str, Any], dict[str, str]]:
    if not isinstance(metadata, Mapping):
        raise TypeError("metadata must be a mapping of RFC 7591 client metadata fields")
    headers = dict(_JSON)
    if initial_access_token is not None:
        headers["Authorization"] = f"Bearer {initial_access_token}"
    return dict(metadata), headers


def register_client(
    oauth: OAuthClient, metadata: Mapping[str, Any], *, initial_access_token: str | None = None
) -> RegisteredClient:
    """Register a client at ``oauth``'s issuer (RFC 7591 §3) with ``metadata``.

    ``oauth`` needs no client of its own (``OAuthClient(issuer)``); the endpoint
    is found in the metadata (``registration_endpoint``). ``initial_access_token``
    is the bearer token a provider with closed registration asks for.
    """
    url = oauth.metadata().endpoint("registration_endpoint")
    body, headers = _request(metadata, initial_access_token)
    # A registration creates a client: it is not resent once it may have arrived.
    response = oauth.retry.send(
        lambda: oauth.http.post(url, json=body, headers=headers),
        what="the registration",
        idempotent=False,
    )
    if response.status_code not in (200, 201):
        raise _refusal("the registration", response, unauthorized=_CLOSED)
    return RegisteredClient.from_response(oauth.issuer, response)


async def aregister_client(
    oauth: OAuthClient, metadata: Mapping[str, Any], *, initial_access_token: str | None = None
) -> RegisteredClient:
    """:func:`register_client` for async code."""
    url = (await oauth.ametadata()).endpoint("registration_endpoint")
    body, headers = _request(metadata, initial_access_token)
    http = await oauth.async_http()
    response = await oauth.retry.asend(
        lambda: http.post(url, json=body, headers=headers),
        what="the registration",
        idempotent=False,
    )
    if response.status_code not in (200, 201):
        raise _refusal("the registration", response, unauthorized=_CLOSED)
    return RegisteredClient.from_response(oauth.issuer, response)


def _management(registered: RegisteredClient) -> tuple[str, dict[str, str]]:
    if not registered.registration_client_uri or not registered.registration_access_token:
        raise ConfigurationError(
            f"client {registered.client_id!r} has no registration_client_uri and registration "
            "access token: the provider does not support RFC 7592 management"
        )
    headers = {**_JSON, "Authorization": f"Bearer {registered.registration_access_token}"}
    return registered.registration_client_uri, headers


def read_registration(oauth: OAuthClient, registered: RegisteredClient) -> RegisteredClient:
    """RFC 7592 §2.1: the registration as the provider holds it now."""
    url, headers = _management(registered)
    response = oauth.retry.send(
        functools.partial(oauth.http.get, url, headers=headers), what="reading the registration"
    )
    if response.status_code != 200:
        raise _refusal("reading the registration", response)
    return RegisteredClient.from_response(registered.issuer, response, registered)


def update_registration(
    oauth: OAuthClient, registered: RegisteredClient, metadata: Mapping[str, Any]
) -> RegisteredClient:
    """RFC 7592 §2.2: replace the whole registered metadata with ``metadata``.

    Fields left out are removed (or reset to their defaults) by the provider.
    """
    url, headers = _management(registered)
    body = {**dict(metadata), "client_id": registered.client_id}
    if registered.client_secret is not None:
        body["client_secret"] = registered.client_secret
    response = oauth.retry.send(
        lambda: oauth.http.put(url, json=body, headers=headers), what="updating the registration"
    )
    if response.status_code != 200:
        raise _refusal("updating the registration", response)
    return RegisteredClient.from_response(registered.issuer, response, registered)


def delete_registration(oauth: OAuthClient, registered: RegisteredClient) -> None:
    """RFC 7592 §2.3: delete the client; its credentials stop working."""
    url, headers = _management(registered)
    response = oauth.retry.send(
        functools.partial(oauth.http.delete, url, headers=headers),
        what="deleting the registration",
    )
    if response.status_code not in (200, 204):
        raise _refusal("deleting the registration", response)
