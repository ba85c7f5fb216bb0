"""Single-use identifiers: ``jti`` of client assertions, DPoP proofs and JWT grants."""

from __future__ import annotations


class ReplayCache:
    """Remembers each identifier until the moment its JWT would be refused anyway.

    RFC 7523 §3 and OIDC Core §9 let a server refuse a second use of a ``jti``
    for as long as the assertion is valid; RFC 9449 §11.1 asks the same of
    DPoP proofs within their acceptance window. Forgetting at ``until`` keeps
    the memory bounded by what could still be replayed.
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str, str], float] = {}

    def use(self, namespace: str, owner: str, jti: str, *, until: float, now: float) -> bool:
        """Record ``jti`` for ``owner``; False when it was seen before (a replay)."""
        if len(self._seen) > 1024:
            self._seen = {key: end for key, end in self._seen.items() if end > now}
        key = (namespace, owner, jti)
        end = self._seen.get(key)
        if end is not None and end > now:
            return False
        self._seen[key] = until
        return True
