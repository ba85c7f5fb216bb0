"""The test API of resource indicators, registration, pushed requests and sessions, mixed into ``FakeIdP``."""

from __future__ import annotations

from pytest_authmock.provider.facade_base import FacadeBase
from pytest_authmock.provider.models import User
from pytest_authmock.provider.protocol_state import BrowserSession, ProtocolSettings


class ProtocolAPI(FacadeBase):
    """Methods of :class:`~pytest_authmock.provider.idp.FakeIdP` for the discovery-era standards."""

    @property
    def protocol_settings(self) -> ProtocolSettings:
        """Switches of RFC 8707 resource indicators, RFC 7591 registration, RFC 9126
        pushed requests and logout: ``resources``, ``dynamic_registration``,
        ``initial_access_token``, ``pushed_authorization_requests``,
        ``require_pushed_authorization_requests``, ``request_uri_ttl``,
        ``end_session``, ``browser_sessions``."""
        return self._ctx.flows.protocol.settings

    def browser_sessions(self, user: User | str | None = None) -> list[BrowserSession]:
        """The sign-in page's live browser sessions (of ``user``), oldest first."""
        with self._lock:
            username = None if user is None else self._user(user).username
            found = [
                session
                for session in self._ctx.flows.protocol.sessions.values()
                if username is None or session.username == username
            ]
        return sorted(found, key=lambda session: session.auth_time)

    def end_browser_sessions(self, user: User | str | None = None) -> int:
        """End the browser sessions (of ``user``), as logout does; returns how many ended.

        The next authorization request from those browsers asks to sign in again.
        """
        with self._lock:
            ended = self.browser_sessions(user)
            for session in ended:
                self._ctx.flows.protocol.sessions.pop(session.sid, None)
        return len(ended)
