"""Signing keys: generated once per process (so once per xdist worker) and shared."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from joserfc.jwk import ECKey, KeyParameters, KeySet, RSAKey

_cache: dict[tuple[str, int, int], RSAKey | ECKey] = {}
_lock = threading.Lock()
#: Issuer URL -> key slot: each issuer signs with its own keys, the same ones
#: for the whole process (so once per xdist worker), whichever test asks.
_slots: dict[str, int] = {}


def _kid(algorithm: str, slot: int, generation: int) -> str:
    base = f"authmock-{algorithm.lower()}-{slot}"
    return base if generation == 0 else f"{base}.{generation}"


def _generate(algorithm: str, slot: int, generation: int) -> RSAKey | ECKey:
    params: KeyParameters = {
        "kid": _kid(algorithm, slot, generation),
        "alg": algorithm,
        "use": "sig",
    }
    key: RSAKey | ECKey
    if algorithm == "RS256":
        # 2048 bits: the smallest size RFC 7518 §3.3 allows, and the fastest to sign.
        key = RSAKey.generate_key(2048, parameters=params, private=True)
    else:
        key = ECKey.generate_key("P-256", parameters=params, private=True)
    return key


def session_key(algorithm: str, index: int = 0, generation: int = 0) -> RSAKey | ECKey:
    """Key ``generation`` of slot ``index`` for ``algorithm``, generated on first use.

    RSA generation takes ~50 ms; doing it per test would dominate a suite.
    """
    with _lock:
        key = _cache.get((algorithm, index, generation))
        if key is None:
            key = _cache[(algorithm, index, generation)] = _generate(algorithm, index, generation)
        return key


def adopt(algorithm: str, private_key: Any, slot: int = 0) -> None:
    """Use ``private_key`` (a ``cryptography`` private key) as the first key of ``slot``.

    Ignored when that key exists already. ``authmock serve`` generates the RSA
    key in a thread with ``cryptography`` alone while the provider is imported,
    which takes the generation off its cold start.
    """
    params: KeyParameters = {"kid": _kid(algorithm, slot, 0), "alg": algorithm, "use": "sig"}
    key_type = RSAKey if algorithm == "RS256" else ECKey
    with _lock:
        if (algorithm, slot, 0) not in _cache:
            _cache[(algorithm, slot, 0)] = key_type.import_key(private_key, parameters=params)


def issuer_slot(issuer: str | None) -> int:
    """The key slot of ``issuer``: 0 for the first issuer seen in this process, then 1, 2..."""
    if issuer is None:
        return 0
    with _lock:
        return _slots.setdefault(issuer, len(_slots))


def relabel(key: RSAKey | ECKey, kid: str) -> RSAKey | ECKey:
    """The same key material under another ``kid`` (no key generation)."""
    if not isinstance(kid, str) or not kid or len(kid) > 200:
        raise ValueError(f"kid must be a non-empty string of at most 200 characters; got {kid!r}")
    data = dict(key.as_dict(private=True))
    data["kid"] = kid
    relabelled: RSAKey | ECKey = type(key).import_key(data)
    return relabelled


class SigningKeys:
    """The keys one provider signs with and publishes; the newest is the active one.

    ``rotate()`` makes a new key active and keeps the previous ones published
    until their grace period (on the provider's clock) ends; a token whose
    ``kid`` is no longer published fails validation.
    """

    def __init__(
        self,
        algorithm: str,
        *,
        issuer: str | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.algorithm = algorithm
        self._slot = issuer_slot(issuer)
        self._clock = clock or time.time
        self.reset()

    def reset(self) -> None:
        """Back to the issuer's first key, as after start-up."""
        self._generation = 0
        #: Newest first: (key, retire at provider time or None for "published").
        self._keys: list[tuple[RSAKey | ECKey, float | None]] = [
            (session_key(self.algorithm, self._slot, 0), None)
        ]

    def _published(self) -> list[RSAKey | ECKey]:
        now = self._clock()
        return [key for key, retire in self._keys if retire is None or now < retire]

    @property
    def active(self) -> RSAKey | ECKey:
        return self._keys[0][0]

    @property
    def kid(self) -> str:
        return str(self.active.kid)

    @property
    def keyset(self) -> KeySet:
        return KeySet(list[Any](self._published()))

    def kids(self) -> tuple[str, ...]:
        return tuple(str(key.kid) for key in self._published())

    def jwks(self) -> dict[str, Any]:
        """The public JWKS document (a fresh copy each call)."""
        return {"keys": [dict(key.as_dict(private=False)) for key in self._published()]}

    def rotate(self, *, grace: float | None = None, kid: str | None = None) -> str:
        """Make a new key active; returns its ``kid``.

        The previous keys stay published for ``grace`` seconds of provider time
        (``None``: until the next reset; ``0``: dropped at once).
        """
        if grace is not None and (
            isinstance(grace, bool) or not isinstance(grace, (int, float)) or grace < 0
        ):
            raise ValueError(
                f"grace must be a number of seconds >= 0, or None to keep the old key; got {grace!r}"
            )
        if kid is not None and kid in {str(k.kid) for k, _ in self._keys}:
            raise ValueError(f"kid {kid!r} is already used by one of this provider's keys")
        self._generation += 1
        key = session_key(self.algorithm, self._slot, self._generation)
        if kid is not None:
            key = relabel(key, kid)
        retire_at = None if grace is None else self._clock() + float(grace)
        kept: list[tuple[RSAKey | ECKey, float | None]] = []
        for old, retire in self._keys:
            # A key already on its way out keeps its earlier end.
            if retire is None or (retire_at is not None and retire_at < retire):
                retire = retire_at
            kept.append((old, retire))
        self._keys = [(key, None), *kept]
        return str(key.kid)

    def relabel_active(self, kid: str) -> None:
        """Publish the active key under ``kid`` (tokens signed before keep the old kid)."""
        self._keys[0] = (relabel(self.active, kid), self._keys[0][1])

    def __repr__(self) -> str:
        return f"<SigningKeys {self.algorithm} active={self.kid!r} published={list(self.kids())}>"
