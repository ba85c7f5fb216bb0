"""Bounded retries for calls to the provider (token, discovery, revocation).

Retried: connection failures (the request never reached the server), 5xx and
429 answers, timeouts and broken connections, but only where repeating the
request is harmless. A request that is not (a refresh, a code exchange, a
device-code poll: each presents a credential that works once) is resent only
when it certainly never left: a failed or timed-out *connect*. After a 5xx, a
read timeout or a connection dropped once the request was written, the
provider may have acted on it: a gateway's 502 can hide a refresh the
provider already answered by rotating the refresh token, and presenting the
old one again is refresh-token reuse, for which RFC 9700 §4.14.2 has the
provider revoke the whole grant.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import logging
import random
import ssl
import time
from collections.abc import Awaitable, Callable

import httpx

from pytest_authmock.client.errors import (
    ConfigurationError,
    InvalidCredentials,
    ProviderUnavailable,
    RateLimited,
)

__all__ = ["RetryPolicy", "parse_retry_after"]

logger = logging.getLogger("pytest_authmock.client")

#: Failures that happen before a byte of the request is written.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (RFC 9110 §10.2.3).

    Both forms are accepted: delay-seconds and an HTTP-date. Garbage gives ``None``.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:  # pragma: no cover - older Pythons returned None
        return None
    delta = when.timestamp() - (time.time() if now is None else now)
    return max(delta, 0.0)


def tls_failure(error: BaseException) -> Exception | None:
    """An actionable error for a failed TLS handshake, or ``None`` if it was not one."""
    seen: BaseException | None = error
    visited: set[int] = set()
    # Exception chains can loop (an error's context set to one of its causes).
    while seen is not None and id(seen) not in visited and not isinstance(seen, ssl.SSLError):
        visited.add(id(seen))
        seen = seen.__cause__ or seen.__context__
    if not isinstance(seen, ssl.SSLError):
        return None
    reason = str(getattr(seen, "reason", None) or seen)
    if "CERTIFICATE_VERIFY_FAILED" in reason or "HOSTNAME" in reason.upper():
        return ConfigurationError(
            f"the provider's TLS certificate is not trusted ({reason}); pass the CA bundle"
            " that signed it (verify=... / ca=...)"
        )
    return InvalidCredentials(
        f"the provider refused the TLS handshake ({reason}); it wants a client certificate"
        " it trusts: check the certificate, its key and that it has not expired"
    )


def _unsafe_to_repeat(
    what: str, response: httpx.Response, retry_after: float | None
) -> ProviderUnavailable:
    why = (
        f"{what} is not repeated: the provider may have acted on it already, and"
        " the credential it carries works once (resending a used refresh token makes"
        " the provider revoke the session, RFC 9700 §4.14.2)"
    )
    if response.status_code == 429:
        advice = f"retry after {retry_after:g} s" if retry_after is not None else "try later"
        return RateLimited(
            f"the provider is rate limiting {what} (HTTP 429); {why}. {advice}.",
            retry_after=retry_after,
        )
    return ProviderUnavailable(
        f"the provider failed {what} with HTTP {response.status_code}; {why}. Try again"
        " later; if the session then says to log in again, the provider did act on it."
    )


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry.

    ``max_attempts`` counts the first try. The delay before retry *n* is
    ``backoff_base * 2**(n-1)`` capped at ``backoff_max``, with full jitter, unless
    the provider sent ``Retry-After``; a ``Retry-After`` beyond ``max_retry_after``
    is not waited for: :class:`RateLimited` is raised at once with the advice, so
    a CLI never hangs for minutes. ``sleep``/``async_sleep`` are injectable for tests.
    """

    max_attempts: int = 4
    backoff_base: float = 0.25
    backoff_max: float = 4.0
    max_retry_after: float = 30.0
    jitter: bool = True
    sleep: Callable[[float], None] = time.sleep
    async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.backoff_base < 0 or self.backoff_max < 0:
            raise ValueError("backoff_base and backoff_max must not be negative")

    @classmethod
    def never(cls) -> RetryPolicy:
        """A policy that tries once."""
        return cls(max_attempts=1)

    def backoff(self, attempt: int) -> float:
        delay = min(self.backoff_base * 2.0 ** (attempt - 1), self.backoff_max)
        if self.jitter:
            # Full jitter spreads a herd of CLIs restarted at once; not crypto.
            delay = random.uniform(0, delay)  # noqa: S311
        return delay

    def _decide(
        self,
        attempt: int,
        what: str,
        response: httpx.Response | None,
        error: httpx.TransportError | None,
        idempotent: bool,
    ) -> float:
        """Return the delay before the next attempt, or raise if there is none."""
        last = attempt >= self.max_attempts
        if error is not None:
            tls = tls_failure(error)
            if tls is not None:
                raise tls from error  # a handshake fails the same way every time
            resend_ok = idempotent or isinstance(error, _NOT_SENT)
            if last or not resend_ok:
                raise ProviderUnavailable(
                    f"cannot reach the provider for {what}: {type(error).__name__}"
                    f" after {attempt} attempt(s). Check the network and the issuer URL,"
                    " then try again."
                ) from error
            return self.backoff(attempt)
        if response is None:  # pragma: no cover - one of the two is always set
            raise TypeError("_decide needs a response or an error")
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if not idempotent:
            raise _unsafe_to_repeat(what, response, retry_after)
        if response.status_code == 429:
            if last or (retry_after is not None and retry_after > self.max_retry_after):
                advice = f" retry after {retry_after:g} s" if retry_after is not None else ""
                raise RateLimited(
                    f"the provider is rate limiting {what} (HTTP 429);{advice or ' try later'}.",
                    retry_after=retry_after,
                )
        elif last:
            raise ProviderUnavailable(
                f"the provider failed {what} with HTTP {response.status_code} after"
                f" {attempt} attempt(s); it may be down. Try again later."
            )
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return self.backoff(attempt)

    @staticmethod
    def _retryable(response: httpx.Response) -> bool:
        return response.status_code == 429 or response.status_code >= 500

    def send(
        self,
        send: Callable[[], httpx.Response],
        *,
        what: str,
        idempotent: bool = True,
    ) -> httpx.Response:
        """Call ``send`` until it gives a non-retryable answer or attempts run out."""
        attempt = 0
        while True:
            attempt += 1
            try:
                response = send()
            except httpx.TransportError as exc:
                delay = self._decide(attempt, what, None, exc, idempotent)
            else:
                if not self._retryable(response):
                    return response
                delay = self._decide(attempt, what, response, None, idempotent)
            logger.info("retrying %s in %.2f s (attempt %d)", what, delay, attempt + 1)
            self.sleep(delay)

    async def asend(
        self,
        send: Callable[[], Awaitable[httpx.Response]],
        *,
        what: str,
        idempotent: bool = True,
    ) -> httpx.Response:
        """The async twin of :meth:`send`; waits with ``async_sleep``."""
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await send()
            except httpx.TransportError as exc:
                delay = self._decide(attempt, what, None, exc, idempotent)
            else:
                if not self._retryable(response):
                    return response
                delay = self._decide(attempt, what, response, None, idempotent)
            logger.info("retrying %s in %.2f s (attempt %d)", what, delay, attempt + 1)
            await self.async_sleep(delay)
