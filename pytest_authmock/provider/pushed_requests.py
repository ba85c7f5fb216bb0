"""Pushed authorization requests (RFC 9126): stored by the PAR endpoint, redeemed by ``request_uri``."""

from __future__ import annotations

import secrets

from pytest_authmock.provider.errors import InvalidRequest, OAuthError
from pytest_authmock.provider.flow_state import iso
from pytest_authmock.provider.http import Form
from pytest_authmock.provider.limits import OverCapacity
from pytest_authmock.provider.protocol_state import ProtocolState, PushedRequest

#: RFC 9126 §2.2: the ``request_uri`` is a URN of this prefix and an opaque reference.
URN_PREFIX = "urn:ietf:params:oauth:request_uri:"
#: Live pushed requests held at once (each lives ``request_uri_ttl`` seconds).
MAX_PUSHED = 10_000


class InvalidRequestUri(OAuthError):
    """RFC 9101 §7 ``invalid_request_uri``: unknown, expired or already used."""

    error = "invalid_request_uri"


def push(state: ProtocolState, client_id: str, params: Form, now: float) -> PushedRequest:
    """Store an authorization request for ``client_id``; its ``request_uri`` redeems it once.

    At most :data:`MAX_PUSHED` live ones are held: past that, 429 (RFC 9126 §2.3
    names it for a pushed request refused for load) until some expire.
    """
    pushed = state.pushed
    # Forget the expired ones, oldest first: they were pushed in order with one
    # lifetime, so the first live one ends the scan (amortized O(1) per push).
    while pushed:
        first = next(iter(pushed.values()))
        if first.expires_at > now:
            break
        pushed.popitem(last=False)
    if len(pushed) >= MAX_PUSHED:
        raise OverCapacity(
            f"this provider holds {MAX_PUSHED} pushed authorization requests that have not "
            "expired yet; push again when some have",
            retry_after=next(iter(pushed.values())).expires_at - now,
        )
    stored = PushedRequest(
        request_uri=URN_PREFIX + secrets.token_urlsafe(32),
        client_id=client_id,
        params=params,
        expires_at=now + state.settings.request_uri_ttl,
    )
    pushed[stored.request_uri] = stored
    return stored


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
