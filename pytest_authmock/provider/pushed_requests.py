"""Pushed authorization requests (RFC 9126): stored by the PAR endpoint, redeemed by ``request_uri``."""

from __future__ import annotations

import secrets

from pytest_authmock.provider.errors import InvalidRequest, OAuthError
from pytest_authmock.provider.flow_state import iso
from pytest_authmock.provider.http import Form
from pytest_authmock.provider.protocol_state import ProtocolState, PushedRequest

#: RFC 9126 §2.2: the ``request_uri`` is a URN of this prefix and an opaque reference.
URN_PREFIX = "urn:ietf:params:oauth:request_uri:"


class InvalidRequestUri(OAuthError):
    """RFC 9101 §7 ``invalid_request_uri``: unknown, expired or already used."""

    error = "invalid_request_uri"


def push(state: ProtocolState, client_id: str, params: Form, now: float) -> PushedRequest:
    """Store an authorization request for ``client_id``; its ``request_uri`` redeems it once."""
    # Forget the spent and expired ones, so a long test does not accumulate them.
    state.pushed = {
        uri: stored
        for uri, stored in state.pushed.items()
        if not stored.used and stored.expires_at > now
    }
    pushed = PushedRequest(
        request_uri=URN_PREFIX + secrets.token_urlsafe(32),
        client_id=client_id,
        params=params,
        expires_at=now + state.settings.request_uri_ttl,
    )
    state.pushed[pushed.request_uri] = pushed
    return pushed


def redeem(state: ProtocolState, params: dict[str, str], now: float) -> PushedRequest:
    """The pushed request an authorization request refers to (RFC 9126 §4)."""
    request_uri = params["request_uri"]
    client_id = params.get("client_id")
    if not client_id:
        # RFC 9126 §4: client_id is required next to request_uri.
        raise InvalidRequest("an authorization request with request_uri must carry client_id too")
    pushed = state.pushed.get(request_uri)
    if pushed is None:
        raise InvalidRequestUri(
            "request_uri is unknown: it was not issued by this provider's pushed authorization "
            "request endpoint (or the test reset the provider)"
        )
    if pushed.client_id != client_id:
        raise InvalidRequestUri(f"request_uri was pushed by another client, not {client_id!r}")
    if pushed.used:
        raise InvalidRequestUri(
            "request_uri was already used; push the request again (RFC 9126 §4)"
        )
    if pushed.expires_at <= now:
        raise InvalidRequestUri(
            f"request_uri expired at {iso(pushed.expires_at)}; push the request again"
        )
    return pushed
