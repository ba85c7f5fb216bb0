"""What a handler gets: the provider's context, one request, and the trace the journal keeps.

Endpoints and grants take ``(ctx, request)``: the narrow :class:`ProviderContext`
(issuer, options, clock, keys, state, minter) instead of the whole ``FakeIdP``, so
no handler can reach into the test API, and the facade can be changed without
touching them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, overload

import httpx
from cryptography import x509

from pytest_authmock.provider.clock import Clock
from pytest_authmock.provider.config import ProviderConfig
from pytest_authmock.provider.errors import InvalidRequest
from pytest_authmock.provider.flow_state import FlowState
from pytest_authmock.provider.http import read_form
from pytest_authmock.provider.keys import SigningKeys
from pytest_authmock.provider.models import Client
from pytest_authmock.provider.store import Store
from pytest_authmock.provider.tokens import TokenMinter


@dataclasses.dataclass(eq=False)
class ProviderContext:
    """Everything a handler may use; rebuilt when the provider resets its state."""

    config: ProviderConfig
    clock: Clock
    keys: SigningKeys
    store: Store
    minter: TokenMinter
    #: Grant type -> handler: the token endpoint's dispatch table (see :mod:`.routes`).
    grants: Mapping[str, GrantHandler]
    #: Origin of the listener that requires client certificates (RFC 8705 §5), if any.
    mtls_base_url: str | None = None
    #: Whether requests can carry a TLS client certificate at all (RFC 8705): true
    #: in-process (the RFC 9440 ``Client-Cert`` simulation) and on an mTLS listener.
    client_certificates: bool = True

    @property
    def issuer(self) -> str:
        return self.config.issuer

    @property
    def flows(self) -> FlowState:
        return self.store.flows


_UNSET: Any = object()


class Trace:
    """What the journal records of one request, filled in as the handlers learn it."""

    __slots__ = (
        "_error",
        "client_id",
        "endpoint",
        "fault",
        "grant_type",
        "internal_error",
        "username",
    )

    def __init__(self, endpoint: str = "unknown") -> None:
        self.endpoint = endpoint
        self.grant_type: str | None = None
        self.client_id: str | None = None
        self.username: str | None = None
        self.fault: str | None = None
        self.internal_error: str | None = None
        self._error: str | None = _UNSET

    @property
    def error(self) -> str | None:
        """The OAuth error code of the answer, once a handler has said it."""
        return None if self._error is _UNSET else self._error

    @error.setter
    def error(self, code: str | None) -> None:
        self._error = code

    @property
    def error_known(self) -> bool:
        """Whether a handler set :attr:`error`; otherwise it is read from the answer."""
        return self._error is not _UNSET

    def fields(self) -> dict[str, Any]:
        """The journal entry's fields."""
        return {
            "endpoint": self.endpoint,
            "grant_type": self.grant_type,
            "client_id": self.client_id,
            "username": self.username,
            "error": self.error,
            "fault": self.fault,
            "internal_error": self.internal_error,
        }


class ProviderRequest:
    """One request as a handler sees it: the HTTP request, the TLS peer, the trace."""

    __slots__ = ("_form", "http", "peer_cert", "trace")

    def __init__(
        self, http: httpx.Request, peer_cert: x509.Certificate | None, trace: Trace
    ) -> None:
        self.http = http
        #: The client certificate the transport verified (or simulated), if any.
        self.peer_cert = peer_cert
        self.trace = trace
        self._form: dict[str, str] | None = None

    @property
    def method(self) -> str:
        return self.http.method

    @property
    def url(self) -> httpx.URL:
        return self.http.url

    @property
    def headers(self) -> httpx.Headers:
        return self.http.headers

    def form(self) -> dict[str, str]:
        """The form body (RFC 6749 §3.2), parsed once; raises ``invalid_request``."""
        if self._form is None:
            self._form = read_form(self.http)
        return self._form


@dataclasses.dataclass
class GrantRequest:
    """One token request of an authenticated client, as every grant takes it."""

    ctx: ProviderContext
    client: Client
    params: dict[str, str]
    peer_cert: x509.Certificate | None
    #: Filled in by the grant for the journal.
    username: str | None = None
    #: RFC 9449: the thumbprint of the key the request's DPoP proof was signed with.
    dpop_jkt: str | None = None

    @overload
    def required(self, name: str, /, *, section: str | None = None) -> str: ...

    @overload
    def required(
        self, name: str, second: str, /, *names: str, section: str | None = None
    ) -> tuple[str, ...]: ...

    def required(self, *names: str, section: str | None = None) -> str | tuple[str, ...]:
        """The value of each named parameter, or ``invalid_request`` naming the grant.

        An empty value counts as missing (RFC 6749 §3.2). The refusal names every
        missing parameter and ``section``, the specification text that requires
        them (``"RFC 8628 §3.4"``): ``the device_code grant needs the device_code
        parameter (RFC 8628 §3.4)``.
        """
        values = tuple(self.params.get(name) or "" for name in names)
        missing = [name for name, value in zip(names, values, strict=True) if not value]
        if missing:
            # A URN grant type is named by its last part: "urn:...:device_code".
            grant = self.params.get("grant_type", "").rpartition(":")[2] or "token"
            plural = "s" if len(missing) > 1 else ""
            cited = f" ({section})" if section else ""
            raise InvalidRequest(
                f"the {grant} grant needs the {' and '.join(missing)} parameter{plural}{cited}"
            )
        return values[0] if len(values) == 1 else values


GrantHandler = Callable[[GrantRequest], dict[str, Any]]
EndpointHandler = Callable[[ProviderContext, ProviderRequest], httpx.Response]
