"""The JWT bearer grant (RFC 7523 §2.1): a JWT from a trusted issuer is the grant.

The issuer is one the test trusts (``idp.trust_issuer()``), or the requesting
client itself, signing with the keys it registered for ``private_key_jwt`` (the
service-account pattern: ``iss`` is the client id, ``sub`` whom it acts for).
The JWT's ``sub`` becomes the token's subject: a user of this provider when one
has that ``sub`` (or username), else the foreign subject as it is. No refresh
token: a new assertion is the way to a new token.
"""

from __future__ import annotations

from typing import Any

from joserfc.jwk import Key

from pytest_authmock.provider.client_auth import registered_keys
from pytest_authmock.provider.context import GrantRequest
from pytest_authmock.provider.errors import InvalidGrant
from pytest_authmock.provider.grants.base import (
    requested_resources,
    requested_scope,
    token_response,
)
from pytest_authmock.provider.jwtcheck import peek, verify_with_refresh
from pytest_authmock.provider.models import User
from pytest_authmock.provider.trust import (
    ForeignJwt,
    TrustedIssuer,
    check_trusted_claims,
    copied_claims,
    verify_trusted_jwt,
)

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
WHAT = "the assertion"


def grant(request: GrantRequest) -> dict[str, Any]:
    assertion = request.required("assertion", section="RFC 7523 §2.1")
    ctx = request.ctx
    # RFC 7523 §3.1: a bad assertion is invalid_grant.
    found = _self_issued(request, assertion) or verify_trusted_jwt(
        assertion, ctx.store.trust, error=InvalidGrant, what=WHAT
    )
    sub = check_trusted_claims(
        found,
        issuer=ctx.issuer,
        now=ctx.clock.now(),
        error=InvalidGrant,
        what=WHAT,
        replay=ctx.store.replay,
    )
    user = local_user(request, sub)
    if user is not None and user.disabled:
        raise InvalidGrant(f"user {user.username!r} is disabled")
    request.username = user.username if user is not None else None
    return token_response(
        request,
        user=user,
        scope=requested_scope(request),
        family_id=None,
        refresh=None,
        subject=None if user is not None else sub,
        claims=copied_claims(found),
        # RFC 8707 §2: the resources asked for are the token's audience.
        audience=requested_resources(request) or None,
    )


def _self_issued(request: GrantRequest, assertion: str) -> ForeignJwt | None:
    """An assertion the client signed with its own registered keys, verified; else ``None``."""
    client, store = request.client, request.ctx.store
    header, claims = peek(assertion, error=InvalidGrant, what=WHAT)
    if claims.get("iss") != client.client_id or not (client.jwks or client.jwks_uri):
        return None

    def keys(refresh: bool) -> list[Key]:
        return registered_keys(store, client, error=InvalidGrant, refresh=refresh)

    verify_with_refresh(
        assertion,
        header,
        keys,
        error=InvalidGrant,
        what=WHAT,
        registered_alg=client.token_endpoint_auth_signing_alg,
    )
    return ForeignJwt(trusted=TrustedIssuer(issuer=client.client_id), claims=claims)


def local_user(request: GrantRequest, sub: str) -> User | None:
    """The user of this provider whose ``sub`` (or username) the foreign subject is."""
    users = request.ctx.store.users
    found = users.get(sub)
    if found is not None:
        return found
    return next((user for user in users.values() if user.sub == sub), None)
