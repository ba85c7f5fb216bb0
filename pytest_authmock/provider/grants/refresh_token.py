"""The refresh token grant (RFC 6749 §6), with rotation and reuse detection (RFC 9700 §4.14)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pytest_authmock.provider.context import GrantRequest
from pytest_authmock.provider.dpop import check_bound_refresh
from pytest_authmock.provider.errors import InvalidGrant, InvalidScope
from pytest_authmock.provider.grants.base import (
    refresh_binding,
    requested_resources,
    token_response,
)
from pytest_authmock.provider.indicators import within
from pytest_authmock.provider.scopes import parse_scope

GRANT_TYPE = "refresh_token"


def grant(request: GrantRequest) -> dict[str, Any]:
    value = request.required("refresh_token", section="RFC 6749 §6")
    ctx = request.ctx
    record = ctx.store.tokens.get(value)
    client = request.client
    if record is None or record.kind != "refresh":
        raise InvalidGrant(
            "refresh token is unknown: this provider never issued it (or the test reset the provider)"
        )
    request.username = record.username
    if record.client_id != client.client_id:
        # RFC 6749 §10.4: refresh tokens are bound to the client they were issued to.
        raise InvalidGrant(f"refresh token was issued to another client, not {client.client_id!r}")
    if record.revoked:
        raise InvalidGrant("refresh token was revoked")
    check_bound_refresh(record.cnf, request.dpop_jkt)
    now = ctx.clock.now()
    if record.used:
        if not ctx.config.refresh_token_reuse_revokes_family:
            raise InvalidGrant("refresh token was already used (it was rotated)")
        revoked = ctx.store.revoke_family(record.family_id or "")
        raise InvalidGrant(
            "refresh token was already used; as RFC 9700 §4.14 requires, every token of its "
            f"grant is now revoked ({revoked} tokens)"
        )
    if record.expires_at is not None and record.expired(now):
        when = datetime.fromtimestamp(record.expires_at, timezone.utc).isoformat()
        raise InvalidGrant(f"refresh token expired at {when}")
    user = ctx.store.users.get(record.username) if record.username else None
    if record.username is not None and (user is None or user.disabled):
        raise InvalidGrant(f"user {record.username!r} is disabled or no longer exists")
    scope = record.scope
    if "scope" in request.params:
        narrowed = parse_scope(request.params["scope"])
        extra = [name for name in narrowed if name not in record.scope]
        if extra:
            # RFC 6749 §6: the new scope must not include any scope not originally granted.
            raise InvalidScope(
                f"scope {' '.join(extra)!r} was not granted originally "
                f"(granted: {' '.join(record.scope) or '(none)'})"
            )
        scope = narrowed
    # RFC 8707 §2.2: the refresh may name fewer resources than the grant, never others.
    resources = within(requested_resources(request), record.audience, "original grant")
    new_refresh = None
    if ctx.config.refresh_token_rotation:
        record.used = True
        # The family keeps its absolute lifetime: the session ends when the first
        # refresh token would have, however often it is rotated.
        new_refresh = ctx.minter.refresh_token(
            client=client,
            user=user,
            scope=record.scope,
            family_id=record.family_id or "",
            resources=record.audience,
            expires_at=record.expires_at,
            auth_time=record.claims.get("auth_time"),
            # A bound refresh token stays bound to the same key when it rotates.
            dpop_jkt=(record.cnf or {}).get("jkt") or refresh_binding(request),
        )
    return token_response(
        request,
        user=user,
        scope=scope,
        family_id=record.family_id,
        refresh=new_refresh,
        auth_time=record.claims.get("auth_time"),
        audience=resources or None,
    )
