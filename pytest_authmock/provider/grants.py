"""The token endpoint's grants (RFC 6749 §4.3, §4.4, §6)."""

from __future__ import annotations

import dataclasses
import hmac
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from cryptography import x509

from pytest_authmock.provider.claims import hook_claims
from pytest_authmock.provider.errors import (
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    UnauthorizedClient,
)
from pytest_authmock.provider.models import Client, TokenRecord, User
from pytest_authmock.provider.store import Store
from pytest_authmock.provider.tokens import TokenMinter
from pytest_authmock.provider.variants import unauthorized_grant_error

if TYPE_CHECKING:
    from pytest_authmock.provider.idp import FakeIdP

# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


@dataclasses.dataclass
class GrantRequest:
    client: Client
    params: dict[str, str]
    peer_cert: x509.Certificate | None
    store: Store
    minter: TokenMinter
    refresh_rotation: bool
    #: Filled in by the grant for the journal.
    username: str | None = None


GrantHandler = Callable[[GrantRequest], dict[str, Any]]


def require_grant(idp: FakeIdP, client: Client, grant_type: str) -> None:
    """Refuse a grant the client may not use, with the error the provider is set to give."""
    if client.allows_grant(grant_type):
        return
    allowed = ", ".join(sorted(client.grant_types or ())) or "(none)"
    raise unauthorized_grant_error(
        idp.config.unauthorized_grant_error,
        f"client {client.client_id!r} is not allowed the grant {grant_type!r}; allowed: "
        f"{allowed}. Pass grant_types=[..., {grant_type!r}] to add_client()",
    )


def grant_request(
    idp: FakeIdP, client: Client, params: dict[str, str], peer_cert: x509.Certificate | None
) -> GrantRequest:
    """The provider's view of one grant request, as every grant handler takes it."""
    return GrantRequest(
        client=client,
        params=params,
        peer_cert=peer_cert,
        store=idp.store,
        minter=idp.minter,
        refresh_rotation=idp.config.refresh_token_rotation,
    )


def parse_scope(raw: str) -> tuple[str, ...]:
    scopes: list[str] = []
    for token in raw.split(" "):
        if token == "":
            continue
        if not _SCOPE_TOKEN.fullmatch(token):
            raise InvalidScope(f"scope {token!r} has characters RFC 6749 §3.3 does not allow")
        if token not in scopes:
            scopes.append(token)
    return tuple(scopes)


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
    return scopes


def token_response(
    grant: GrantRequest,
    *,
    user: User | None,
    scope: tuple[str, ...],
    family_id: str | None,
    refresh: TokenRecord | None,
    nonce: str | None = None,
    auth_time: float | None = None,
) -> dict[str, Any]:
    extra = hook_claims(grant, user=user, scope=scope)
    access = grant.minter.access_token(
        client=grant.client,
        user=user,
        scope=scope,
        family_id=family_id,
        peer_cert=grant.peer_cert,
        extra_claims=extra,
    )
    body: dict[str, Any] = {"access_token": access.value, "token_type": "Bearer"}
    if access.expires_at is not None:
        body["expires_in"] = int(access.expires_at - access.issued_at)
    if scope:
        body["scope"] = " ".join(scope)
    if refresh is not None:
        body["refresh_token"] = refresh.value
    if user is not None and "openid" in scope:
        body["id_token"] = grant.minter.id_token(
            client=grant.client,
            user=user,
            scope=scope,
            access_token=access.value,
            extra_claims=extra,
            nonce=nonce,
            auth_time=auth_time,
        )
    return body


def client_credentials(grant: GrantRequest) -> dict[str, Any]:
    if grant.client.public:
        raise UnauthorizedClient(
            f"client {grant.client.client_id!r} is public; RFC 6749 §4.4 allows the "
            "client_credentials grant for confidential clients only"
        )
    scope = requested_scope(grant)
    # RFC 6749 §4.4.3: no refresh token for client credentials.
    return token_response(grant, user=None, scope=scope, family_id=None, refresh=None)


def password(grant: GrantRequest) -> dict[str, Any]:
    username = grant.params.get("username")
    secret = grant.params.get("password")
    missing = [name for name, value in (("username", username), ("password", secret)) if not value]
    if missing or username is None or secret is None:
        raise InvalidRequest(f"the password grant needs {' and '.join(missing)} (RFC 6749 §4.3.2)")
    grant.username = username
    scope = requested_scope(grant)
    user = grant.store.users.get(username)
    if user is None or not hmac.compare_digest(user.password.encode(), secret.encode()):
        # One message for both, as a real provider would not reveal which users exist.
        raise InvalidGrant(f"wrong username or password for user {username!r}")
    if user.disabled:
        raise InvalidGrant(f"user {username!r} is disabled")
    return _with_refresh(grant, user, scope)


def _with_refresh(grant: GrantRequest, user: User, scope: tuple[str, ...]) -> dict[str, Any]:
    family_id = secrets.token_hex(8)
    refresh = None
    if grant.client.allows_grant("refresh_token"):
        refresh = grant.minter.refresh_token(
            client=grant.client, user=user, scope=scope, family_id=family_id
        )
    return token_response(grant, user=user, scope=scope, family_id=family_id, refresh=refresh)


def refresh_token(grant: GrantRequest) -> dict[str, Any]:
    value = grant.params.get("refresh_token")
    if not value:
        raise InvalidRequest("the refresh_token grant needs the refresh_token parameter")
    record = grant.store.tokens.get(value)
    client = grant.client
    if record is None or record.kind != "refresh":
        raise InvalidGrant(
            "refresh token is unknown: this provider never issued it (or the test reset the provider)"
        )
    grant.username = record.username
    if record.client_id != client.client_id:
        # RFC 6749 §10.4: refresh tokens are bound to the client they were issued to.
        raise InvalidGrant(f"refresh token was issued to another client, not {client.client_id!r}")
    if record.revoked:
        raise InvalidGrant("refresh token was revoked")
    now = grant.minter.clock.now()
    if record.used:
        revoked = grant.store.revoke_family(record.family_id or "")
        raise InvalidGrant(
            "refresh token was already used; as RFC 9700 §4.14 requires, every token of its "
            f"grant is now revoked ({revoked} tokens)"
        )
    if record.expires_at is not None and record.expired(now):
        when = datetime.fromtimestamp(record.expires_at, timezone.utc).isoformat()
        raise InvalidGrant(f"refresh token expired at {when}")
    user = grant.store.users.get(record.username) if record.username else None
    if record.username is not None and (user is None or user.disabled):
        raise InvalidGrant(f"user {record.username!r} is disabled or no longer exists")
    scope = record.scope
    if "scope" in grant.params:
        narrowed = parse_scope(grant.params["scope"])
        extra = [name for name in narrowed if name not in record.scope]
        if extra:
            # RFC 6749 §6: the new scope must not include any scope not originally granted.
            raise InvalidScope(
                f"scope {' '.join(extra)!r} was not granted originally "
                f"(granted: {' '.join(record.scope) or '(none)'})"
            )
        scope = narrowed
    new_refresh = None
    if grant.refresh_rotation:
        record.used = True
        # The family keeps its absolute lifetime: the session ends when the first
        # refresh token would have, however often it is rotated.
        new_refresh = grant.minter.refresh_token(
            client=client,
            user=user,
            scope=record.scope,
            family_id=record.family_id or "",
            expires_at=record.expires_at,
            auth_time=record.claims.get("auth_time"),
        )
    return token_response(
        grant,
        user=user,
        scope=scope,
        family_id=record.family_id,
        refresh=new_refresh,
        auth_time=record.claims.get("auth_time"),
    )


GRANTS: dict[str, GrantHandler] = {
    "client_credentials": client_credentials,
    "password": password,
    "refresh_token": refresh_token,
}
