"""The authorization code grant (RFC 6749 §4.1.3) with PKCE (RFC 7636 §4.6)."""

from __future__ import annotations

import hmac
from typing import Any

from pytest_authmock.provider.context import GrantRequest
from pytest_authmock.provider.dpop import InvalidDpopProof
from pytest_authmock.provider.errors import InvalidGrant
from pytest_authmock.provider.flow_state import AuthorizationCode, iso
from pytest_authmock.provider.grants.base import (
    Resources,
    issue_user_tokens,
    requested_resources,
)
from pytest_authmock.provider.indicators import within
from pytest_authmock.provider.pkce import PKCE_VALUE, s256

GRANT_TYPE = "authorization_code"


def grant(request: GrantRequest) -> dict[str, Any]:
    value = request.required("code", section="RFC 6749 §4.1.3")
    ctx = request.ctx
    record = ctx.flows.codes.get(value)
    if record is None:
        raise InvalidGrant(
            "authorization code is unknown: this provider never issued it "
            "(or the test reset the provider)"
        )
    request.username = record.username
    client = request.client
    if record.client_id != client.client_id:
        raise InvalidGrant(
            f"authorization code was issued to another client, not {client.client_id!r}"
        )
    if record.used:
        if not ctx.config.code_reuse_revokes_tokens:
            raise InvalidGrant("authorization code was already used")
        # RFC 6749 §4.1.2: a replayed code revokes what it was exchanged for.
        revoked = ctx.store.revoke_family(record.family_id or "")
        raise InvalidGrant(
            "authorization code was already used; as RFC 6749 §4.1.2 asks, the tokens issued "
            f"for it are now revoked ({revoked} tokens)"
        )
    try:
        _check_exchange(request, record)
    except InvalidGrant:
        # Whether a refused exchange uses the code up is the provider's choice.
        if ctx.config.refused_exchange_spends_code:
            record.used = True
        raise
    # RFC 8707 §2.2: checked before the code is spent, so a wrong resource can be corrected.
    resources = within(requested_resources(request), record.resources, "authorization request")
    if record.dpop_jkt is not None and request.dpop_jkt != record.dpop_jkt:
        # RFC 9449 §10: the code may only be redeemed with the key it was bound to.
        raise InvalidDpopProof(
            "the authorization request bound the code to DPoP key "
            f"{record.dpop_jkt!r} (dpop_jkt); redeem it with a proof signed by that key"
        )
    record.used = True
    user = ctx.store.users.get(record.username)
    if user is None or user.disabled:
        raise InvalidGrant(f"user {record.username!r} is disabled or no longer exists")
    body, record.family_id = issue_user_tokens(
        request,
        user,
        record.scope,
        nonce=record.nonce,
        resources=Resources(record.resources or resources, resources),
        auth_time=record.auth_time,
    )
    return body


def _check_exchange(request: GrantRequest, record: AuthorizationCode) -> None:
    """Expiry, redirect URI and PKCE (RFC 6749 §4.1.3, RFC 7636 §4.6)."""
    ctx = request.ctx
    if record.expires_at <= ctx.clock.now():
        raise InvalidGrant(f"authorization code expired at {iso(record.expires_at)}")
    redirect_uri = request.params.get("redirect_uri")
    if (record.redirect_uri_given or redirect_uri is not None) and (
        redirect_uri != record.redirect_uri
    ):
        raise InvalidGrant(
            "redirect_uri does not match the one of the authorization request (RFC 6749 §4.1.3)"
        )
    verifier = request.params.get("code_verifier")
    if record.code_challenge is None:
        if verifier is not None:
            # RFC 9700 §2.1.1: a verifier without a challenge is a PKCE downgrade attempt.
            raise InvalidGrant("code_verifier sent, but the authorization request had no PKCE")
    else:
        if verifier is None:
            raise InvalidGrant("the authorization request used PKCE; send code_verifier")
        if not PKCE_VALUE.fullmatch(verifier):
            raise InvalidGrant(
                "code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)"
            )
        computed = s256(verifier) if record.code_challenge_method == "S256" else verifier
        if not hmac.compare_digest(computed.encode(), record.code_challenge.encode()):
            raise InvalidGrant("code_verifier does not match the code_challenge (RFC 7636 §4.6)")
