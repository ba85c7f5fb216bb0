"""Signing keys: generated once per process (so once per xdist worker) and shared."""

from __future__ import annotations

import threading
from typing import Any

from joserfc.jwk import ECKey, KeyParameters, KeySet, RSAKey

_cache: dict[str, list[RSAKey | ECKey]] = {}
_lock = threading.Lock()


def _generate(algorithm: str, index: int) -> RSAKey | ECKey:
    kid = f"authmock-{algorithm.lower()}-{index}"
    params: KeyParameters = {"kid": kid, "alg": algorithm, "use": "sig"}
    key: RSAKey | ECKey
    if algorithm == "RS256":
        # 2048 bits: the smallest size RFC 7518 §3.3 allows, and the fastest to sign.
        key = RSAKey.generate_key(2048, parameters=params, private=True)
    else:
        key = ECKey.generate_key("P-256", parameters=params, private=True)
    return key


def session_key(algorithm: str, index: int = 0) -> RSAKey | ECKey:
    """The ``index``-th key for ``algorithm``, generated on first use in this process.

    RSA generation takes ~50 ms; doing it per test would dominate a suite.
    """
    with _lock:
        keys = _cache.setdefault(algorithm, [])
        while len(keys) <= index:
            keys.append(_generate(algorithm, len(keys)))
        return keys[index]


class SigningKeys:
    """The keys one provider signs with and publishes; the first is the active one."""

    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        self._keys: list[RSAKey | ECKey] = [session_key(algorithm, 0)]
        self._rebuild()

    def _rebuild(self) -> None:
        self._keyset = KeySet(list(self._keys))
        self._jwks = {"keys": [key.as_dict(private=False) for key in self._keys]}

    @property
    def active(self) -> RSAKey | ECKey:
        return self._keys[0]

    @property
    def kid(self) -> str:
        return str(self.active.kid)

    @property
    def keyset(self) -> KeySet:
        return self._keyset

    def kids(self) -> tuple[str, ...]:
        return tuple(str(key.kid) for key in self._keys)

    def jwks(self) -> dict[str, Any]:
        """The public JWKS document (a fresh copy each call)."""
        return {"keys": [dict(key) for key in self._jwks["keys"]]}
