"""Helpers that keep secrets out of reprs, messages and logs.

A token is never shown; a short fingerprint is, so that two log lines can
still be matched up ("the token that failed is the one we stored"). Passwords
and client secrets are masked without a fingerprint: people choose them, and a
hash prefix of a weak one would let a dictionary confirm a guess.
"""

from __future__ import annotations

import hashlib

__all__ = ["fingerprint"]


def fingerprint(secret: str | bytes | None) -> str:
    """Return ``sha256:`` and the first 8 hex digits of the secret's digest.

    Eight hex digits are enough to tell a handful of tokens apart and far too
    few to help anyone guess a secret.
    """
    if secret is None:
        return "none"
    data = secret.encode() if isinstance(secret, str) else secret
    return "sha256:" + hashlib.sha256(data).hexdigest()[:8]
