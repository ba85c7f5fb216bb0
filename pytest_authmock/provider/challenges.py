"""``WWW-Authenticate`` challenges (RFC 9110 §11.6.1, RFC 6750 §3) built from parameters."""

from __future__ import annotations


def quoted(value: str) -> str:
    # RFC 6750 §3: attribute values are printable ASCII without '"' and '\'.
    cleaned = "".join(c if 0x20 <= ord(c) <= 0x7E and c not in '"\\' else "'" for c in value)
    return f'"{cleaned}"'


def bearer(realm: str, **params: str | None) -> str:
    """A ``Bearer`` challenge with ``realm`` and the given auth-params (``None`` ones left out)."""
    parts = [f"realm={quoted(realm)}"]
    parts += [f"{name}={quoted(value)}" for name, value in params.items() if value is not None]
    return "Bearer " + ", ".join(parts)


def with_params(challenge: str, **params: str) -> str:
    """``challenge`` with more auth-params appended (RFC 9110 §11.2)."""
    added = ", ".join(f"{name}={quoted(value)}" for name, value in params.items())
    scheme, _, existing = challenge.partition(" ")
    return f"{scheme} {existing}, {added}" if existing.strip() else f"{scheme} {added}"
