"""Scope strings (RFC 6749 §3.3): parsing what a request sends, checking what a client registers."""

from __future__ import annotations

import re

from pytest_authmock.provider.errors import InvalidScope

# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


def parse_scope(raw: str) -> tuple[str, ...]:
    """The scope tokens of a ``scope`` parameter, in order, without repeats.

    Raises ``invalid_scope`` naming the first token with characters §3.3 does not allow.
    """
    scopes: list[str] = []
    for token in raw.split(" "):
        if token == "":
            continue
        if not _SCOPE_TOKEN.fullmatch(token):
            raise InvalidScope(f"scope {token!r} has characters RFC 6749 §3.3 does not allow")
        if token not in scopes:
            scopes.append(token)
    return tuple(scopes)


def is_scope_token(value: str) -> bool:
    """Whether ``value`` is exactly one scope token (a name a client may register)."""
    return bool(_SCOPE_TOKEN.fullmatch(value))
