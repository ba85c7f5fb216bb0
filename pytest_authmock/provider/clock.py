"""The provider's clock: wall time (so freezegun moves it) plus offsets a test controls."""

from __future__ import annotations

import math
import time

from pytest_authmock.provider.limits import MAX_LIFETIME


class Clock:
    """Every expiry decision of the provider reads :meth:`now`.

    It calls ``time.time()`` at each read rather than caching a function
    reference, so ``freezegun.freeze_time`` (including ``tick()`` and
    ``move_to()``) and ``time-machine`` move it. ``advance()`` and ``skew``
    move it without patching anything, which is what subprocess clients and
    clock-skew tests need: the client keeps the real time, the provider does not.
    """

    def __init__(self) -> None:
        self._advanced = 0.0
        self._skew = 0.0

    def now(self) -> float:
        """The provider's current time, in seconds since the epoch."""
        return time.time() + self._advanced + self._skew

    def advance(self, seconds: float) -> None:
        """Move the provider's time forward (or back, with a negative value)."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise TypeError(f"advance() takes a number of seconds, got {seconds!r}")
        self._advanced = _offset("advance()", self._advanced + float(seconds), self._skew)

    @property
    def skew(self) -> float:
        """Seconds the provider runs ahead of (positive) or behind (negative) the client."""
        return self._skew

    @skew.setter
    def skew(self, seconds: float) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise TypeError(f"skew takes a number of seconds, got {seconds!r}")
        self._skew = _offset("skew", float(seconds), self._advanced)

    def reset(self) -> None:
        """Forget every advance and skew."""
        self._advanced = 0.0
        self._skew = 0.0

    def __repr__(self) -> str:
        return f"Clock(now={self.now():.3f}, advanced={self._advanced}, skew={self._skew})"


def _offset(what: str, offset: float, other: float) -> float:
    # Every time the provider reads must stay a date it can write (in a listing,
    # an ISO timestamp, a token's exp): within 100 years of the real time.
    if not math.isfinite(offset) or abs(offset + other) > MAX_LIFETIME:
        raise ValueError(
            f"{what} would put the provider's clock {offset + other:g} s away from the real "
            f"time; it stays within {MAX_LIFETIME} s (100 years)"
        )
    return offset
