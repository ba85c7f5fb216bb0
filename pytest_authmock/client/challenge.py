"""Parse ``WWW-Authenticate`` challenges: ``Bearer`` (RFC 6750 §3) and ``DPoP`` (RFC 9449 §7.1)."""

from __future__ import annotations

import re

__all__ = ["is_invalid_token", "parse_bearer_challenge", "parse_challenge"]

# auth-param = token BWS "=" BWS ( token / quoted-string )   (RFC 9110 §11.2)
_PARAM = re.compile(r'([A-Za-z0-9_\-.]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def parse_bearer_challenge(header: str) -> dict[str, str]:
    """The parameters of the Bearer challenge in ``header``; empty if there is none."""
    return parse_challenge(header, "Bearer")


def parse_challenge(header: str, scheme: str) -> dict[str, str]:
    """The parameters of the ``scheme`` challenge in ``header``; empty if there is none.

    A header can carry several challenges (``Basic realm="x", Bearer error=...``);
    only the parameters after ``scheme`` and before the next scheme are returned.
    """
    match = re.search(rf"(?:^|[\s,]){re.escape(scheme)}(?:\s+|$)", header, flags=re.IGNORECASE)
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
    """True for a challenge saying the token itself is bad (RFC 6750 §3.1, RFC 9449 §7.1)."""
    return bool(header) and any(
        parse_challenge(header or "", scheme).get("error") == "invalid_token"
        for scheme in ("Bearer", "DPoP")
    )
