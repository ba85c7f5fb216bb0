"""API tokens (personal and service-account tokens) and their management API.

An API token is an opaque access token the user (or a client) creates for
automation. It lives in the provider's token store like any other access
token, so protected resources and introspection accept it, and refuse it the
moment it is revoked or expires. It belongs to no refresh-token family, so it
outlives the session that created it (logging out does not end it).

This module creates, revokes and validates them; the management API is
``endpoints/api_tokens.py``, the test API ``idp.create_api_token()``.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from pytest_authmock.provider.context import ProviderContext
from pytest_authmock.provider.errors import Forbidden, InvalidRequest, InvalidScope, NotFound
from pytest_authmock.provider.flow_state import ApiToken
from pytest_authmock.provider.limits import seconds
from pytest_authmock.provider.models import Client, TokenRecord
from pytest_authmock.provider.scopes import is_scope_token

#: A recognisable prefix lets secret scanners (and people) tell what leaked.
TOKEN_PREFIX = "amk_"


def create(
    ctx: ProviderContext,
    *,
    client: Client,
    owner: str,
    username: str | None,
    name: str,
    scopes: Sequence[str],
    expires_in: int | None,
    bound_session: str | None = None,
) -> ApiToken:
    """Mint an API token; every argument already validated."""
    now = ctx.clock.now()
    expires_at = None if expires_in is None else now + expires_in
    record = TokenRecord(
        value=TOKEN_PREFIX + secrets.token_urlsafe(32),
        jti=secrets.token_urlsafe(16),
        kind="access",
        client_id=client.client_id,
        sub=owner,
        username=username,
        scope=tuple(scopes),
        audience=tuple(client.audience or (ctx.config.default_audience,)),
        issued_at=now,
        expires_at=expires_at,
        not_before=now,
        token_format="opaque",
    )
    ctx.store.add_token(record)
    token = ApiToken(
        id="tok_" + secrets.token_hex(8),
        name=name,
        owner=owner,
        username=username,
        client_id=client.client_id,
        scopes=tuple(scopes),
        created_at=now,
        expires_at=expires_at,
        record=record,
        bound_session=bound_session,
    )
    ctx.store.flows.api_tokens[token.id] = token
    return token


def revoke(ctx: ProviderContext, token_id: str, *, caller: TokenRecord | None = None) -> ApiToken:
    """Revoke and forget a token; ``caller`` (the API's bearer) must own it and, for a
    session-bound token, belong to that session."""
    token = ctx.store.flows.api_tokens.get(token_id)
    if token is None or token.revoked or (caller is not None and token.owner != caller.sub):
        raise NotFound(f"no API token {token_id!r} (it may have been revoked already)")
    if (
        caller is not None
        and token.bound_session is not None
        and caller.family_id != token.bound_session
    ):
        raise Forbidden(
            f"API token {token_id!r} is bound to the session (device) that created it; "
            "revoke it from that device"
        )
    token.record.revoked = True
    del ctx.store.flows.api_tokens[token_id]
    return token


def check_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise InvalidRequest(
            f"name must be a non-empty string of at most 100 characters; got {name!r}"
        )
    return name.strip()


def check_expires_in(expires_in: object) -> int | None:
    # Bounded, so that the expiry is a date every listing can render.
    return seconds(expires_in, field="expires_in", null="for a token that never expires")


def check_scopes(scopes: object) -> tuple[str, ...]:
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise InvalidRequest(f"scopes must be a list of scope names; got {scopes!r}")
    checked: list[str] = []
    for scope in scopes:
        if not is_scope_token(scope):
            raise InvalidScope(f"scope {scope!r} is not a single RFC 6749 §3.3 scope token")
        if scope not in checked:
            checked.append(scope)
    return tuple(checked)
