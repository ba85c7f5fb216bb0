"""The device authorization grant (RFC 8628), as a command-line tool runs it.

``DeviceFlow.start()`` asks the provider for a code and returns what to show
the user (the URL and the code); ``poll()`` then waits for the user, honouring
``interval`` and ``slow_down``, and returns the tokens or raises a specific
error: :class:`DeviceFlowExpired`, :class:`DeviceFlowDenied`,
:class:`DeviceFlowCancelled`. ``astart()``/``apoll()`` are the async twins (an
``asyncio`` task running ``apoll`` can also simply be cancelled).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, ClassVar

import httpx

from pytest_authmock.client.assertion import apply_client_auth
from pytest_authmock.client.errors import (
    AuthError,
    ConfigurationError,
    InvalidCredentials,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
)
from pytest_authmock.client.grants import Form, Resources, resource_form, resources
from pytest_authmock.client.oauth import OAuthClient
from pytest_authmock.client.responses import json_body, oauth_error
from pytest_authmock.client.tokens import Token

__all__ = [
    "DEVICE_CODE_GRANT",
    "DeviceAuthorization",
    "DeviceCodeGrant",
    "DeviceFlow",
    "DeviceFlowCancelled",
    "DeviceFlowDenied",
    "DeviceFlowError",
    "DeviceFlowExpired",
]

logger = logging.getLogger("pytest_authmock.client")

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
#: RFC 8628 §3.2: without an ``interval`` in the answer, clients MUST wait 5 s.
DEFAULT_INTERVAL = 5.0
#: RFC 8628 §3.5: ``slow_down`` adds 5 s to this and every later interval.
SLOW_DOWN_STEP = 5.0


class DeviceFlowError(AuthError):
    """The device flow ended without tokens."""


class DeviceFlowExpired(DeviceFlowError):
    """The user did not confirm in time; start the flow again for a new code."""


class DeviceFlowDenied(DeviceFlowError):
    """The user denied the request at the verification page."""


class DeviceFlowCancelled(DeviceFlowError):
    """The caller cancelled the wait (Ctrl-C handler, ``cancel`` event)."""


@dataclasses.dataclass(frozen=True)
class DeviceCodeGrant:
    """RFC 8628 §3.4. Not idempotent: a lost answer would be a used code on resend."""

    device_code: str = dataclasses.field(repr=False)
    #: RFC 8707 resource indicators, sent again with every poll.
    resource: Resources = ()
    grant_type: ClassVar[str] = DEVICE_CODE_GRANT
    reusable: ClassVar[bool] = False
    idempotent: ClassVar[bool] = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "resource", resources(self.resource))

    def form(self) -> Form:
        return {
            "grant_type": self.grant_type,
            "device_code": self.device_code,
            **resource_form(self.resource),
        }


@dataclasses.dataclass(frozen=True)
class DeviceAuthorization:
    """What to show the user, and what the client polls with (``device_code``, secret)."""

    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    #: Client-clock epoch seconds after which the code is no longer valid.
    expires_at: float
    interval: float
    device_code: str = dataclasses.field(repr=False)

    @property
    def url(self) -> str:
        """The URL to open: with the code filled in when the provider offers that."""
        return self.verification_uri_complete or self.verification_uri

    def instructions(self) -> str:
        """A line a CLI can print."""
        return f"Open {self.verification_uri} and enter the code {self.user_code}"

    @classmethod
    def from_response(cls, body: Any, now: float) -> DeviceAuthorization:
        if not isinstance(body, Mapping):
            raise ProviderError("the device authorization answer is not a JSON object")
        # Some providers (Google) still say verification_url, from a draft of RFC 8628.
        uri = body.get("verification_uri") or body.get("verification_url")
        fields = (body.get("device_code"), body.get("user_code"), uri)
        if not all(isinstance(value, str) and value for value in fields):
            raise ProviderError(
                "the device authorization answer lacks device_code, user_code or "
                "verification_uri (RFC 8628 §3.2)"
            )
        expires_in = body.get("expires_in")
        interval = body.get("interval", DEFAULT_INTERVAL)
        if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)):
            raise ProviderError("the device authorization answer has no numeric expires_in")
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval < 0:
            interval = DEFAULT_INTERVAL
        complete = body.get("verification_uri_complete")
        return cls(
            user_code=str(body["user_code"]),
            verification_uri=str(uri),
            verification_uri_complete=complete if isinstance(complete, str) else None,
            expires_at=now + float(expires_in),
            interval=float(interval),
            device_code=str(body["device_code"]),
        )


class DeviceFlow:
    """Run RFC 8628 against ``oauth``'s issuer (found through its metadata).

    ``resource``: RFC 8707 resource indicator(s), sent with the device
    authorization request and with every poll. ``sleep``/``async_sleep`` wait
    between polls; tests inject ones that move a fake clock instead of waiting.
    """

    def __init__(
        self,
        oauth: OAuthClient,
        *,
        scopes: Sequence[str] = (),
        resource: Resources = (),
        sleep: Callable[[float], None] = time.sleep,
        async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if isinstance(scopes, str):
            raise TypeError(f"scopes must be a list of scope names, not the string {scopes!r}")
        self.oauth = oauth
        self.scopes = tuple(scopes)
        self.resource = resources(resource)
        self._sleep = sleep
        self._async_sleep = async_sleep

    def __repr__(self) -> str:
        return f"DeviceFlow(issuer={self.oauth.issuer!r}, scopes={self.scopes!r})"

    # -- starting -------------------------------------------------------------------

    def _request(self, endpoint: str | None) -> tuple[str, dict[str, str], dict[str, Any]]:
        if endpoint is None:
            raise ConfigurationError(
                f"the provider {self.oauth.issuer} publishes no device_authorization_endpoint;"
                " it does not support the device flow"
            )
        if self.oauth.client_auth is None:
            raise ConfigurationError("the device flow needs a client_id; pass one to OAuthClient")
        headers = {"Accept": "application/json"}
        form = {"scope": " ".join(self.scopes)} if self.scopes else {}
        apply_client_auth(self.oauth.client_auth, headers, form, issuer=self.oauth.issuer)
        return endpoint, headers, {**form, **resource_form(self.resource)}

    def _started(self, response: httpx.Response, now: float) -> DeviceAuthorization:
        if response.status_code == 200:
            body = json_body(response, "the device authorization answer")
            authorization = DeviceAuthorization.from_response(body, now)
            logger.info("device flow started: code %s", authorization.user_code)
            return authorization
        error, description = oauth_error(response)
        detail = f"{error}: {description}" if description else str(error)
        if error == "invalid_client":
            raise InvalidCredentials(
                f"the provider rejected client {self.oauth.client_id!r} ({detail})"
            )
        raise ProviderError(
            f"the device authorization request failed with HTTP {response.status_code} ({detail})",
            error=error,
            error_description=description,
            status_code=response.status_code,
        )

    def start(self) -> DeviceAuthorization:
        """Ask for a device code (RFC 8628 §3.1); show ``.user_code`` and ``.url``."""
        url, headers, form = self._request(self.oauth.metadata().device_authorization_endpoint)
        now = self.oauth.clock()
        response = self.oauth.retry.send(
            lambda: self.oauth.http.post(url, data=form, headers=headers),
            what="the device authorization request",
        )
        return self._started(response, now)

    async def astart(self) -> DeviceAuthorization:
        metadata = await self.oauth.ametadata()
        url, headers, form = self._request(metadata.device_authorization_endpoint)
        now = self.oauth.clock()
        http = await self.oauth.async_http()
        response = await self.oauth.retry.asend(
            lambda: http.post(url, data=form, headers=headers),
            what="the device authorization request",
        )
        return self._started(response, now)

    # -- polling --------------------------------------------------------------------

    def _outcome(self, error: AuthError, interval: float, lost: bool) -> float:
        """The next interval for a pending answer; raises for every final one.

        ``lost``: the answer to an earlier poll never arrived, so the provider
        may have issued the tokens then and consumed the device code.
        """
        if isinstance(error, ProviderUnavailable):
            # RFC 8628 §3.5: on a connection timeout the client MUST poll less
            # often (doubling is RECOMMENDED). The poll was not resent by the
            # retry layer: it may have consumed the code; the next poll tells.
            backoff = interval * 2
            if isinstance(error, RateLimited) and error.retry_after is not None:
                backoff = max(backoff, error.retry_after)
            logger.info("device flow: no answer to a poll (%s); next in %s s", error, backoff)
            return backoff
        code = error.error if isinstance(error, ProviderError) else None
        if code == "authorization_pending":
            return interval
        if code == "slow_down":
            logger.info(
                "device flow: provider asked to slow down to %s s", interval + SLOW_DOWN_STEP
            )
            return interval + SLOW_DOWN_STEP
        if code == "expired_token":
            raise DeviceFlowExpired(
                "the device code expired before the user confirmed it; start the login again"
            ) from None
        if code == "access_denied":
            raise DeviceFlowDenied("the user denied the login at the verification page") from None
        if isinstance(error, InvalidCredentials):
            why = (
                "; the answer to an earlier poll was lost, and the provider may have"
                " issued the tokens then"
                if lost
                else ""
            )
            raise DeviceFlowError(
                f"the provider no longer accepts the device code ({error}){why};"
                " start the login again"
            ) from None
        raise error

    def _check_expiry(self, authorization: DeviceAuthorization) -> None:
        if self.oauth.clock() >= authorization.expires_at:
            raise DeviceFlowExpired(
                f"code {authorization.user_code} expired before the user confirmed it;"
                " start the login again"
            )

    def poll(
        self,
        authorization: DeviceAuthorization,
        *,
        cancel: threading.Event | None = None,
        on_pending: Callable[[DeviceAuthorization], None] | None = None,
    ) -> Token:
        """Wait for the user, then return the tokens (RFC 8628 §3.4, §3.5).

        Set ``cancel`` (from another thread, a signal handler) to stop waiting:
        :class:`DeviceFlowCancelled` is raised within one interval, or at once
        with the default ``sleep``.
        """
        interval = authorization.interval
        grant = DeviceCodeGrant(authorization.device_code, self.resource)
        lost = False
        while True:
            if cancel is not None and self._sleep is time.sleep:
                cancel.wait(interval)
            else:
                self._sleep(interval)
            if cancel is not None and cancel.is_set():
                raise DeviceFlowCancelled("the device login was cancelled")
            self._check_expiry(authorization)
            try:
                return self.oauth.request_token(grant)
            except (ProviderError, InvalidCredentials, ProviderUnavailable) as error:
                interval = self._outcome(error, interval, lost)
                lost = lost or isinstance(error, ProviderUnavailable)
            if on_pending is not None:
                on_pending(authorization)

    async def apoll(
        self,
        authorization: DeviceAuthorization,
        *,
        cancel: asyncio.Event | None = None,
        on_pending: Callable[[DeviceAuthorization], None] | None = None,
    ) -> Token:
        """The async twin of :meth:`poll`; cancelling the task works too."""
        interval = authorization.interval
        grant = DeviceCodeGrant(authorization.device_code, self.resource)
        lost = False
        while True:
            if cancel is not None and self._async_sleep is asyncio.sleep:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(cancel.wait(), timeout=interval)
            else:
                await self._async_sleep(interval)
            if cancel is not None and cancel.is_set():
                raise DeviceFlowCancelled("the device login was cancelled")
            self._check_expiry(authorization)
            try:
                return await self.oauth.arequest_token(grant)
            except (ProviderError, InvalidCredentials, ProviderUnavailable) as error:
                interval = self._outcome(error, interval, lost)
                lost = lost or isinstance(error, ProviderUnavailable)
            if on_pending is not None:
                on_pending(authorization)

    def run(
        self,
        show: Callable[[DeviceAuthorization], object],
        *,
        cancel: threading.Event | None = None,
    ) -> Token:
        """``start()``, ``show(authorization)`` (print the URL and code), then ``poll()``."""
        authorization = self.start()
        show(authorization)
        return self.poll(authorization, cancel=cancel)

    async def arun(
        self,
        show: Callable[[DeviceAuthorization], object],
        *,
        cancel: asyncio.Event | None = None,
    ) -> Token:
        authorization = await self.astart()
        show(authorization)
        return await self.apoll(authorization, cancel=cancel)
