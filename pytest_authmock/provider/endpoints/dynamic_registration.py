"""Dynamic client registration (RFC 7591) and its management (RFC 7592).

``POST /oauth2/register`` with client metadata registers a client; open by
default, as test providers are, or behind an initial access token
(``idp.protocol_settings.initial_access_token``, §3). The answer carries the
client's credentials and, for RFC 7592, a registration access token and the
client configuration endpoint ``/oauth2/register/{client_id}``, where the client
reads (GET), replaces (PUT) or deletes (DELETE) its registration.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import quote, unquote

import httpx

from pytest_authmock.provider import challenges, client_metadata
from pytest_authmock.provider.context import ProviderContext, ProviderRequest
from pytest_authmock.provider.errors import InvalidToken, NotFound
from pytest_authmock.provider.http import body_bytes, json_response, require_method
from pytest_authmock.provider.limits import OverCapacity
from pytest_authmock.provider.models import Client
from pytest_authmock.provider.paths import PATHS
from pytest_authmock.provider.protocol_state import Registration, digest
from pytest_authmock.provider.registration import build_client

PATH = PATHS["registration"]
#: Dynamically registered clients held at once: registration is open to anyone
#: by default, and a registered client stays until deleted.
MAX_REGISTRATIONS = 10_000
#: Methods whose clients get a secret (RFC 7591 §3.2.1).
_SECRET_METHODS = ("client_secret_basic", "client_secret_post", "client_secret_jwt")


def registration(ctx: ProviderContext, request: ProviderRequest) -> httpx.Response:
    """``/oauth2/register`` (RFC 7591 §3) and ``/oauth2/register/{client_id}`` (RFC 7592 §2)."""
    if not ctx.flows.protocol.settings.dynamic_registration:
        raise NotFound(
            f"no endpoint at {PATH!r}: dynamic registration is switched off "
            "(idp.protocol_settings.dynamic_registration)"
        )
    _, _, rest = request.url.path.partition(PATH)
    client_id = unquote(rest.strip("/"))
    if not client_id:
        require_method(request.http, "POST")
        return _register(ctx, request)
    require_method(request.http, "GET", "PUT", "DELETE")
    request.trace.client_id = client_id
    entry = _authorized(ctx, request, client_id)
    client = ctx.store.clients[client_id]
    if request.method == "GET":
        return json_response(200, _information(ctx, client, entry))
    if request.method == "DELETE":
        # RFC 7592 §2.3: the client and its registration access token are gone.
        del ctx.store.clients[client_id]
        del ctx.flows.protocol.registrations[client_id]
        return httpx.Response(204, headers={"Cache-Control": "no-store"})
    return _update(ctx, request, client, entry)


def _challenge(ctx: ProviderContext, problem: str | None) -> InvalidToken:
    # RFC 6750 §3.1: no credentials gets a bare challenge; a wrong token invalid_token.
    params = {"error": "invalid_token", "error_description": problem} if problem else {}
    header = challenges.bearer(ctx.issuer, **params)
    return InvalidToken(
        problem or "this request needs a bearer token", headers={"WWW-Authenticate": header}
    )


def _bearer(request: ProviderRequest) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _authorized(ctx: ProviderContext, request: ProviderRequest, client_id: str) -> Registration:
    """The registration the request's registration access token opens (RFC 7592 §3)."""
    token = _bearer(request)
    if token is None:
        raise _challenge(ctx, None)
    entry = ctx.flows.protocol.registrations.get(client_id)
    # RFC 7592 §2.1: an unknown client and a wrong token look the same: 401.
    if entry is None or client_id not in ctx.store.clients or not entry.accepts(token):
        raise _challenge(
            ctx,
            f"the registration access token does not open the registration of {client_id!r} "
            "(or the client was deleted)",
        )
    return entry


def _register(ctx: ProviderContext, request: ProviderRequest) -> httpx.Response:
    required = ctx.flows.protocol.settings.initial_access_token
    if required is not None:
        token = _bearer(request)
        if token is None:
            raise _challenge(ctx, None)
        if not hmac.compare_digest(token.encode(), required.encode()):
            raise _challenge(ctx, "the initial access token is not valid here (RFC 7591 §3)")
    document = client_metadata.read_document(
        body_bytes(request.http), request.headers.get("content-type", "")
    )
    options, registered = client_metadata.to_options(document, supported_grants=tuple(ctx.grants))
    if len(ctx.flows.protocol.registrations) >= MAX_REGISTRATIONS:
        raise OverCapacity(
            f"this provider holds {MAX_REGISTRATIONS} dynamically registered clients, as many "
            "as it registers; delete some (DELETE on their registration_client_uri, "
            "RFC 7592 §2.3) or reset the provider"
        )
    client_id = secrets.token_urlsafe(16)
    method = registered["token_endpoint_auth_method"]
    secret = secrets.token_urlsafe(32) if method in _SECRET_METHODS else None
    client = _build(ctx, client_id, secret, options)
    token = secrets.token_urlsafe(32)
    now = int(ctx.clock.now())
    entry = Registration(client_id, digest(token), registered, now)
    ctx.store.clients[client_id] = client
    ctx.flows.protocol.registrations[client_id] = entry
    request.trace.client_id = client_id
    body = _information(ctx, client, entry)
    body["registration_access_token"] = token
    return json_response(201, body, headers={"Location": body["registration_client_uri"]})


def _update(
    ctx: ProviderContext, request: ProviderRequest, client: Client, entry: Registration
) -> httpx.Response:
    """RFC 7592 §2.2: the metadata sent replaces the registered metadata as a whole."""
    document = client_metadata.read_document(
        body_bytes(request.http), request.headers.get("content-type", "")
    )
    if document.get("client_id") != client.client_id:
        raise client_metadata.InvalidClientMetadata(
            f"client_id must be sent and be {client.client_id!r} (RFC 7592 §2.2)"
        )
    forbidden = [
        name
        for name in (
            "registration_access_token",
            "registration_client_uri",
            "client_secret_expires_at",
            "client_id_issued_at",
        )
        if name in document
    ]
    if forbidden:
        raise client_metadata.InvalidClientMetadata(
            f"{', '.join(forbidden)} must not be sent in an update (RFC 7592 §2.2)"
        )
    sent_secret = document.get("client_secret")
    if sent_secret is not None and not hmac.compare_digest(
        str(sent_secret).encode(), (client.client_secret or "").encode()
    ):
        raise client_metadata.InvalidClientMetadata(
            "client_secret does not match the client's; a client cannot choose its secret "
            "(RFC 7592 §2.2)"
        )
    options, registered = client_metadata.to_options(document, supported_grants=tuple(ctx.grants))
    method = registered["token_endpoint_auth_method"]
    secret = None
    if method in _SECRET_METHODS:
        secret = client.client_secret or secrets.token_urlsafe(32)
    others = {cid: c for cid, c in ctx.store.clients.items() if cid != client.client_id}
    updated = _build(ctx, client.client_id, secret, options, existing=others)
    ctx.store.clients[client.client_id] = updated
    entry.metadata = registered
    return json_response(200, _information(ctx, updated, entry))


def _build(
    ctx: ProviderContext,
    client_id: str,
    secret: str | None,
    options: dict[str, Any],
    *,
    existing: dict[str, Client] | None = None,
) -> Client:
    try:
        return build_client(
            client_id,
            secret,
            options,
            default_access_ttl=ctx.config.access_token_ttl,
            default_refresh_ttl=ctx.config.refresh_token_ttl,
            supported_grants=tuple(ctx.grants),
            existing=ctx.store.clients if existing is None else existing,
        )
    except (TypeError, ValueError) as error:
        raise client_metadata.bad_options(error) from None


def _information(ctx: ProviderContext, client: Client, entry: Registration) -> dict[str, Any]:
    """RFC 7591 §3.2.1 / RFC 7592 §3: the client information response."""
    body = client_metadata.secret_fields(client, entry.issued_at)
    body.update(entry.metadata)
    body["registration_client_uri"] = f"{ctx.issuer}{PATH}/{quote(client.client_id, safe='')}"
    return body
