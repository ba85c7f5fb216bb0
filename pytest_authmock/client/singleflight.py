"""Single-flight: many callers want the same thing, one of them fetches it.

The first caller (the leader) runs the function; every caller that arrives
while it runs waits and receives the leader's result, or its exception. One
:class:`SingleFlight` serves threads and asyncio tasks *together*: a token
manager shared by a thread pool and an event loop must send one token
request, not one per side, because with a rotating refresh token the second
request would present a used refresh token, and RFC 9700 §4.14.2 has the
provider revoke the whole grant for that.

A waiting thread blocks on a :class:`threading.Event`; a waiting task awaits a
future of its own loop, which the leader (a thread or a task on any loop)
completes with ``call_soon_threadsafe``, so a waiting task never blocks its
event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["SingleFlight"]

T = TypeVar("T")


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():  # the waiting task may have been cancelled meanwhile
        future.set_result(None)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class _Flight(Generic[T]):
    __slots__ = ("abandoned", "done", "error", "loop", "result", "waiters")

    def __init__(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.done = threading.Event()
        self.result: T | None = None
        self.error: Exception | None = None
        #: The leader was cancelled or interrupted: nobody got an answer, so
        #: the followers start a new flight instead of sharing a non-result.
        self.abandoned = False
        #: The leader's event loop (``None`` for a thread).
        self.loop = loop
        self.waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


class SingleFlight(Generic[T]):
    """Deduplicate concurrent calls across threads and asyncio tasks alike.

    :meth:`do` runs a plain function, :meth:`ado` a coroutine function; both
    join the same flight. Each side's leader runs its own kind of function,
    so the two must do the same thing (the sync and async twins of a fetch).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # held only around bookkeeping, never I/O
        self._flight: _Flight[T] | None = None

    def _join(
        self, loop: asyncio.AbstractEventLoop | None
    ) -> tuple[_Flight[T], bool, asyncio.Future[None] | None]:
        """The current flight and whether we lead it; a follower task gets a future."""
        with self._lock:
            flight = self._flight
            if flight is None:
                self._flight = _Flight(loop)
                return self._flight, True, None
            future = None
            if loop is not None:
                future = loop.create_future()
                flight.waiters.append((loop, future))
            return flight, False, future

    def _land(
        self,
        flight: _Flight[T],
        *,
        result: T | None = None,
        error: Exception | None = None,
        abandoned: bool = False,
    ) -> None:
        with self._lock:
            flight.result, flight.error, flight.abandoned = result, error, abandoned
            if self._flight is flight:
                self._flight = None
            waiters, flight.waiters = flight.waiters, []
        flight.done.set()
        for loop, future in waiters:
            # A closed loop raises RuntimeError: nobody waits there any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_wake, future)

    def do(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` once for every thread and task that asks meanwhile."""
        while True:
            flight, leader, _ = self._join(None)
            if leader:
                try:
                    result = fn()
                except Exception as exc:
                    self._land(flight, error=exc)
                    raise
                except BaseException:
                    self._land(flight, abandoned=True)
                    raise
                self._land(flight, result=result)
                return result
            if flight.loop is not None and flight.loop is _running_loop():
                # Blocking this thread would stop the loop that runs the leader.
                raise RuntimeError(
                    "a blocking call waits for a fetch that a task of this thread's own"
                    " event loop is running; use the async method (aget_token) here"
                )
            flight.done.wait()
            if not flight.abandoned:
                return flight.outcome()

    async def ado(self, fn: Callable[[], Awaitable[T]]) -> T:
        """The async twin of :meth:`do`: followers await, the loop keeps running."""
        loop = asyncio.get_running_loop()
        while True:
            flight, leader, future = self._join(loop)
            if leader:
                try:
                    result = await fn()
                except Exception as exc:
                    self._land(flight, error=exc)
                    raise
                except BaseException:  # cancelled: a follower takes over
                    self._land(flight, abandoned=True)
                    raise
                self._land(flight, result=result)
                return result
            assert future is not None  # noqa: S101 - _join gives followers a future
            await future  # our own future: cancelling us does not touch the flight
            if not flight.abandoned:
                return flight.outcome()
