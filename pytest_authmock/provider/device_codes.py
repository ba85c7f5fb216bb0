"""Device authorization requests (RFC 8628): user codes, and where each request stands.

The endpoints (``endpoints/device.py``), the device_code grant and the test API
(``idp.approve_device()``) all move a request through the same states here:
``pending`` -> ``approved`` or ``denied`` -> ``used``.
"""

from __future__ import annotations

import secrets

from pytest_authmock.provider.flow_state import DeviceAuthorization, FlowState, iso
from pytest_authmock.provider.models import Client, User
from pytest_authmock.provider.store import Store

#: RFC 8628 §6.1: base-20 consonants, so codes read aloud or typed from a TV
#: screen cannot be confused (no 0/O, 1/I) and never spell words.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
_USER_CODE_LENGTH = 8  # 20^8 ≈ 2^34.6, RFC 8628 §5.1's example entropy


def normalise_user_code(raw: str) -> str:
    """What the user typed, without dashes, spaces and case (RFC 8628 §6.1)."""
    return "".join(char for char in raw.upper() if char.isalnum())


def format_user_code(code: str) -> str:
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def _new_user_code(flows: FlowState) -> str:
    while True:
        code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(_USER_CODE_LENGTH))
        if code not in flows.user_codes:
            return code


def start(
    store: Store,
    client: Client,
    scope: tuple[str, ...],
    now: float,
    resources: tuple[str, ...] = (),
) -> DeviceAuthorization:
    """Create a pending device authorization for ``client`` (RFC 8707 ``resources`` too)."""
    flows = store.flows
    code = _new_user_code(flows)
    authz = DeviceAuthorization(
        device_code=secrets.token_urlsafe(32),
        user_code=format_user_code(code),
        client_id=client.client_id,
        scope=scope,
        created_at=now,
        expires_at=now + flows.settings.device_code_ttl,
        interval=flows.settings.device_interval,
        resources=resources,
    )
    flows.devices[authz.device_code] = authz
    flows.user_codes[code] = authz
    auto = flows.settings.auto_approve
    user = store.users.get(auto) if auto is not None else None
    if user is not None and not user.disabled:
        approve(authz, user)  # headless tests: as if the user confirmed at once
    return authz


def lookup(flows: FlowState, user_code: str, now: float) -> DeviceAuthorization:
    """The pending request for a code a user typed, or ``LookupError`` saying why not."""
    authz = flows.user_codes.get(normalise_user_code(user_code))
    if authz is None:
        raise LookupError(
            f"code {user_code!r} is not valid; check it against the one shown on your device"
        )
    if authz.expired(now):
        raise LookupError(
            f"code {authz.user_code} expired at {iso(authz.expires_at)}; "
            "start the sign-in on your device again to get a new one"
        )
    if authz.status != "pending":
        raise LookupError(f"code {authz.user_code} was already {authz.status}")
    return authz


def approve(authz: DeviceAuthorization, user: User) -> None:
    authz.status = "approved"
    authz.username = user.username


def deny(authz: DeviceAuthorization) -> None:
    authz.status = "denied"
