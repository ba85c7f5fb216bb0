"""The test API of the device, authorization-code and API-token flows, mixed into ``FakeIdP``.

Everything here is what a test does in place of a person at a browser or an
administrator at a console: approve a device code, create an API token.
"""

from __future__ import annotations

from collections.abc import Sequence

from pytest_authmock.provider import api_tokens, device_codes
from pytest_authmock.provider.errors import NotFound, OAuthError
from pytest_authmock.provider.facade_base import FacadeBase
from pytest_authmock.provider.flow_state import ApiToken, DeviceAuthorization, FlowSettings
from pytest_authmock.provider.models import Client, User


class FlowsAPI(FacadeBase):
    """Methods of :class:`~pytest_authmock.provider.idp.FakeIdP` for the interactive flows."""

    @property
    def flow_settings(self) -> FlowSettings:
        """Switches of the interactive flows: ``device_code_ttl``, ``device_interval``,
        ``authorization_code_ttl``, ``allow_plain_pkce``, ``require_pkce_for_confidential``,
        ``api_token_admin_scope``, ``auto_approve``."""
        return self._ctx.flows.settings

    @property
    def auto_approve(self) -> str | None:
        """The user the authorization endpoint signs in without a page, or ``None``.

        ``idp.auto_approve = alice`` makes every authorization request succeed
        at once for alice, and approves every new device code for her (headless
        tests); ``None`` shows the sign-in page and waits for the device page.
        """
        return self._ctx.flows.settings.auto_approve

    @auto_approve.setter
    def auto_approve(self, user: User | str | None) -> None:
        if user is not None:
            user = self._user(user).username
        self._ctx.flows.settings.auto_approve = user

    # -- device authorization (RFC 8628) --------------------------------------------

    def device_authorizations(self, *, pending: bool = True) -> list[DeviceAuthorization]:
        """Device authorization requests, oldest first; by default only those a user
        could still approve (pending and not expired)."""
        now = self.clock.now()
        with self._lock:
            found = list(self._ctx.flows.devices.values())
        if pending:
            found = [a for a in found if a.status == "pending" and not a.expired(now)]
        return sorted(found, key=lambda a: a.created_at)

    def _device(self, user_code: str | None) -> DeviceAuthorization:
        if user_code is None:
            waiting = self.device_authorizations()
            if len(waiting) != 1:
                codes = ", ".join(a.user_code for a in waiting) or "none"
                raise LookupError(
                    f"pass the user_code: {len(waiting)} device requests are pending ({codes})"
                )
            return waiting[0]
        return device_codes.lookup(self._ctx.flows, user_code, self.clock.now())

    def approve_device(self, user_code: str | None = None, *, user: User | str) -> None:
        """Approve a pending device code as ``user``, as the verification page would.

        ``user_code`` may be omitted when exactly one request is pending.
        """
        with self._lock:
            device_codes.approve(self._device(user_code), self._user(user))

    def deny_device(self, user_code: str | None = None) -> None:
        """Deny a pending device code: the device's next poll gets ``access_denied``."""
        with self._lock:
            device_codes.deny(self._device(user_code))

    # -- API tokens ---------------------------------------------------------------------

    def create_api_token(
        self,
        user: User | str | None = None,
        *,
        client: Client | str | None = None,
        name: str = "api-token",
        scopes: Sequence[str] = (),
        expires_in: int | None = None,
        session: str | None = None,
    ) -> ApiToken:
        """Create an API token for ``user`` (or, without one, for ``client`` itself).

        ``expires_in`` is in seconds (``None``: never expires). ``session`` is an
        access token of a user session: the API token is then bound to it, and
        only that session may revoke it through the management API. The secret is
        ``.token`` of the result.
        """
        if isinstance(scopes, str):
            raise TypeError(f"scopes must be a list of scope names, not the string {scopes!r}")
        with self._lock:
            owner = self._user(user) if user is not None else None
            if client is not None:
                resolved = self._client(client)
            elif owner is not None:
                resolved = self._register_client(None, None, {})
            else:
                raise TypeError("create_api_token() needs a user, a client, or both")
            bound = None
            if session is not None:
                record = self._ctx.store.tokens.get(session)
                if record is None or record.family_id is None:
                    raise ValueError(
                        "session must be an access token from a user login (it has no session)"
                    )
                bound = record.family_id
            try:
                checked = (
                    api_tokens.check_name(name),
                    api_tokens.check_scopes(list(scopes)),
                    api_tokens.check_expires_in(expires_in),
                )
            except OAuthError as error:  # the HTTP API's wording, as a Python error
                raise ValueError(error.description) from None
            return api_tokens.create(
                self._ctx,
                client=resolved,
                owner=owner.sub if owner is not None else resolved.client_id,
                username=owner.username if owner is not None else None,
                name=checked[0],
                scopes=checked[1],
                expires_in=checked[2],
                bound_session=bound,
            )

    def api_tokens(self, user: User | str | None = None) -> list[ApiToken]:
        """Live (not revoked) API tokens, oldest first; only ``user``'s if given."""
        with self._lock:
            tokens = [t for t in self._ctx.flows.api_tokens.values() if not t.revoked]
            if user is not None:
                sub = self._user(user).sub
                tokens = [t for t in tokens if t.owner == sub]
        return sorted(tokens, key=lambda t: (t.created_at, t.id))

    def revoke_api_token(self, token: ApiToken | str) -> None:
        """Revoke an API token by object or id, as an administrator (no session check)."""
        token_id = token if isinstance(token, str) else token.id
        with self._lock:
            try:
                api_tokens.revoke(self._ctx, token_id)
            except NotFound as error:  # an HTTP error would read oddly in a test
                raise LookupError(f"no live API token {token_id!r}") from error
