"""What the provider (or a verified JWT) says about a valid token."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from pytest_authmock.client.redact import fingerprint

__all__ = ["TokenIdentity", "identity_from_claims"]


@dataclasses.dataclass(frozen=True)
class TokenIdentity:
    """What the provider says about a valid token."""

    token_fingerprint: str
    subject: str | None = None
    username: str | None = None
    name: str | None = None
    client_id: str | None = None
    expires_at: float | None = None
    scopes: tuple[str, ...] = ()
    #: ``"introspection"``, ``"userinfo"`` or ``"jwt"`` (checked locally).
    checked_with: str = "introspection"
    #: False when the provider did not say (userinfo with an opaque token):
    #: ``expires_at=None`` then means "unknown", not "never".
    expiry_known: bool = True
    #: The verified claims, when ``checked_with == "jwt"`` (empty otherwise).
    claims: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @property
    def display_name(self) -> str:
        return self.name or self.username or self.subject or self.client_id or "unknown"

    @property
    def expires_at_datetime(self) -> datetime | None:
        if self.expires_at is None:
            return None
        return datetime.fromtimestamp(self.expires_at, tz=timezone.utc)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def identity_from_claims(
    token: str, claims: Mapping[str, Any], expires_at: float | None, *, checked_with: str
) -> TokenIdentity:
    """The identity in a verified JWT access token's claims (RFC 9068 §2.2)."""
    scope = claims.get("scope")
    scopes: tuple[str, ...] = tuple(scope.split()) if isinstance(scope, str) else ()
    scp = claims.get("scp")  # some providers (Okta, Azure AD) send a list instead
    if not scopes and isinstance(scp, list):
        scopes = tuple(s for s in scp if isinstance(s, str))
    return TokenIdentity(
        token_fingerprint=fingerprint(token),
        subject=_str(claims.get("sub")),
        username=_str(claims.get("preferred_username")) or _str(claims.get("username")),
        name=_str(claims.get("name")),
        client_id=_str(claims.get("client_id")) or _str(claims.get("azp")),
        expires_at=expires_at,
        scopes=scopes,
        checked_with=checked_with,
        claims=dict(claims),
    )
