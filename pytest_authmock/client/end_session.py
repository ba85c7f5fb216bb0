"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the URL that signs the user out.

Deleting the stored tokens (:func:`~pytest_authmock.client.login.logout`) ends
the session on this machine; the provider's own session (the browser's single
sign-on) ends when the browser visits the ``end_session_endpoint``. This module
builds that URL.
"""

from __future__ import annotations

import httpx

from pytest_authmock.client.discovery import ProviderMetadata
from pytest_authmock.client.oauth import OAuthClient

__all__ = ["aend_session_url", "end_session_url"]


def _url(
    metadata: ProviderMetadata,
    client_id: str | None,
    id_token_hint: str | None,
    post_logout_redirect_uri: str | None,
    state: str | None,
    logout_hint: str | None,
) -> str:
    endpoint = metadata.endpoint("end_session_endpoint")
    if state is not None and post_logout_redirect_uri is None:
        raise ValueError(
            "state comes back only with a post_logout_redirect_uri (RP-Initiated Logout §2)"
        )
    params = {
        "id_token_hint": id_token_hint,
        # §2: client_id lets the provider check post_logout_redirect_uri without an ID token.
        "client_id": client_id,
        "post_logout_redirect_uri": post_logout_redirect_uri,
        "state": state,
        "logout_hint": logout_hint,
    }
    return str(
        httpx.URL(endpoint).copy_merge_params({k: v for k, v in params.items() if v is not None})
    )


def end_session_url(
    oauth: OAuthClient,
    *,
    id_token_hint: str | None = None,
    post_logout_redirect_uri: str | None = None,
    state: str | None = None,
    logout_hint: str | None = None,
) -> str:
    """The ``end_session_endpoint`` URL to open in the browser to sign the user out.

    ``id_token_hint``: the user's ID token (the provider then signs out without
    asking); ``post_logout_redirect_uri`` (registered for the client, exact
    match) and ``state``: where the browser comes back, and what it brings.
    ``ConfigurationError`` when the provider has no ``end_session_endpoint``.
    """
    return _url(
        oauth.metadata(),
        oauth.client_id,
        id_token_hint,
        post_logout_redirect_uri,
        state,
        logout_hint,
    )


async def aend_session_url(
    oauth: OAuthClient,
    *,
    id_token_hint: str | None = None,
    post_logout_redirect_uri: str | None = None,
    state: str | None = None,
    logout_hint: str | None = None,
) -> str:
    """:func:`end_session_url` for async code."""
    return _url(
        await oauth.ametadata(),
        oauth.client_id,
        id_token_hint,
        post_logout_redirect_uri,
        state,
        logout_hint,
    )
