"""Single-flight: many callers want the same thing, one of them fetches it.

The first caller (the leader) runs the function; every caller that arrives
while it runs waits and receives the leader's result, or its exception. The
thread version waits on a :class:`threading.Event`; the asyncio version awaits
a future, so a waiting task never blocks its event loop.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["AsyncSingleFlight", "SingleFlight"]

T = TypeVar("T")


class _Flight(Generic[T]):
    __slots__ = ("done", "error", "result")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: T | None = None
        self.error: BaseException | None = None


class SingleFlight(Generic[T]):
    """Deduplicate concurrent calls across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flight: _Flight[T] | None = None

    def do(self, fn: Callable[[], T]) -> T:
        with self._lock:
            flight = self._flight
            leader = flight is None
            if flight is None:
                flight = self._flight = _Flight()
        if leader:
            try:
                flight.result = fn()
            except BaseException as exc:
                flight.error = exc
            finally:
                with self._lock:
                    self._flight = None
                flight.done.set()
        else:
            flight.done.wait()
        if flight.error is not None:
            raise flight.error
        return flight.result  # type: ignore[return-value]


class AsyncSingleFlight(Generic[T]):
    """Deduplicate concurrent calls across the tasks of each event loop.

    Flights are kept per loop: a future belongs to one loop, and a library
    object may well be used from several (one per ``asyncio.run``).
    """

    def __init__(self) -> None:
        self._flights: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Future[T]] = (
            weakref.WeakKeyDictionary()
        )

    async def do(self, fn: Callable[[], Awaitable[T]]) -> T:
        loop = asyncio.get_running_loop()
        while True:
            future = self._flights.get(loop)
            if future is None:
                break
            try:
                # shield: a follower being cancelled must not cancel the flight.
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                if future.cancelled():
                    continue  # the leader was cancelled, not us: take over
                raise
        # No await between the lookup and this line, so no other task can
        # have started a flight in the meantime.
        future = loop.create_future()
        self._flights[loop] = future
        try:
            result = await fn()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: followers may be none
            raise
        else:
            future.set_result(result)
            return result
        finally:
            del self._flights[loop]
