"""The device authorization grant (RFC 8628): endpoint, token grant and verification page."""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING, Any

import httpx
from cryptography import x509

from pytest_authmock.provider import pages
from pytest_authmock.provider.clientauth import Audience, authenticate
from pytest_authmock.provider.errors import (
    AccessDenied,
    AuthorizationPending,
    ExpiredToken,
    InvalidGrant,
    InvalidRequest,
    OAuthError,
    SlowDown,
)
from pytest_authmock.provider.flowstate import DeviceAuthorization, FlowState, iso
from pytest_authmock.provider.grants import (
    GrantRequest,
    grant_request,
    requested_scope,
    require_grant,
    token_response,
)
from pytest_authmock.provider.http import json_response, read_form, require_method
from pytest_authmock.provider.models import Client, User

if TYPE_CHECKING:
    from pytest_authmock.provider.idp import FakeIdP

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
PATH = "/oauth2/device_authorization"
VERIFICATION_PATH = "/device"
#: RFC 8628 §6.1: base-20 consonants, so codes read aloud or typed from a TV
#: screen cannot be confused (no 0/O, 1/I) and never spell words.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
_USER_CODE_LENGTH = 8  # 20^8 ≈ 2^34.6, RFC 8628 §5.1's example entropy

Trace = dict[str, Any]


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


def start(idp: FakeIdP, client: Client, scope: tuple[str, ...]) -> DeviceAuthorization:
    """Create a pending device authorization for ``client``."""
    flows = idp.store.flows
    now = idp.clock.now()
    code = _new_user_code(flows)
    authz = DeviceAuthorization(
        device_code=secrets.token_urlsafe(32),
        user_code=format_user_code(code),
        client_id=client.client_id,
        scope=scope,
        created_at=now,
        expires_at=now + flows.settings.device_code_ttl,
        interval=flows.settings.device_interval,
    )
    flows.devices[authz.device_code] = authz
    flows.user_codes[code] = authz
    auto = flows.settings.auto_approve
    user = idp.store.users.get(auto) if auto is not None else None
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


# -- the device authorization endpoint (RFC 8628 §3.1, §3.2) ---------------------------


def device_authorization(
    idp: FakeIdP, request: httpx.Request, peer: x509.Certificate | None, trace: Trace
) -> httpx.Response:
    require_method(request, "POST")
    params = read_form(request)
    if "client_id" in params:
        trace["client_id"] = params["client_id"]
    client = authenticate(idp.store, request, params, peer, Audience.of(idp, request)).client
    trace["client_id"] = client.client_id
    # RFC 8628 §3.1: the client asks to use the device grant, so it must be allowed it.
    require_grant(idp, client, GRANT_TYPE)
    grant = grant_request(idp, client, params, peer)
    authz = start(idp, client, requested_scope(grant))
    verification = idp.issuer + VERIFICATION_PATH
    complete = httpx.URL(verification, params={"user_code": authz.user_code})
    return json_response(
        200,
        {
            "device_code": authz.device_code,
            "user_code": authz.user_code,
            "verification_uri": verification,
            "verification_uri_complete": str(complete),
            "expires_in": int(authz.expires_at - authz.created_at),
            "interval": authz.interval,
        },
    )


# -- the token endpoint's device_code grant (RFC 8628 §3.4, §3.5) ---------------------


def issue_user_tokens(
    grant: GrantRequest, user: User, scope: tuple[str, ...], *, nonce: str | None = None
) -> tuple[dict[str, Any], str]:
    """Access (+ refresh, + id) token for a user, in a new grant family; and the family."""
    family_id = secrets.token_hex(8)
    refresh = None
    if grant.client.allows_grant("refresh_token"):
        refresh = grant.minter.refresh_token(
            client=grant.client, user=user, scope=scope, family_id=family_id
        )
    body = token_response(
        grant, user=user, scope=scope, family_id=family_id, refresh=refresh, nonce=nonce
    )
    return body, family_id


def device_code_grant(grant: GrantRequest) -> dict[str, Any]:
    code = grant.params.get("device_code")
    if not code:
        raise InvalidRequest(
            "the device_code grant needs the device_code parameter (RFC 8628 §3.4)"
        )
    flows = grant.store.flows
    authz = flows.devices.get(code)
    if authz is None:
        raise InvalidGrant(
            "device code is unknown: this provider never issued it (or the test reset the provider)"
        )
    grant.username = authz.username
    if authz.client_id != grant.client.client_id:
        raise InvalidGrant(
            f"device code was issued to another client, not {grant.client.client_id!r}"
        )
    if authz.status == "used":
        raise InvalidGrant("device code was already exchanged for tokens; it works once")
    now = grant.minter.clock.now()
    if authz.expired(now):
        raise ExpiredToken(
            f"device code expired at {iso(authz.expires_at)}; start a new device authorization"
        )
    if authz.status == "denied":
        raise AccessDenied("the user denied the device authorization request")
    if authz.status == "pending":
        last, authz.last_poll = authz.last_poll, now
        if last is not None and now - last < authz.interval:
            # RFC 8628 §3.5: the interval grows by 5 s for this and every later request.
            authz.interval += 5
            raise SlowDown(
                f"polling too fast; wait at least {authz.interval} seconds between requests"
            )
        raise AuthorizationPending(
            f"the user has not yet entered code {authz.user_code} at the verification page"
        )
    user = grant.store.users.get(authz.username or "")
    if user is None or user.disabled:
        raise InvalidGrant(f"user {authz.username!r} is disabled or no longer exists")
    authz.status = "used"
    body, _ = issue_user_tokens(grant, user, authz.scope)
    return body


# -- the verification page (RFC 8628 §3.3) --------------------------------------------


def verification_page(
    idp: FakeIdP, request: httpx.Request, peer: x509.Certificate | None, trace: Trace
) -> httpx.Response:
    require_method(request, "GET", "POST")
    action = idp.issuer + VERIFICATION_PATH
    now = idp.clock.now()
    flows = idp.store.flows
    if request.method == "GET":
        user_code = request.url.params.get("user_code", "")
        if not user_code:
            return pages.device_form(idp, pages.guard(idp, request), action=action)
        try:
            authz = lookup(flows, user_code, now)
        except LookupError as error:
            trace["error"] = "invalid_user_code"
            return pages.device_form(
                idp,
                pages.guard(idp, request),
                action=action,
                user_code=user_code,
                error=_sentence(str(error)),
                error_field="user_code",
                status=400,
            )
        trace["client_id"] = authz.client_id
        return pages.device_form(
            idp,
            pages.guard(idp, request),
            action=action,
            user_code=authz.user_code,
            client_id=authz.client_id,
            scope=authz.scope,
        )
    try:
        form = read_form(request)
    except OAuthError as error:
        trace["error"] = error.error
        return pages.message(idp, "Bad request", error.description, status=400, ok=False)
    user_code = form.get("user_code", "")
    username = form.get("username", "")

    def again(message: str, field: str | None, status: int, error: str) -> httpx.Response:
        trace["error"] = error
        return pages.device_form(
            idp,
            pages.guard(idp, request),
            action=action,
            user_code=user_code,
            username=username,
            error=message,
            error_field=field,
            status=status,
        )

    refused = pages.check_form(idp, request, form)
    if refused is not None:
        return again(refused, None, 403, "invalid_csrf")
    if not user_code:
        return again("Enter the code shown on your device.", "user_code", 400, "invalid_request")
    try:
        authz = lookup(flows, user_code, now)
    except LookupError as error:
        return again(_sentence(str(error)), "user_code", 400, "invalid_user_code")
    trace["client_id"] = authz.client_id
    choice = form.get("action")
    if choice == "deny":
        deny(authz)
        trace["error"] = "access_denied"
        return pages.message(
            idp,
            "Request denied",
            f"{authz.client_id} will not be signed in. You can close this window.",
        )
    if choice != "approve":
        return again("Choose Approve or Deny.", None, 400, "invalid_request")
    trace["username"] = username
    user = idp.store.users.get(username)
    password = form.get("password", "")
    if (
        user is None
        or not hmac.compare_digest(user.password.encode(), password.encode())
        or user.disabled
    ):
        return again("Wrong username or password.", "credentials", 401, "invalid_credentials")
    approve(authz, user)
    return pages.message(
        idp,
        "Device connected",
        f"{authz.client_id} is now signed in as {user.username}. "
        "You can close this window and return to your device.",
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."
