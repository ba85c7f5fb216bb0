"""``AuthStatus``: what ``auth status`` prints, as a typed value.

Rendered as text for people and as JSON for scripts; neither form contains a
token or a secret (a fingerprint at most).
"""

from __future__ import annotations

import dataclasses
import enum
import json
from datetime import datetime, timezone
from typing import Any

__all__ = ["AuthStatus", "CredentialSource"]


class CredentialSource(str, enum.Enum):
    """Where the credentials of a request come from, in the resolver's order."""

    FLAG = "flag"
    ENVIRONMENT = "environment"
    SESSION = "session"
    CLIENT_CREDENTIALS = "client_credentials"
    ANONYMOUS = "anonymous"

    def describe(self, env_var: str | None = None) -> str:
        return {
            CredentialSource.FLAG: "token given on the command line",
            CredentialSource.ENVIRONMENT: f"token from the environment variable {env_var}",
            CredentialSource.SESSION: "stored login session",
            CredentialSource.CLIENT_CREDENTIALS: "client credentials of the context",
            CredentialSource.ANONYMOUS: "no authentication",
        }[self]


@dataclasses.dataclass(frozen=True)
class AuthStatus:
    """The authentication state of one context."""

    context: str
    source: CredentialSource
    issuer: str | None = None
    user: str | None = None
    expires_at: float | None = None
    client_id: str | None = None
    client_credentials_configured: bool = False
    token_fingerprint: str | None = None
    env_var: str | None = None
    expired: bool = False

    @property
    def authenticated(self) -> bool:
        return self.source is not CredentialSource.ANONYMOUS

    @property
    def expires_at_datetime(self) -> datetime | None:
        if self.expires_at is None:
            return None
        return datetime.fromtimestamp(self.expires_at, tz=timezone.utc)

    def to_dict(self) -> dict[str, Any]:
        when = self.expires_at_datetime
        return {
            "context": self.context,
            "issuer": self.issuer,
            "authenticated": self.authenticated,
            "source": self.source.value,
            "user": self.user,
            "expires_at": when.isoformat() if when else None,
            "expired": self.expired,
            "client_id": self.client_id,
            "client_credentials_configured": self.client_credentials_configured,
            "token_fingerprint": self.token_fingerprint,
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_text(self) -> str:
        lines = [f"Context: {self.context}" + (f" ({self.issuer})" if self.issuer else "")]
        source = self.source
        if source is CredentialSource.SESSION:
            who = self.user or "unknown user"
            lines.append(f"Logged in as {who}")
        elif source is CredentialSource.ANONYMOUS:
            lines.append("No authentication: requests are sent anonymously")
        else:
            lines.append(f"Authenticated with the {source.describe(self.env_var)}")
            if self.user:
                lines.append(f"User: {self.user}")
        if self.token_fingerprint:
            lines.append(f"Token: {self.token_fingerprint}")
        when = self.expires_at_datetime
        if when is not None:
            state = "expired" if self.expired else "expires"
            lines.append(f"Token {state}: {when:%Y-%m-%d %H:%M:%S} UTC")
        elif source in (CredentialSource.SESSION,):
            lines.append("Token expires: never")
        configured = "configured" if self.client_credentials_configured else "not configured"
        client = f" (client id {self.client_id})" if self.client_credentials_configured else ""
        lines.append(f"Client credentials: {configured}{client}")
        return "\n".join(lines)
