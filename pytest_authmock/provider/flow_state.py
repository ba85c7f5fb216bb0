"""State of the interactive flows: device codes, authorization codes, API tokens, CSRF tokens.

A leaf module (it imports only :mod:`.models`), so :class:`~pytest_authmock.provider.store.Store`
can hold a :class:`FlowState` and a provider reset forgets all of it at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
from datetime import datetime, timezone

from pytest_authmock.provider.models import TokenRecord, fingerprint
from pytest_authmock.provider.protocol_state import ProtocolState

#: RFC 8628 §3.2 leaves the lifetime to the server; five minutes is what most hosted
#: providers use.
DEVICE_CODE_TTL = 300
#: RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default."
DEVICE_INTERVAL = 5
#: RFC 6749 §4.1.2 recommends at most 10 minutes; a browser redirect needs seconds.
AUTHORIZATION_CODE_TTL = 60
#: How long a rendered form stays submittable.
CSRF_TTL = 600
#: The scope a bearer token needs at the API-token management endpoints.
API_TOKEN_ADMIN_SCOPE = "api_tokens:admin"


@dataclasses.dataclass
class FlowSettings:
    """Switches of the browser and device flows; change them on ``idp.flow_settings``."""

    device_code_ttl: int = DEVICE_CODE_TTL
    device_interval: int = DEVICE_INTERVAL
    authorization_code_ttl: int = AUTHORIZATION_CODE_TTL
    #: A username: the authorization endpoint signs this user in and approves at
    #: once, without a page, and new device codes are approved for them at once
    #: (headless tests). ``None``: the user has to use the pages.
    auto_approve: str | None = None
    #: RFC 7636 ``plain`` is refused unless switched on (RFC 9700 §2.1.1).
    allow_plain_pkce: bool = False
    #: Require PKCE from confidential clients too (public clients always need it).
    require_pkce_for_confidential: bool = False
    api_token_admin_scope: str = API_TOKEN_ADMIN_SCOPE
    #: A line the sign-in and device pages show above their form (``authmock serve``
    #: says there how to sign in as its demo user).
    sign_in_hint: str | None = None


@dataclasses.dataclass(eq=False)
class DeviceAuthorization:
    """One RFC 8628 device authorization request and where it stands.

    ``status`` is ``"pending"``, ``"approved"``, ``"denied"`` or ``"used"`` (tokens issued).
    """

    device_code: str = dataclasses.field(repr=False)
    user_code: str
    client_id: str
    scope: tuple[str, ...]
    created_at: float
    expires_at: float
    interval: int
    status: str = "pending"
    username: str | None = None
    last_poll: float | None = None
    #: RFC 8707: the resources the device asked for, which bound its token requests.
    resources: tuple[str, ...] = ()

    def expired(self, now: float) -> bool:
        return now >= self.expires_at

    def __repr__(self) -> str:
        return (
            f"DeviceAuthorization(user_code={self.user_code!r}, client_id={self.client_id!r}, "
            f"scope={' '.join(self.scope)!r}, status={self.status!r}, username={self.username!r})"
        )


@dataclasses.dataclass(eq=False)
class AuthorizationCode:
    """An RFC 6749 §4.1 authorization code: one-time, short-lived, bound to its request."""

    code: str = dataclasses.field(repr=False)
    client_id: str
    username: str
    redirect_uri: str
    #: Whether the authorization request carried ``redirect_uri`` (RFC 6749 §4.1.3).
    redirect_uri_given: bool
    scope: tuple[str, ...]
    nonce: str | None
    code_challenge: str | None = dataclasses.field(repr=False)
    code_challenge_method: str | None
    created_at: float
    expires_at: float
    #: RFC 8707 §2.1: the resources the authorization request named.
    resources: tuple[str, ...] = ()
    #: When the user signed in (a browser session may be older than the code).
    auth_time: float | None = None
    used: bool = False
    #: The refresh-token family of the tokens issued for it, revoked on a replay.
    family_id: str | None = None
    #: RFC 9449 §10: the DPoP key thumbprint the code is bound to (``dpop_jkt``).
    dpop_jkt: str | None = None


@dataclasses.dataclass(eq=False)
class ApiToken:
    """A personal or service-account API token, as the management API lists it.

    ``token`` (the secret) is only known right after creation; ``record`` is the
    access-token record the protected resources and introspection check.
    """

    id: str
    name: str
    owner: str  # the creator's ``sub``
    username: str | None
    client_id: str
    scopes: tuple[str, ...]
    created_at: float
    expires_at: float | None
    record: TokenRecord = dataclasses.field(repr=False)
    #: The session (refresh-token family) the token is bound to, if any: only a
    #: token of that session may revoke it ("revoke it from the device that created it").
    bound_session: str | None = None

    @property
    def token(self) -> str:
        """The secret value; show it once, never log it."""
        return self.record.value

    @property
    def revoked(self) -> bool:
        return self.record.revoked

    @property
    def last_used_at(self) -> float | None:
        return self.record.last_used_at

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def describe(self, now: float) -> dict[str, object]:
        """The JSON the management API lists: everything but the secret."""
        return {
            "id": self.id,
            "name": self.name,
            "scopes": list(self.scopes),
            "created_at": iso(self.created_at),
            "expires_at": None if self.expires_at is None else iso(self.expires_at),
            "last_used_at": None if self.last_used_at is None else iso(self.last_used_at),
            "expired": self.expired(now),
            "bound_to_session": self.bound_session is not None,
            "client_id": self.client_id,
            "username": self.username,
        }

    def __repr__(self) -> str:
        return (
            f"ApiToken(id={self.id!r}, name={self.name!r}, token=<{fingerprint(self.token)}>, "
            f"owner={self.owner!r}, scopes={' '.join(self.scopes)!r}, revoked={self.revoked})"
        )


def iso(timestamp: float) -> str:
    """RFC 3339 UTC, second precision."""
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class CsrfTokens:
    """Synchroniser tokens for the HTML forms, bound to a per-browser cookie.

    A form carries a one-time token the provider issued; it is only accepted
    together with the cookie it was issued for (so a page on another origin,
    which cannot read the form, cannot forge a submission either).
    """

    COOKIE = "authmock_csrf"

    def __init__(self) -> None:
        self._issued: dict[str, tuple[str, float]] = {}

    @staticmethod
    def _bind(cookie: str) -> str:
        return hashlib.sha256(cookie.encode()).hexdigest()

    def issue(self, cookie: str, now: float) -> str:
        self._issued = {k: v for k, v in self._issued.items() if v[1] > now}
        token = secrets.token_urlsafe(24)
        self._issued[token] = (self._bind(cookie), now + CSRF_TTL)
        return token

    def consume(self, token: str | None, cookie: str | None, now: float) -> bool:
        if not token or not cookie:
            return False
        entry = self._issued.pop(token, None)
        if entry is None:
            return False
        binding, expires_at = entry
        return now < expires_at and hmac.compare_digest(binding, self._bind(cookie))


class FlowState:
    """Everything the device, authorization-code and API-token flows remember."""

    def __init__(self) -> None:
        self.settings = FlowSettings()
        self.devices: dict[str, DeviceAuthorization] = {}  # device_code -> request
        self.user_codes: dict[str, DeviceAuthorization] = {}  # normalised user_code -> request
        self.codes: dict[str, AuthorizationCode] = {}
        self.api_tokens: dict[str, ApiToken] = {}  # id -> token
        self.csrf = CsrfTokens()
        #: Resource indicators, registration, pushed requests and browser sessions.
        self.protocol = ProtocolState()
