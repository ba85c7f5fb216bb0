"""The token a provider hands out, parsed from an RFC 6749 §5.1 response."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from pytest_authmock.client.errors import ProviderError
from pytest_authmock.client.redact import fingerprint

__all__ = ["Clock", "Token", "wall_clock"]

#: A clock returns seconds since the epoch; ``time.time`` unless a test injects one.
Clock = Callable[[], float]


def wall_clock() -> float:
    """``time.time()``, looked up at each call so that freezegun and time-machine apply.

    A default argument ``clock=time.time`` would bind the real function at import
    time, and a frozen test clock would never reach the client.
    """
    return time.time()


@dataclasses.dataclass(frozen=True)
class Token:
    """An access token and what came with it.

    ``expires_at`` is an epoch timestamp computed from ``expires_in`` and the
    client's clock at the moment the request was sent (so network latency
    shortens the lifetime, never lengthens it); ``None`` means the provider said
    the token does not expire.
    """

    access_token: str = dataclasses.field(repr=False)
    token_type: str = "Bearer"
    expires_at: float | None = None
    refresh_token: str | None = dataclasses.field(default=None, repr=False)
    scope: str | None = None
    id_token: str | None = dataclasses.field(default=None, repr=False)
    issued_at: float | None = None

    def __repr__(self) -> str:
        parts = [
            f"type={self.token_type!r}",
            f"access={fingerprint(self.access_token)}",
        ]
        if self.refresh_token is not None:
            parts.append(f"refresh={fingerprint(self.refresh_token)}")
        parts.append(f"expires_at={self.expires_at_datetime}")
        if self.scope:
            parts.append(f"scope={self.scope!r}")
        return f"Token({', '.join(parts)})"

    __str__ = __repr__

    @property
    def fingerprint(self) -> str:
        """The access token's fingerprint, safe to log and show."""
        return fingerprint(self.access_token)

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(self.scope.split()) if self.scope else ()

    @property
    def expires_at_datetime(self) -> datetime | None:
        if self.expires_at is None:
            return None
        return datetime.fromtimestamp(self.expires_at, tz=timezone.utc)

    def expires_in(self, now: float | None = None) -> float | None:
        """Seconds left (negative once expired), ``None`` for a non-expiring token."""
        if self.expires_at is None:
            return None
        return self.expires_at - (time.time() if now is None else now)

    def is_stale(self, now: float, leeway: float) -> bool:
        """True when the token should be replaced before it is used again.

        The leeway is capped at half the token's lifetime: a 20 s token with a
        60 s leeway would otherwise be refreshed on every single request.
        """
        if self.expires_at is None:
            return False
        if self.issued_at is not None:
            leeway = min(leeway, max(self.expires_at - self.issued_at, 0.0) / 2)
        return now >= self.expires_at - leeway

    @classmethod
    def from_response(
        cls,
        payload: Mapping[str, Any],
        *,
        issued_at: float,
        previous_refresh_token: str | None = None,
    ) -> Token:
        """Parse a successful token response.

        RFC 6749 §6: a refresh answer without a new ``refresh_token`` means the
        old one is still good, so it is carried over.
        """
        access = payload.get("access_token")
        if not isinstance(access, str) or not access:
            raise ProviderError(
                "the token endpoint answered 200 without an access_token; "
                "the provider is not RFC 6749 compliant or the URL is not a token endpoint"
            )
        token_type = payload.get("token_type", "Bearer")
        if not isinstance(token_type, str):
            token_type = "Bearer"
        expires_in = payload.get("expires_in")
        expires_at: float | None = None
        if expires_in is not None:
            try:
                expires_at = issued_at + float(expires_in)
            except (TypeError, ValueError):
                raise ProviderError(
                    "the token endpoint sent a non-numeric expires_in; cannot tell "
                    "when the token expires"
                ) from None
        refresh = payload.get("refresh_token")
        if not isinstance(refresh, str) or not refresh:
            refresh = previous_refresh_token
        scope = payload.get("scope")
        id_token = payload.get("id_token")
        return cls(
            access_token=access,
            # RFC 6749 §5.1: the type is case-insensitive; normalise the common one.
            token_type="Bearer" if token_type.lower() == "bearer" else token_type,
            expires_at=expires_at,
            refresh_token=refresh,
            scope=scope if isinstance(scope, str) else None,
            id_token=id_token if isinstance(id_token, str) else None,
            issued_at=issued_at,
        )

    def to_dict(self) -> dict[str, Any]:
        """Every field, secrets included: only for the encrypted store."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Token:
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in fields})
