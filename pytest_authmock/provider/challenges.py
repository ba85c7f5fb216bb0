"""``WWW-Authenticate`` challenges (RFC 9110 §11.6.1, RFC 6750 §3) built from parameters."""

from __future__ import annotations

from pytest_authmock.provider.errors import wire_text


def quoted(value: str) -> str:
    """``value`` as a quoted auth-param, in the characters RFC 6750 §3 allows."""
    return f'"{wire_text(value)}"'


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
