"""Redirect URIs: validating what a client registers, matching what a request sends."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

# RFC 8252 §7.3: native apps listen on a loopback IP literal with whatever port
# the OS gave them. ``localhost`` is NOT RECOMMENDED there (§8.3) but common
# enough (and harmless on a test machine) to be treated the same way.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def check_redirect_uris(uris: Iterable[str] | None, *, client_id: str) -> tuple[str, ...]:
    """Validate ``add_client(redirect_uris=...)`` (RFC 6749 §3.1.2)."""
    if uris is None:
        return ()
    if isinstance(uris, str):
        raise TypeError(f"redirect_uris must be a list of URIs, not the string {uris!r}")
    checked: list[str] = []
    for uri in uris:
        if not isinstance(uri, str) or not uri:
            raise ValueError(f"client {client_id!r}: redirect URI {uri!r} is not a string")
        parts = urlsplit(uri)
        if not parts.scheme or not (parts.netloc or parts.path):
            raise ValueError(
                f"client {client_id!r}: redirect URI {uri!r} must be absolute "
                "(https://app.example/callback, http://127.0.0.1/callback or com.example.app:/cb)"
            )
        if "#" in uri:
            raise ValueError(
                f"client {client_id!r}: redirect URI {uri!r} has a fragment (RFC 6749 §3.1.2 forbids it)"
            )
        if parts.scheme in ("http", "https") and not parts.hostname:
            raise ValueError(f"client {client_id!r}: redirect URI {uri!r} has no host")
        checked.append(uri)
    return tuple(checked)


def is_loopback(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


def matches(registered: str, given: str) -> bool:
    """Exact string comparison (RFC 9700 §4.1.3), except the port of loopback URIs."""
    if registered == given:
        return True
    if not (is_loopback(registered) and is_loopback(given)):
        return False
    want, got = urlsplit(registered), urlsplit(given)
    try:
        port = got.port
    except ValueError:
        return False
    return (
        want.hostname == got.hostname
        and (want.path or "/") == (got.path or "/")
        and want.query == got.query
        and want.username is None
        and got.username is None
        and (port is None or 0 < port < 65536)
    )
