"""Switches and state of the discovery-era standards: resource indicators, dynamic
registration, pushed authorization requests and browser sessions (logout).

A leaf module (it imports only :mod:`models`), held by the flow state, so a
provider reset forgets all of it at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections import OrderedDict
from typing import Any

from pytest_authmock.provider.models import fingerprint

#: RFC 9126 §2.2 gives 60 seconds as an example lifetime of a ``request_uri``;
#: the request is used within seconds of being pushed.
REQUEST_URI_TTL = 60


@dataclasses.dataclass
class ProtocolSettings:
    """Switches of resource indicators, registration, PAR and logout.

    Change them on ``idp.protocol_settings``; a feature switched off is no longer
    advertised in the metadata and its endpoint answers 404.
    """

    #: RFC 8707: the resource indicators tokens may be asked for; ``None``: any
    #: absolute URI (clients may still be limited with ``add_client(resources=...)``).
    resources: tuple[str, ...] | None = None
    #: RFC 7591 dynamic client registration (and RFC 7592 management).
    dynamic_registration: bool = True
    #: RFC 7591 §3: the bearer token a registration must carry; ``None``: open
    #: registration, as test providers usually are.
    initial_access_token: str | None = dataclasses.field(default=None, repr=False)
    #: RFC 9126 pushed authorization requests.
    pushed_authorization_requests: bool = True
    #: RFC 9126 §5: every authorization request must be pushed first.
    require_pushed_authorization_requests: bool = False
    #: Seconds a pushed request's ``request_uri`` stays usable.
    request_uri_ttl: int = REQUEST_URI_TTL
    #: OIDC RP-Initiated Logout 1.0: the ``end_session_endpoint``.
    end_session: bool = True
    #: Whether signing in on the authorization page starts a browser session
    #: (a cookie), so later authorization requests from that browser are
    #: answered without the page until the session ends (logout).
    browser_sessions: bool = True


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclasses.dataclass(eq=False)
class Registration:
    """RFC 7592: how a dynamically registered client manages its registration."""

    client_id: str
    #: SHA-256 of the registration access token; the token itself is shown once.
    access_token_digest: str = dataclasses.field(repr=False)
    #: The client metadata as registered (RFC 7591 §3.2.1 answer, without secrets).
    metadata: dict[str, Any]
    issued_at: int

    def accepts(self, token: str) -> bool:
        return hmac.compare_digest(self.access_token_digest, digest(token))


@dataclasses.dataclass(eq=False)
class PushedRequest:
    """RFC 9126: an authorization request pushed to the provider, redeemed by its ``request_uri``."""

    request_uri: str = dataclasses.field(repr=False)
    client_id: str
    #: The authorization request's parameters (a repeatable one keeps all values).
    params: dict[str, str] = dataclasses.field(repr=False)
    expires_at: float
    used: bool = False


@dataclasses.dataclass(eq=False)
class BrowserSession:
    """A user signed in on the authorization page, remembered by a cookie."""

    sid: str = dataclasses.field(repr=False)
    username: str
    auth_time: float
    #: Clients the session signed in to (OIDC RP-Initiated Logout names them).
    client_ids: set[str] = dataclasses.field(default_factory=set)

    def __repr__(self) -> str:
        return (
            f"BrowserSession(sid=<{fingerprint(self.sid)}>, username={self.username!r}, "
            f"client_ids={sorted(self.client_ids)})"
        )


class ProtocolState:
    """Everything the registration, PAR and session endpoints remember."""

    def __init__(self) -> None:
        self.settings = ProtocolSettings()
        self.registrations: dict[str, Registration] = {}  # client_id -> registration
        # Ordered: the oldest leave first, in O(1) (a dict re-scans its deleted head).
        self.pushed: OrderedDict[str, PushedRequest] = OrderedDict()  # request_uri -> request
        self.sessions: OrderedDict[str, BrowserSession] = OrderedDict()  # sid -> session
