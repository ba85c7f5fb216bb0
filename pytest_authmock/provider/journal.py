"""A record of every request the provider served, with helpers to assert on it."""

from __future__ import annotations

import dataclasses
import threading
from collections import deque
from collections.abc import Iterator
from typing import Any

import httpx

_CRITERIA = (
    "endpoint",
    "grant_type",
    "client_id",
    "username",
    "status_code",
    "error",
    "method",
    "path",
    "fault",
)


@dataclasses.dataclass(frozen=True)
class JournalEntry:
    """One request and how the provider answered it. Secrets are never part of it."""

    time: float
    method: str
    url: str
    path: str
    #: "discovery", "jwks", "token", "introspection", "revocation", "userinfo",
    #: "authorization", "device_authorization", "device_verification", "api_tokens",
    #: "openapi", "resource" (a route mounted with ``protect()``) or "unknown".
    endpoint: str
    status_code: int
    grant_type: str | None = None
    client_id: str | None = None
    username: str | None = None
    #: The OAuth error code of the answer, if any (``invalid_grant``...).
    error: str | None = None
    #: Set when the provider itself failed; teardown reports it.
    internal_error: str | None = None
    #: The kind of planned fault that hit this request (``"status"``, ``"delay"``,
    #: ``"disconnect"``...); ``status_code`` is 0 when the client got no answer.
    fault: str | None = None

    def matches(self, criteria: dict[str, Any]) -> bool:
        return all(getattr(self, name) == value for name, value in criteria.items())

    def describe(self) -> str:
        parts = [f"{self.method} {self.path} -> {self.status_code or 'no answer'}"]
        for name in ("grant_type", "client_id", "username", "error", "fault"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={value}")
        return " ".join(parts)


@dataclasses.dataclass(frozen=True)
class Expectation:
    count: int | None
    at_least: int | None
    criteria: dict[str, Any]

    def describe(self) -> str:
        what = ", ".join(f"{name}={value!r}" for name, value in self.criteria.items()) or "any"
        amount = f"exactly {self.count}" if self.count is not None else f"at least {self.at_least}"
        return f"{amount} request(s) matching {what}"

    def problem(self, journal: Journal) -> str | None:
        seen = journal.count(**self.criteria)
        if self.count is not None and seen != self.count:
            return f"expected {self.describe()}, got {seen}"
        if self.at_least is not None and seen < self.at_least:
            return f"expected {self.describe()}, got {seen}"
        return None


def _check_criteria(criteria: dict[str, Any]) -> None:
    unknown = sorted(set(criteria) - set(_CRITERIA))
    if unknown:
        raise TypeError(
            f"unknown journal criteria {', '.join(unknown)}; use any of {', '.join(_CRITERIA)}"
        )


#: Entries a provider keeps unless told otherwise: far more than a test makes,
#: few enough that a server running for days stays small.
DEFAULT_JOURNAL_LIMIT = 10_000


class Journal:
    """The requests served since the last reset, oldest first: the last ``limit`` of them."""

    def __init__(self, limit: int | None = DEFAULT_JOURNAL_LIMIT) -> None:
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise TypeError(f"journal_limit must be a whole number or None; got {limit!r}")
        if limit is not None and limit < 1:
            raise ValueError(f"journal_limit must be at least 1, or None (unbounded); got {limit}")
        #: How many entries are kept; the oldest go first. ``None``: all of them.
        self.limit = limit
        self._entries: deque[JournalEntry] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def record(self, entry: JournalEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def __iter__(self) -> Iterator[JournalEntry]:
        with self._lock:
            return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def filter(self, **criteria: Any) -> list[JournalEntry]:
        """Entries whose fields equal every given value, e.g. ``filter(endpoint="token")``."""
        _check_criteria(criteria)
        return [entry for entry in self if entry.matches(criteria)]

    def count(self, **criteria: Any) -> int:
        return len(self.filter(**criteria))

    def last(self, **criteria: Any) -> JournalEntry:
        entries = self.filter(**criteria)
        if not entries:
            raise LookupError(f"no request matching {criteria or 'anything'} was served")
        return entries[-1]

    def assert_count(self, expected: int, **criteria: Any) -> None:
        """Assert that exactly ``expected`` requests matched, listing what was served if not."""
        seen = self.count(**criteria)
        if seen != expected:
            what = ", ".join(f"{name}={value!r}" for name, value in criteria.items()) or "anything"
            served = "\n".join(f"  - {entry.describe()}" for entry in self) or "  (no requests)"
            raise AssertionError(
                f"expected {expected} request(s) matching {what}, got {seen}. Served:\n{served}"
            )

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __repr__(self) -> str:
        return f"<Journal: {len(self)} requests>"


def entry_for(
    request: httpx.Request,
    status_code: int,
    *,
    time: float,
    fields: dict[str, Any],
) -> JournalEntry:
    """The entry of one served request; ``fields`` are what the handlers traced."""
    return JournalEntry(
        time=time,
        method=request.method,
        # Splitting the string is ~20x cheaper than URL.copy_with(), on every request.
        url=str(request.url).partition("?")[0],
        path=request.url.path,
        status_code=status_code,
        **fields,
    )
