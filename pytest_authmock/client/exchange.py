"""Assertion grants: the JWT bearer grant (RFC 7523 §2.1) and token exchange (RFC 8693).

Both trade a token the client already holds for one from this issuer: a JWT
signed by a party the provider trusts (a service account's own key, a CI
runner's OIDC identity token), or any token the provider can validate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import ClassVar

from pytest_authmock.client.grants import Form, Resources, resource_form, resources
from pytest_authmock.client.redact import fingerprint

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "ID_TOKEN_TYPE",
    "JWT_BEARER",
    "JWT_TOKEN_TYPE",
    "REFRESH_TOKEN_TYPE",
    "TOKEN_EXCHANGE",
    "JwtBearerGrant",
    "TokenExchangeGrant",
]

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
# RFC 8693 §3: token type identifiers.
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
REFRESH_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:refresh_token"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"


def _scope(scopes: Sequence[str]) -> dict[str, str]:
    if isinstance(scopes, str):
        raise TypeError(f"scopes must be a list of scope names, not the string {scopes!r}")
    return {"scope": " ".join(scopes)} if scopes else {}


@dataclasses.dataclass(frozen=True)
class JwtBearerGrant:
    """RFC 7523 §2.1: a JWT from a trusted issuer is the authorization grant.

    Not reusable: the assertion is short-lived and often single-use, so an
    expired session needs a new assertion from its issuer.
    """

    assertion: str = dataclasses.field(repr=False)
    scopes: Sequence[str] = ()
    #: RFC 8707 resource indicators: the APIs the token is for.
    resource: Resources = ()
    grant_type: ClassVar[str] = JWT_BEARER
    reusable: ClassVar[bool] = False
    # A resent assertion whose first use reached the provider is refused as a replay.
    idempotent: ClassVar[bool] = False

    def __repr__(self) -> str:
        return f"JwtBearerGrant(assertion={fingerprint(self.assertion)}, scopes={tuple(self.scopes)!r})"

    def __post_init__(self) -> None:
        object.__setattr__(self, "resource", resources(self.resource))

    def form(self) -> Form:
        return {
            "grant_type": self.grant_type,
            "assertion": self.assertion,
            **_scope(self.scopes),
            **resource_form(self.resource),
        }


@dataclasses.dataclass(frozen=True)
class TokenExchangeGrant:
    """RFC 8693 §2.1: exchange ``subject_token`` (and ``actor_token``) for a new token.

    ``audience`` (logical names) and ``resource`` (URIs, RFC 8707) name where the
    new token will be used, one or several of each (§2.1);
    ``requested_token_type`` defaults to the provider's choice, an access token.
    """

    subject_token: str = dataclasses.field(repr=False)
    subject_token_type: str = ACCESS_TOKEN_TYPE
    actor_token: str | None = dataclasses.field(default=None, repr=False)
    actor_token_type: str | None = None
    audience: str | Sequence[str] | None = None
    resource: Resources = ()
    scopes: Sequence[str] = ()
    requested_token_type: str | None = None
    grant_type: ClassVar[str] = TOKEN_EXCHANGE
    reusable: ClassVar[bool] = False
    idempotent: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if not self.subject_token:
            raise ValueError("TokenExchangeGrant needs the subject_token")
        if (self.actor_token is None) != (self.actor_token_type is None):
            # RFC 8693 §2.1: actor_token_type is REQUIRED with an actor_token, and
            # MUST NOT be sent without one.
            raise ValueError("pass actor_token and actor_token_type together")
        object.__setattr__(self, "resource", resources(self.resource))

    def __repr__(self) -> str:
        actor = "" if self.actor_token is None else f", actor_token={fingerprint(self.actor_token)}"
        return (
            f"TokenExchangeGrant(subject_token={fingerprint(self.subject_token)}, "
            f"subject_token_type={self.subject_token_type!r}{actor}, audience={self.audience!r})"
        )

    def form(self) -> Form:
        form: dict[str, str | list[str]] = {
            "grant_type": self.grant_type,
            "subject_token": self.subject_token,
            "subject_token_type": self.subject_token_type,
            **_scope(self.scopes),
        }
        if self.actor_token is not None and self.actor_token_type is not None:
            form["actor_token"] = self.actor_token
            form["actor_token_type"] = self.actor_token_type
        if self.requested_token_type is not None:
            form["requested_token_type"] = self.requested_token_type
        if self.audience is not None:
            names = [self.audience] if isinstance(self.audience, str) else list(self.audience)
            form["audience"] = names
        return {**form, **resource_form(self.resource)}
