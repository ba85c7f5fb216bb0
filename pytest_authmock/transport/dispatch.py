"""Whether an in-process handler runs for an async client.

httpx's and httpx2's ``MockTransport``, respx and pytest-httpx call one
synchronous handler for sync and async clients alike and await what it returns
on the async path. A planned delay must then be awaited (the event loop keeps
running), not slept. The only witness is the caller's frame: the async entry
point of the library that called us.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from types import CodeType


def called_from(codes: Iterable[CodeType], *, skip: int = 2, depth: int = 16) -> bool:
    """Whether one of ``codes`` is on the stack above the caller's caller."""
    wanted = frozenset(codes)
    frame = sys._getframe(skip)
    for _ in range(depth):
        if frame.f_code in wanted:
            return True
        if frame.f_back is None:
            return False
        frame = frame.f_back
    return False


__all__ = ["called_from"]
