"""One exception hierarchy for everything the client library raises.

Every message names what happened and what to do about it, and never contains
a secret or a token (a fingerprint at most).
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AuthError",
    "ConfigurationError",
    "InvalidCredentials",
    "InvalidToken",
    "LoginRequired",
    "ProviderError",
    "ProviderUnavailable",
    "RateLimited",
    "StoreError",
    "TokenExpired",
    "TokenRevoked",
]


class AuthError(Exception):
    """Base class of every error raised by ``pytest_authmock.client``."""


class ConfigurationError(AuthError):
    """The client is set up wrongly: bad issuer, missing endpoint, bad argument."""


class InvalidCredentials(AuthError):
    """The provider rejected the client secret, the username or the password."""


class InvalidToken(AuthError):
    """The provider does not accept the token (unknown, malformed or inactive)."""


class TokenExpired(InvalidToken):
    """The token was valid once but its lifetime is over."""


class TokenRevoked(InvalidToken):
    """The token was revoked (logout, admin action or refresh-token reuse)."""


class LoginRequired(AuthError):
    """No usable session is left; the user has to log in again."""


class ProviderError(AuthError):
    """The provider answered with an OAuth error this library cannot recover from.

    ``error`` and ``error_description`` are the RFC 6749 §5.2 fields as sent.
    """

    def __init__(
        self,
        message: str,
        *,
        error: str | None = None,
        error_description: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.error = error
        self.error_description = error_description
        self.status_code = status_code


class ProviderUnavailable(AuthError):
    """The provider could not be reached or kept failing (network, 5xx)."""


class RateLimited(ProviderUnavailable):
    """The provider answered 429; ``retry_after`` is its advice in seconds, if any."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StoreError(AuthError):
    """The on-disk token store cannot be read or written.

    ``path`` is the file concerned; the message says how to get out (usually:
    log out, which deletes the file, then log in again).
    """

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path
