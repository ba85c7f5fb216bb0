"""The test API of resource indicators, registration, pushed requests and sessions, mixed into ``FakeIdP``."""

from __future__ import annotations

from pytest_authmock.provider.facade_base import FacadeBase
from pytest_authmock.provider.protocol_state import ProtocolSettings


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
