"""Token exchange (RFC 8693 §2): a token the client holds becomes a token for another audience.

Subject (and actor) tokens are this provider's own access tokens, refresh
tokens and ID tokens, or JWTs from an issuer the test trusts
(``idp.trust_issuer()``): the CI case, where a runner's OIDC identity token
becomes a platform token. The new token speaks for the subject token's
subject; an actor goes into its ``act`` claim (§4.1).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pytest_authmock.provider.bearer import live_record
from pytest_authmock.provider.context import GrantRequest
from pytest_authmock.provider.errors import InvalidRequest, InvalidToken
from pytest_authmock.provider.grants.base import (
    requested_resources,
    requested_scope,
    token_response,
)
from pytest_authmock.provider.grants.jwt_bearer import local_user
from pytest_authmock.provider.http import values_of
from pytest_authmock.provider.indicators import InvalidTarget
from pytest_authmock.provider.jwtcheck import check_times, peek, verify_signature
from pytest_authmock.provider.models import TokenRecord, User
from pytest_authmock.provider.scopes import parse_scope
from pytest_authmock.provider.tokens import certificate_thumbprint
from pytest_authmock.provider.trust import (
    check_trusted_claims,
    copied_claims,
    verify_trusted_jwt,
)

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
# RFC 8693 §3: token type identifiers.
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
REFRESH_TOKEN = "urn:ietf:params:oauth:token-type:refresh_token"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
JWT = "urn:ietf:params:oauth:token-type:jwt"
SUBJECT_TYPES = (ACCESS_TOKEN, REFRESH_TOKEN, ID_TOKEN, JWT)
ISSUED_TYPES = (ACCESS_TOKEN, JWT)


@dataclasses.dataclass(frozen=True)
class Party:
    """Who a subject or actor token speaks for."""

    sub: str
    issuer: str
    user: User | None = None
    scope: tuple[str, ...] | None = None
    claims: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: The token's own ``act`` (a chain of delegation) and ``may_act`` claims.
    act: dict[str, Any] | None = None
    may_act: dict[str, Any] | None = None


def grant(request: GrantRequest) -> dict[str, Any]:
    params = request.params
    subject = _party(request, "subject")
    actor = _party(request, "actor") if "actor_token" in params else None
    if "actor_token_type" in params and actor is None:
        raise InvalidRequest("actor_token_type was sent without an actor_token (RFC 8693 §2.1)")
    if actor is not None and subject.may_act is not None and not _matches(subject.may_act, actor):
        # RFC 8693 §4.4: may_act names who may act for the subject.
        raise InvalidRequest(
            f"the subject token's may_act does not name the actor {actor.sub!r} "
            f"(issuer {actor.issuer!r})"
        )
    wanted = params.get("requested_token_type", ACCESS_TOKEN)
    if wanted not in ISSUED_TYPES:
        raise InvalidRequest(
            f"requested_token_type {wanted!r} cannot be issued here; ask for "
            f"{' or '.join(ISSUED_TYPES)}"
        )
    audience = _audience(request)
    scope = _scope(request, subject)
    claims = dict(subject.claims)
    if actor is not None:
        act: dict[str, Any] = {"sub": actor.sub, "iss": actor.issuer}
        if subject.act is not None:
            act["act"] = subject.act  # §4.1: the earlier actors, nested
        claims["act"] = act
    elif subject.act is not None:
        claims["act"] = subject.act
    user = subject.user
    request.username = user.username if user is not None else None
    body = token_response(
        request,
        user=user,
        scope=scope,
        family_id=None,
        refresh=None,
        subject=None if user is not None else subject.sub,
        audience=audience,
        claims=claims,
    )
    body.pop("id_token", None)  # §2.2.1: the answer is the one token asked for
    body["issued_token_type"] = wanted
    return body


def _party(request: GrantRequest, role: str) -> Party:
    token, kind = request.required(f"{role}_token", f"{role}_token_type", section="RFC 8693 §2.1")
    if kind not in SUBJECT_TYPES:
        raise InvalidRequest(
            f"{role}_token_type {kind!r} is not one this provider accepts "
            f"({', '.join(SUBJECT_TYPES)})"
        )
    what = f"the {role} token"
    ctx = request.ctx
    record = ctx.store.tokens.get(token)
    if record is not None:
        return _own_record(request, record, kind, what)
    if kind == REFRESH_TOKEN:
        raise InvalidRequest(f"{what} is not a refresh token this provider issued")
    header, claims = peek(token, error=InvalidRequest, what=what)
    if claims.get("iss") == ctx.issuer:
        return _own_jwt(request, token, header, claims, what)
    found = verify_trusted_jwt(
        token, ctx.store.trust, error=InvalidRequest, what=what, peeked=(header, claims)
    )
    sub = check_trusted_claims(
        found,
        issuer=ctx.issuer,
        now=ctx.clock.now(),
        error=InvalidRequest,
        what=what,
    )
    return Party(
        sub=sub,
        issuer=found.trusted.issuer,
        user=local_user(request, sub),
        claims=copied_claims(found),
        act=_object(found.claims.get("act")),
        may_act=_object(found.claims.get("may_act")),
    )


def _own_record(request: GrantRequest, record: TokenRecord, kind: str, what: str) -> Party:
    ctx = request.ctx
    expected = "refresh" if kind == REFRESH_TOKEN else "access"
    if record.kind != expected:
        raise InvalidRequest(f"{what} is a {record.kind} token, not the {kind} it was sent as")
    if record.kind == "access":
        try:
            live_record(ctx, record.value, leeway=0)
        except InvalidToken as error:
            raise InvalidRequest(f"{what} is not active: {error.description}") from None
    elif record.revoked or record.used or record.expired(ctx.clock.now()):
        raise InvalidRequest(f"{what} is no longer active (revoked, used or expired)")
    _check_sender(request, record, what)
    user = ctx.store.users.get(record.username) if record.username else None
    if user is not None and user.disabled:
        raise InvalidRequest(f"{what} belongs to user {user.username!r}, who is disabled")
    return Party(
        sub=record.sub,
        issuer=ctx.issuer,
        user=user,
        scope=record.scope,
        act=_object(record.claims.get("act")),
        may_act=_object(record.claims.get("may_act")),
    )


def _check_sender(request: GrantRequest, record: TokenRecord, what: str) -> None:
    """A sender-constrained token is exchanged only by its holder: a bound token must
    not become an unbound one in a thief's hands."""
    cnf = record.cnf or {}
    if "jkt" in cnf and request.dpop_jkt != cnf["jkt"]:
        raise InvalidRequest(
            f"{what} is DPoP-bound; send the exchange with a DPoP proof from its key (RFC 9449)"
        )
    if "x5t#S256" in cnf and (
        request.peer_cert is None or certificate_thumbprint(request.peer_cert) != cnf["x5t#S256"]
    ):
        raise InvalidRequest(
            f"{what} is bound to a client certificate; send the exchange with it (RFC 8705)"
        )


def _own_jwt(
    request: GrantRequest, token: str, header: dict[str, Any], claims: dict[str, Any], what: str
) -> Party:
    """An ID token (or other JWT) this provider signed and still publishes the key of."""
    ctx = request.ctx
    verify_signature(token, header, list(ctx.keys.keyset.keys), error=InvalidRequest, what=what)
    check_times(claims, ctx.clock.now(), error=InvalidRequest, what=what)
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise InvalidRequest(f"{what} has no 'sub' claim")
    return Party(sub=sub, issuer=ctx.issuer, user=local_user(request, sub))


def _audience(request: GrantRequest) -> tuple[str, ...] | None:
    """§2.1: ``audience`` (any name; among the client's audiences when it has some) and
    ``resource`` (checked at the token endpoint, RFC 8707)."""
    audiences = tuple(dict.fromkeys(values_of(request.params, "audience")))
    allowed = request.client.audience
    refused = [name for name in audiences if allowed is not None and name not in allowed]
    if refused:
        raise InvalidTarget(
            f"client {request.client.client_id!r} may not ask for audience {refused[0]!r}; "
            f"allowed: {', '.join(allowed or ())}. Pass audience=[...] to add_client()"
        )
    targets = tuple(dict.fromkeys((*audiences, *requested_resources(request))))
    return targets or None


def _scope(request: GrantRequest, subject: Party) -> tuple[str, ...]:
    if "scope" not in request.params and subject.scope is not None:
        return subject.scope  # the subject token's own scope carries over
    scope = requested_scope(request)
    if subject.scope is not None:
        wider = [
            name
            for name in parse_scope(request.params.get("scope", ""))
            if name not in subject.scope
        ]
        if wider:
            raise InvalidRequest(
                f"scope {' '.join(wider)!r} is wider than the subject token's "
                f"({' '.join(subject.scope) or 'none'}); an exchange cannot add scope"
            )
    return scope


def _matches(may_act: dict[str, Any], actor: Party) -> bool:
    if may_act.get("sub") not in (None, actor.sub):
        return False
    return may_act.get("iss") in (None, actor.issuer)


def _object(value: object) -> dict[str, Any] | None:
    return dict(value) if isinstance(value, dict) else None
