"""``TokenManager``: holds the current token and gets a new one when needed.

Proactive refresh: a token within ``leeway`` seconds of its expiry is replaced
before use. Reactive refresh: :meth:`TokenManager.invalidate` marks a token the
resource server rejected, so that the next call fetches a new one. Fetches are
single-flight per manager: one flight for threads and asyncio tasks together,
so a manager used from a thread pool and an event loop at once still sends
one token request.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from contextlib import AbstractContextManager, nullcontext
from typing import Protocol

from pytest_authmock.client.errors import LoginRequired
from pytest_authmock.client.grants import Grant, RefreshTokenGrant, Resources, resources
from pytest_authmock.client.oauth import OAuthClient
from pytest_authmock.client.singleflight import SingleFlight
from pytest_authmock.client.tokens import Token

__all__ = ["TokenManager", "TokenPersistence"]

logger = logging.getLogger("pytest_authmock.client")


class TokenPersistence(Protocol):
    """Where a manager keeps its token between processes (see ``store.SessionPersistence``).

    ``lock`` is held around a refresh so that two processes sharing a stored
    session do not both present the same rotating refresh token: the second
    one finds the first one's new token in ``load`` and uses it.
    """

    def load(self) -> Token | None: ...

    def save(self, token: Token) -> None: ...

    def lock(self) -> AbstractContextManager[object]: ...


class TokenManager:
    """The current token of one grant or session, renewed on demand.

    ``grant`` is how to get a token from scratch (client credentials, a
    password login used once); ``token`` is a token already in hand (a stored
    session). With a refresh token, renewal uses it first; if the provider
    answers ``invalid_grant``, a reusable grant (client credentials) is run
    again, otherwise :class:`LoginRequired` is raised.

    ``resource`` (RFC 8707) is sent with every refresh, so the renewed token is
    for the same API(s); by default it is the grant's own ``resource``.
    """

    def __init__(
        self,
        oauth: OAuthClient,
        grant: Grant | None = None,
        *,
        token: Token | None = None,
        leeway: float = 30.0,
        refresh_scopes: tuple[str, ...] = (),
        persistence: TokenPersistence | None = None,
        resource: Resources | None = None,
    ) -> None:
        if grant is None and token is None:
            raise TypeError("TokenManager needs a grant, a token or both")
        if leeway < 0:
            raise ValueError(f"leeway must not be negative, got {leeway}")
        self.oauth = oauth
        self.leeway = leeway
        self._grant = grant
        self._token = token
        self._rejected: Token | None = None
        self._refresh_scopes = refresh_scopes
        self._resource = resources(
            resource if resource is not None else getattr(grant, "resource", None)
        )
        self._persistence = persistence
        self._state = threading.Lock()  # held only around attribute swaps, never I/O
        # One flight for both sides: get_token() and aget_token() join the same one.
        self._flight: SingleFlight[Token] = SingleFlight()

    def __repr__(self) -> str:
        return (
            f"TokenManager(issuer={self.oauth.issuer!r}, grant={self._grant!r},"
            f" token={self._token!r})"
        )

    @property
    def token(self) -> Token | None:
        """The token in hand, fresh or not (``None`` before the first fetch)."""
        return self._token

    @property
    def can_renew(self) -> bool:
        """Whether a new token can be had without the user."""
        token = self._token
        return bool((token and token.refresh_token) or (self._grant and self._grant.reusable))

    def _usable(self, token: Token | None) -> bool:
        return (
            token is not None
            and token is not self._rejected
            and not token.is_stale(self.oauth.clock(), self.leeway)
        )

    def invalidate(self, token: Token) -> None:
        """Mark ``token`` as rejected; a no-op if it was already replaced.

        Comparing with the current token stops a herd of requests that all got
        401 for the same token from each triggering a refresh.
        """
        with self._state:
            if self._token is token:
                self._rejected = token

    # -- sync ---------------------------------------------------------------------

    def get_token(self) -> Token:
        """A usable token; fetches one (once, for all waiting threads and tasks) if needed."""
        token = self._token
        if self._usable(token):
            return token  # type: ignore[return-value]
        return self._flight.do(self._obtain)

    def _obtain(self) -> Token:
        if self._usable(self._token):  # another flight finished just before ours
            return self._token  # type: ignore[return-value]
        lock = self._persistence.lock() if self._persistence else nullcontext()
        with lock:
            if self._adopt_persisted(self._persistence.load() if self._persistence else None):
                return self._token  # type: ignore[return-value]
            current = self._token
            try:
                new = self._renew_sync(current)
            except LoginRequired:
                self._forget(current)
                raise
            self._install(new)
            if self._persistence:
                self._persistence.save(new)
        return new

    def _renew_sync(self, current: Token | None) -> Token:
        grant = self._grant
        if current is not None and current.refresh_token:
            try:
                return self.oauth.request_token(self._refresh_grant(current), previous=current)
            except LoginRequired:
                if grant is None or not grant.reusable:
                    raise
                logger.info("refresh rejected; running the %s grant again", grant.grant_type)
        if grant is None:
            raise self._login_required(current)
        token = self.oauth.request_token(grant)
        if not grant.reusable:
            self._grant = None  # a password is used once, never kept for later
        return token

    # -- async --------------------------------------------------------------------

    async def aget_token(self) -> Token:
        """The async twin of :meth:`get_token`; never blocks the event loop on I/O."""
        token = self._token
        if self._usable(token):
            return token  # type: ignore[return-value]
        return await self._flight.ado(self._aobtain)

    async def _aobtain(self) -> Token:
        if self._usable(self._token):
            return self._token  # type: ignore[return-value]
        persistence = self._persistence
        if persistence is None:
            return await self._arenew_and_install()
        # The file lock may block, so it is taken in a worker thread; flock
        # belongs to the open file, so releasing it from another thread is fine.
        lock = persistence.lock()
        await asyncio.to_thread(lock.__enter__)
        try:
            if self._adopt_persisted(await asyncio.to_thread(persistence.load)):
                return self._token  # type: ignore[return-value]
            new = await self._arenew_and_install()
            await asyncio.to_thread(persistence.save, new)
            return new
        finally:
            await asyncio.to_thread(lock.__exit__, None, None, None)

    async def _arenew_and_install(self) -> Token:
        current = self._token
        grant = self._grant
        new: Token | None = None
        if current is not None and current.refresh_token:
            try:
                new = await self.oauth.arequest_token(
                    self._refresh_grant(current), previous=current
                )
            except LoginRequired:
                if grant is None or not grant.reusable:
                    self._forget(current)
                    raise
                logger.info("refresh rejected; running the %s grant again", grant.grant_type)
        if new is None:
            if grant is None:
                self._forget(current)
                raise self._login_required(current)
            new = await self.oauth.arequest_token(grant)
            if not grant.reusable:
                self._grant = None
        self._install(new)
        return new

    # -- shared -------------------------------------------------------------------

    def _refresh_grant(self, current: Token) -> RefreshTokenGrant:
        return RefreshTokenGrant(
            current.refresh_token or "", scopes=self._refresh_scopes, resource=self._resource
        )

    def _adopt_persisted(self, stored: Token | None) -> bool:
        """Use a token another process stored meanwhile, if it is a new, usable one."""
        current = self._token
        if stored is None or (current is not None and stored.access_token == current.access_token):
            return False
        if stored.is_stale(self.oauth.clock(), self.leeway) and not stored.refresh_token:
            return False
        with self._state:
            self._token = stored
            self._rejected = None
        return self._usable(stored)

    def _install(self, token: Token) -> None:
        with self._state:
            self._token = token
            self._rejected = None

    def _forget(self, current: Token | None) -> None:
        with self._state:
            if self._token is current:
                self._token = None

    def _login_required(self, current: Token | None) -> LoginRequired:
        if current is None:
            return LoginRequired("there is no token and no way to get one; log in again")
        when = current.expires_at_datetime
        reason = f"expired at {when:%Y-%m-%d %H:%M:%S} UTC" if when else "was rejected"
        return LoginRequired(
            f"the session's token {current.fingerprint} {reason} and cannot be"
            " refreshed; log in again"
        )
