"""Pushed authorization requests (RFC 9126): the parameters go to the provider first.

Instead of putting the whole authorization request in the browser's URL, the
client posts it to the ``pushed_authorization_request_endpoint``,
authenticated, and sends the browser with only ``client_id`` and the one-time
``request_uri`` it got back. The parameters cannot be read or changed on the
way, and a provider that requires it (``require_pushed_authorization_requests``)
accepts nothing else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import httpx

from pytest_authmock.client.discovery import ProviderMetadata
from pytest_authmock.client.errors import (
    ConfigurationError,
    InvalidCredentials,
    ProviderError,
)
from pytest_authmock.client.oauth import OAuthClient
from pytest_authmock.client.responses import json_body, oauth_error, provider_words

__all__ = [
    "PushedAuthorizationRequest",
    "apush_authorization_request",
    "push_authorization_request",
    "pushed_authorization_url",
]

#: Authorization request parameters; a list value is sent as a repeated parameter.
Params = Mapping[str, str | Sequence[str]]
_ENDPOINT = "pushed_authorization_request_endpoint"


@dataclasses.dataclass(frozen=True)
class PushedAuthorizationRequest:
    """The provider's answer (RFC 9126 §2.2): a one-time reference to the request."""

    request_uri: str
    #: Seconds the reference stays usable.
    expires_in: int | None = None

    def authorization_url(self, authorization_endpoint: str, client_id: str) -> str:
        """The URL to open in the browser (RFC 9126 §4): ``client_id`` and ``request_uri``."""
        return str(
            httpx.URL(authorization_endpoint).copy_merge_params(
                {"client_id": client_id, "request_uri": self.request_uri}
            )
        )


def _request(
    oauth: OAuthClient, metadata: ProviderMetadata, params: Params
) -> tuple[str, dict[str, str], dict[str, str | list[str]]]:
    if "request_uri" in params:
        raise ValueError("a pushed request must not carry request_uri (RFC 9126 §2.1)")
    if oauth.client_id is None:
        raise ConfigurationError(
            "a pushed authorization request needs the client: pass client_id (and its secret)"
            " to OAuthClient"
        )
    mtls = bool(oauth.client_auth and oauth.client_auth.uses_mtls)
    url = metadata.endpoint(_ENDPOINT, mtls=mtls)
    # The client authenticates as at the token endpoint (RFC 9126 §2.1), with the
    # same credentials OAuthClient sends to its other endpoints.
    headers, credentials = oauth._client_form({})
    form: dict[str, str | list[str]] = {
        name: value if isinstance(value, str) else list(value) for name, value in params.items()
    }
    form["client_id"] = oauth.client_id
    form.update(credentials)
    return url, headers, form


def _answer(response: httpx.Response) -> PushedAuthorizationRequest:
    if response.status_code not in (200, 201):
        error, description = oauth_error(response)
        words = provider_words(response)
        if error == "invalid_client" or response.status_code == 401:
            raise InvalidCredentials(
                f"the provider rejected the client at the pushed authorization request ({words});"
                " check the client id, secret and authentication method"
            )
        raise ProviderError(
            f"the pushed authorization request failed ({words})",
            error=error,
            error_description=description,
            status_code=response.status_code,
        )
    body = json_body(response, "the pushed authorization request answer")
    request_uri = body.get("request_uri") if isinstance(body, Mapping) else None
    if not isinstance(request_uri, str) or not request_uri:
        raise ProviderError(
            "the pushed authorization request answer has no request_uri (RFC 9126 §2.2)"
        )
    expires_in = body.get("expires_in")
    valid = isinstance(expires_in, int) and not isinstance(expires_in, bool)
    return PushedAuthorizationRequest(request_uri, expires_in if valid else None)


def push_authorization_request(oauth: OAuthClient, params: Params) -> PushedAuthorizationRequest:
    """Push an authorization request's ``params`` (RFC 9126 §2) for ``oauth``'s client."""
    url, headers, form = _request(oauth, oauth.metadata(), params)
    # Pushing again after a lost answer only leaves an unused reference to expire.
    response = oauth.retry.send(
        lambda: oauth.http.post(url, data=form, headers=headers),
        what="the pushed authorization request",
    )
    return _answer(response)


async def apush_authorization_request(
    oauth: OAuthClient, params: Params
) -> PushedAuthorizationRequest:
    """:func:`push_authorization_request` for async code."""
    url, headers, form = _request(oauth, await oauth.ametadata(), params)
    http = await oauth.async_http()
    response = await oauth.retry.asend(
        lambda: http.post(url, data=form, headers=headers),
        what="the pushed authorization request",
    )
    return _answer(response)


def pushed_authorization_url(oauth: OAuthClient, url: str, *, par: bool | None = None) -> str:
    """The URL to open for the authorization request ``url``: itself, or its parameters
    pushed first (``par=True``, or ``None`` when the provider requires it, RFC 9126 §5)."""
    metadata = oauth.metadata()
    client_id = oauth.client_id
    if client_id is None:
        raise ConfigurationError(
            "the authorization request needs a client_id; pass one to OAuthClient"
        )
    if par is None:
        par = metadata.raw.get("require_pushed_authorization_requests") is True
    if not par:
        return url
    request = httpx.URL(url)
    params: dict[str, list[str]] = {}
    for name, value in request.params.multi_items():
        params.setdefault(name, []).append(value)
    flat = {name: values[0] if len(values) == 1 else values for name, values in params.items()}
    flat.pop("client_id", None)
    pushed = push_authorization_request(oauth, flat)
    return pushed.authorization_url(str(request.copy_with(query=None)), client_id)
