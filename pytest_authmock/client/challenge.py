"""Parse ``WWW-Authenticate: Bearer ...`` challenges (RFC 6750 §3)."""

from __future__ import annotations

import re

__all__ = ["is_invalid_token", "parse_bearer_challenge"]

# auth-param = token BWS "=" BWS ( token / quoted-string )   (RFC 9110 §11.2)
_PARAM = re.compile(r'([A-Za-z0-9_\-.]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def parse_bearer_challenge(header: str) -> dict[str, str]:
    """The parameters of the Bearer challenge in ``header``; empty if there is none.

    A header can carry several challenges (``Basic realm="x", Bearer error=...``);
    only the parameters after ``Bearer`` and before the next scheme are returned.
    """
    match = re.search(r"(?:^|[\s,])Bearer(?:\s+|$)", header, flags=re.IGNORECASE)
    if not match:
        return {}
    rest = header[match.end() :]
    params: dict[str, str] = {}
    pos = 0
    while pos < len(rest):
        param = _PARAM.match(rest, pos)
        if not param:
            break  # the next challenge's scheme, or garbage
        quoted, plain = param.group(2), param.group(3)
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else plain
        params[param.group(1).lower()] = value
        pos = param.end()
        separator = re.match(r"\s*,\s*", rest[pos:])
        if not separator:
            break
        pos += separator.end()
    return params


def is_invalid_token(header: str | None) -> bool:
    """True for a challenge saying the token itself is bad (RFC 6750 §3.1)."""
    return bool(header) and parse_bearer_challenge(header or "").get("error") == "invalid_token"
