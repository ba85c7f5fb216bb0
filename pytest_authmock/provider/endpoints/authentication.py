"""Client authentication for the endpoints that take it: token, introspection, revocation, device."""

from __future__ import annotations

from pytest_authmock.provider.client_auth import Audience, Authenticated, authenticate
from pytest_authmock.provider.context import ProviderContext, ProviderRequest


def authenticated(
    ctx: ProviderContext, request: ProviderRequest, params: dict[str, str]
) -> Authenticated:
    """The request's client, authenticated (RFC 6749 §2.3), and noted in the journal.

    A client assertion (RFC 7523 §3) may name this issuer or the URL it was sent to.
    """
    auth = authenticate(
        ctx.store,
        request.http,
        params,
        request.peer_cert,
        Audience.at(ctx.issuer, request.url, ctx.clock.now()),
    )
    request.trace.client_id = auth.client.client_id
    return auth
