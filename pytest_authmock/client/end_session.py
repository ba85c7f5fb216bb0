"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the URL that signs the user out.

Deleting the stored tokens (:func:`~pytest_authmock.client.login.logout`) ends
the session on this machine; the provider's own session (the browser's single
sign-on) ends when the browser visits the ``end_session_endpoint``. This module
builds that URL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

import httpx

from pytest_authmock.client.discovery import ProviderMetadata
from pytest_authmock.client.oauth import OAuthClient

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["LogoutParameters", "aend_session_url", "end_session_url"]


class LogoutParameters(TypedDict, total=False):
    """The parameters of RP-Initiated Logout §2 a client chooses."""

    #: The user's ID token: the provider then signs out without asking.
    id_token_hint: str
    #: Where the browser comes back (registered for the client, exact match).
    post_logout_redirect_uri: str
    #: What the browser brings back there.
    state: str
    logout_hint: str


def _url(metadata: ProviderMetadata, client_id: str | None, params: LogoutParameters) -> str:
    endpoint = metadata.endpoint("end_session_endpoint")
    if params.get("state") is not None and params.get("post_logout_redirect_uri") is None:
        raise ValueError(
            "state comes back only with a post_logout_redirect_uri (RP-Initiated Logout §2)"
        )
    query = {key: str(value) for key, value in params.items() if value is not None}
    if client_id is not None:
        # §2: client_id lets the provider check post_logout_redirect_uri without an ID token.
        query["client_id"] = client_id
    return str(httpx.URL(endpoint).copy_merge_params(query))


def end_session_url(oauth: OAuthClient, **params: Unpack[LogoutParameters]) -> str:
    """The ``end_session_endpoint`` URL to open in the browser to sign the user out.

    ``id_token_hint``: the user's ID token (the provider then signs out without
    asking); ``post_logout_redirect_uri`` (registered for the client, exact
    match) and ``state``: where the browser comes back, and what it brings;
    ``logout_hint``. ``ConfigurationError`` when the provider has no
    ``end_session_endpoint``.
    """
    return _url(oauth.metadata(), oauth.client_id, params)


async def aend_session_url(oauth: OAuthClient, **params: Unpack[LogoutParameters]) -> str:
    """:func:`end_session_url` for async code."""
    return _url(await oauth.ametadata(), oauth.client_id, params)
