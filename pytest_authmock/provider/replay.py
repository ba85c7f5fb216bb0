"""Single-use identifiers: ``jti`` of client assertions, DPoP proofs and JWT grants."""

from __future__ import annotations

import hashlib
import heapq

from pytest_authmock.provider.limits import OverCapacity

#: The most identifiers remembered at once (~250 bytes each, so ~25 MB at most).
#: Every entry is forgotten when its JWT expires, and JWTs that land here live at
#: most an hour (client and grant assertions, see ``jwtcheck.MAX_ASSERTION_LIFETIME``)
#: or a proof window (DPoP), so only a flood reaches this.
CAPACITY = 100_000


class ReplayCache:
    """Remembers each identifier until the moment its JWT would be refused anyway.

    RFC 7523 §3 and OIDC Core §9 let a server refuse a second use of a ``jti``
    for as long as the assertion is valid; RFC 9449 §11.1 asks the same of
    DPoP proofs within their acceptance window. Forgetting at ``until`` keeps
    the memory bounded by what could still be replayed.

    Expired entries leave in expiry order from a heap, so a call costs
    O(log n) amortized whatever the size. When :data:`CAPACITY` live entries
    are held, a new identifier is refused (429, ``Retry-After`` the next
    expiry) rather than an old one evicted: eviction would let a flood of
    fresh identifiers make a captured assertion replayable again.
    """

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        # Keys are digests: a 8 KiB jti costs the same 32 bytes as a short one.
        self._until: dict[bytes, float] = {}
        self._expiry: list[tuple[float, bytes]] = []

    def __len__(self) -> int:
        return len(self._until)

    def purge(self, now: float) -> int:
        """Forget every identifier whose JWT has expired by ``now``; how many went."""
        count = 0
        expiry, until = self._expiry, self._until
        while expiry and expiry[0][0] <= now:
            _, key = heapq.heappop(expiry)
            del until[key]
            count += 1
        return count

    def use(self, namespace: str, owner: str, jti: str, *, until: float, now: float) -> bool:
        """Record ``jti`` for ``owner``; False when it was seen before (a replay).

        Raises :class:`OverCapacity` when the cache is full of live identifiers.
        """
        self.purge(now)
        key = _digest(namespace, owner, jti)
        if key in self._until:
            return False
        if until <= now:
            # Already expired: no later use can be accepted, nothing to remember.
            return True
        if len(self._until) >= self.capacity:
            raise OverCapacity(
                f"this provider already remembers {self.capacity} unexpired jti values of "
                "assertions and DPoP proofs, and refuses new ones rather than forget one "
                "that could then be replayed; retry once some expire (give assertions a "
                "short exp)",
                retry_after=self._expiry[0][0] - now,
            )
        self._until[key] = until
        heapq.heappush(self._expiry, (until, key))
        return True


def _digest(namespace: str, owner: str, jti: str) -> bytes:
    # repr() of the tuple is unambiguous where joining with a separator is not.
    text = repr((namespace, owner, jti))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
