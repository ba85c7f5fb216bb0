"""What every grant shares: scope checks, the client's grant permission, the token response."""

from __future__ import annotations

import dataclasses
import secrets
from typing import Any

from cryptography import x509

from pytest_authmock.provider import indicators
from pytest_authmock.provider.claims import hook_claims
from pytest_authmock.provider.context import GrantRequest, ProviderContext
from pytest_authmock.provider.errors import (
    InvalidRequest,
    InvalidScope,
    UnsupportedGrantType,
    unauthorized_grant_error,
)
from pytest_authmock.provider.models import Client, TokenRecord, User
from pytest_authmock.provider.scopes import parse_scope


def require_grant(ctx: ProviderContext, client: Client, grant_type: str) -> None:
    """Refuse a grant the client may not use, with the error the provider is set to give."""
    if grant_type not in ctx.grants:
        raise UnsupportedGrantType(
            f"grant_type {grant_type!r} is not offered; offered: {', '.join(sorted(ctx.grants))}"
        )
    if client.allows_grant(grant_type):
        return
    allowed = ", ".join(sorted(client.grant_types or ())) or "(none)"
    raise unauthorized_grant_error(
        ctx.config.unauthorized_grant_error,
        f"client {client.client_id!r} is not allowed the grant {grant_type!r}; allowed: "
        f"{allowed}. Pass grant_types=[..., {grant_type!r}] to add_client()",
    )


def grant_request(
    ctx: ProviderContext,
    client: Client,
    params: dict[str, str],
    peer_cert: x509.Certificate | None,
    dpop_jkt: str | None = None,
) -> GrantRequest:
    """The provider's view of one grant request, as every grant handler takes it."""
    return GrantRequest(
        ctx=ctx,
        client=client,
        params=params,
        peer_cert=peer_cert,
        dpop_jkt=dpop_jkt,
    )


def requested_scope(grant: GrantRequest) -> tuple[str, ...]:
    client = grant.client
    raw = grant.params.get("scope")
    if raw is None:
        # RFC 6749 §3.3: an omitted scope gets the pre-defined default: everything
        # the client is registered for (nothing, for an unrestricted client).
        return tuple(sorted(client.scopes)) if client.scopes is not None else ()
    scopes = parse_scope(raw)
    if client.scopes is not None:
        refused = [scope for scope in scopes if scope not in client.scopes]
        if refused:
            raise InvalidScope(
                f"client {client.client_id!r} may not request scope {' '.join(refused)!r}; "
                f"allowed: {' '.join(sorted(client.scopes)) or '(none)'}. "
                "Pass scopes=[...] to add_client()"
            )
    return _known_scopes(grant, scopes)


def _known_scopes(grant: GrantRequest, scopes: tuple[str, ...]) -> tuple[str, ...]:
    """Apply the provider's ``unknown_scope`` choice to scopes outside ``scopes_supported``."""
    config = grant.ctx.config
    if config.scopes_supported is None or config.unknown_scope == "grant":
        return scopes
    known = set(config.scopes_supported) | set(grant.client.scopes or ())
    unknown = [scope for scope in scopes if scope not in known]
    if not unknown:
        return scopes
    if config.unknown_scope == "ignore":
        # RFC 6749 §3.3: the provider may grant less than asked, and says so in ``scope``.
        return tuple(scope for scope in scopes if scope in known)
    error = InvalidScope if config.unknown_scope == "invalid_scope" else InvalidRequest
    raise error(
        f"unknown scope {' '.join(unknown)!r}; this provider knows "
        f"{' '.join(config.scopes_supported) or '(none)'} (scopes_supported)"
    )


def requested_resources(grant: GrantRequest) -> tuple[str, ...]:
    """The RFC 8707 resources the request names, checked against what is allowed."""
    settings = grant.ctx.flows.protocol.settings
    return indicators.requested(grant.params, grant.client, settings.resources)


@dataclasses.dataclass(frozen=True)
class Resources:
    """RFC 8707: the resources a grant authorized, and those of the token issued now."""

    granted: tuple[str, ...] = ()
    token: tuple[str, ...] = ()


def token_response(
    grant: GrantRequest,
    *,
    user: User | None,
    scope: tuple[str, ...],
    family_id: str | None,
    refresh: TokenRecord | None,
    nonce: str | None = None,
    auth_time: float | None = None,
    audience: tuple[str, ...] | None = None,
    subject: str | None = None,
    claims: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """RFC 6749 §5.1: the access token, and a refresh and ID token where they apply.

    ``audience``: the RFC 8707 resources the token is for (default the client's audience).
    ``subject`` and ``claims`` are for the assertion grants: a subject from another
    issuer, and claims carried over.
    """
    minter = grant.ctx.minter
    extra = hook_claims(minter, client=grant.client, params=grant.params, user=user, scope=scope)
    extra = {**(claims or {}), **extra}
    access = minter.access_token(
        client=grant.client,
        user=user,
        scope=scope,
        audience=audience,
        family_id=family_id,
        peer_cert=grant.peer_cert,
        extra_claims=extra,
        dpop_jkt=grant.dpop_jkt,
        sub=subject,
    )
    config = grant.ctx.config
    # RFC 9449 §5: a token bound to a DPoP key is of type DPoP.
    token_type = "DPoP" if grant.dpop_jkt is not None else config.bearer_token_type
    body: dict[str, Any] = {"access_token": access.value, "token_type": token_type}
    if access.expires_at is not None and config.send_expires_in:
        body["expires_in"] = int(access.expires_at - access.issued_at)
    if scope:
        body["scope"] = " ".join(scope)
    if refresh is not None:
        body["refresh_token"] = refresh.value
    if user is not None and "openid" in scope:
        body["id_token"] = minter.id_token(
            client=grant.client,
            user=user,
            scope=scope,
            access_token=access.value,
            extra_claims=extra,
            nonce=nonce,
            auth_time=auth_time,
        )
    return body


def refresh_binding(grant: GrantRequest) -> str | None:
    """RFC 9449 §5: a public client's refresh token is bound to its DPoP key; a
    confidential client's is bound to the client's own authentication instead."""
    return grant.dpop_jkt if grant.client.public else None


def issue_user_tokens(
    grant: GrantRequest,
    user: User,
    scope: tuple[str, ...],
    *,
    nonce: str | None = None,
    resources: Resources | None = None,
    auth_time: float | None = None,
) -> tuple[dict[str, Any], str]:
    """Access (+ refresh, + ID) token for a user, in a new grant family; and the family.

    The access token is for ``resources.token`` (RFC 8707); the refresh token
    keeps ``resources.granted``, which its refreshes may narrow.
    """
    resources = resources or Resources()
    family_id = secrets.token_hex(8)
    refresh = new_refresh_token(
        grant, user, scope, family_id, resources=resources.granted, auth_time=auth_time
    )
    body = token_response(
        grant,
        user=user,
        scope=scope,
        family_id=family_id,
        refresh=refresh,
        nonce=nonce,
        auth_time=auth_time,
        audience=resources.token or None,
    )
    return body, family_id


def new_refresh_token(
    grant: GrantRequest,
    user: User | None,
    scope: tuple[str, ...],
    family_id: str,
    *,
    resources: tuple[str, ...] = (),
    auth_time: float | None = None,
) -> TokenRecord | None:
    """A refresh token for this grant, if the provider gives one with it and the client may refresh.

    ``resources``: what the grant authorized (RFC 8707 §2.2), which its refreshes may narrow.
    """
    config = grant.ctx.config
    if grant.params.get("grant_type") not in config.refresh_token_grants:
        return None
    if not grant.client.allows_grant("refresh_token") or "refresh_token" not in grant.ctx.grants:
        return None
    return grant.ctx.minter.refresh_token(
        client=grant.client,
        user=user,
        scope=scope,
        family_id=family_id,
        resources=resources,
        auth_time=auth_time,
        dpop_jkt=refresh_binding(grant),
    )
