"""``FakeIdP``: the facade a test talks to, and :meth:`FakeIdP.handle`, which every transport calls.

The facade is assembled from groups of test verbs, each in its own module:
setup (:mod:`.setup_api`), tokens and keys (:mod:`.tokens_api`), faults
(:mod:`.faults_api`) and the interactive flows (:mod:`.flows_api`). This module
adds the lifecycle (``expect``, ``check``, ``reset``) and the transports' entry
points (``handle``, ``handler``, ``on_protect``).
"""

from __future__ import annotations

import json
import secrets
import threading
import traceback
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import httpx
from cryptography import x509

from pytest_authmock.provider.assertions_api import AssertionsAPI
from pytest_authmock.provider.clock import Clock
from pytest_authmock.provider.config import (
    DEFAULT_ISSUER,
    Algorithm,
    OptionError,
    ProviderConfig,
    TokenFormat,
)
from pytest_authmock.provider.context import ProviderContext, ProviderRequest, Trace
from pytest_authmock.provider.endpoints.discovery import metadata
from pytest_authmock.provider.errors import OAuthError
from pytest_authmock.provider.faults import FaultPlan, journal_status, request_trace
from pytest_authmock.provider.faults_api import FaultsAPI
from pytest_authmock.provider.flows_api import FlowsAPI
from pytest_authmock.provider.http import error_response, json_response
from pytest_authmock.provider.identities import IdentityFactory
from pytest_authmock.provider.journal import (
    DEFAULT_JOURNAL_LIMIT,
    Expectation,
    Journal,
    entry_for,
)
from pytest_authmock.provider.keys import SigningKeys
from pytest_authmock.provider.models import AUTH_METHODS, Client, User
from pytest_authmock.provider.profile import AppliedProfile
from pytest_authmock.provider.protocol_api import ProtocolAPI
from pytest_authmock.provider.resource import ProtectedResource
from pytest_authmock.provider.resource_metadata import WELL_KNOWN, MetadataRoute
from pytest_authmock.provider.routes import (
    ENDPOINT_PATHS,
    FAULT_ENDPOINTS,
    GRANTS,
    IssuerPaths,
    route,
)
from pytest_authmock.provider.setup_api import SetupAPI
from pytest_authmock.provider.store import Store
from pytest_authmock.provider.switches import DEFAULTS, METADATA_DOCUMENTS, SECRET_METHODS
from pytest_authmock.provider.tokens import TokenMinter
from pytest_authmock.provider.tokens_api import TokensAPI

#: Every grant type the provider supports, in the order messages list them.
GRANT_TYPES: tuple[str, ...] = tuple(GRANTS)


class FakeIdP(SetupAPI, TokensAPI, FaultsAPI, FlowsAPI, ProtocolAPI, AssertionsAPI):
    """A fake OAuth 2.0 / OpenID Connect provider.

    In tests, use the ``idp`` or ``idp_server`` fixture rather than constructing
    one; construct it directly to mount it yourself (``idp.handler`` works with
    ``httpx.MockTransport``) or to run several issuers side by side.
    """

    def __init__(
        self,
        *,
        issuer: str = DEFAULT_ISSUER,
        token_format: TokenFormat = "jwt",
        algorithm: Algorithm = "RS256",
        access_token_ttl: int | None = 3600,
        refresh_token_ttl: int | None = 30 * 24 * 3600,
        id_token_ttl: int = 3600,
        audience: str | None = None,
        refresh_token_rotation: bool = True,
        unauthorized_grant_error: str = "unauthorized_client",
        metadata_documents: Sequence[str] = METADATA_DOCUMENTS,
        unpublished_metadata: Sequence[str] = (),
        grant_types: Sequence[str] | None = None,
        jwks_alg: bool = True,
        scopes_supported: Sequence[str] | None = None,
        unknown_scope: str = "grant",
        bearer_token_type: str = "Bearer",
        send_expires_in: bool = True,
        access_token_typ: str | None = "at+jwt",
        id_token_typ: str | None = "JWT",
        invalid_client_status: int = 401,
        token_endpoint_get_status: int = 405,
        client_secret_methods: Sequence[str] = SECRET_METHODS,
        refresh_token_grants: Sequence[str] = DEFAULTS["refresh_token_grants"],
        refresh_token_reuse_revokes_family: bool = True,
        introspection_requires_audience: bool = False,
        introspect_jwt_access_tokens: bool = True,
        revoke_access_tokens: bool = True,
        device_interval: int | None = 5,
        device_code_ttl: int = 300,
        device_verification_uri_complete: bool = True,
        missing_token_error: str | None = None,
        authorization_response_iss: bool = True,
        code_reuse_revokes_tokens: bool = True,
        refused_exchange_spends_code: bool = False,
        pkce_methods: Sequence[str] = ("S256",),
        require_pkce: bool = False,
        certificate_bound_access_tokens: bool = True,
        access_token_claims: Sequence[str] | None = None,
        id_token_claims: Sequence[str] | None = None,
        seed: int | None = None,
        mtls_base_url: str | None = None,
        client_certificates: bool = True,
        journal_limit: int | None = DEFAULT_JOURNAL_LIMIT,
    ) -> None:
        # Every keyword above but the last two is a ProviderConfig option (see
        # :mod:`.switches` for the ones that follow a real provider's choices).
        arguments = locals()
        config = ProviderConfig.from_options(
            **{name: arguments[name] for name in ProviderConfig.option_names()}
        )
        for option in ("grant_types", "refresh_token_grants"):
            unknown = sorted(set(getattr(config, option) or ()) - set(GRANTS))
            if unknown:
                raise OptionError(
                    option, f"names grant type {unknown[0]!r}; the fake has {', '.join(GRANTS)}"
                )
        #: The provider profile this provider follows (``profile=...``), if any: what
        #: was adopted from it, from where, and which explicit options overrode it.
        self.profile: AppliedProfile | None = None
        #: The seed that makes every Faker-filled field of this provider reproducible.
        self.seed: int = secrets.randbelow(2**32) if seed is None else int(seed)
        #: Origin of the listener that requires client certificates (RFC 8705 §5),
        #: set by the loopback transport; its URLs are advertised as
        #: ``mtls_endpoint_aliases`` and routed like the issuer's own.
        self.mtls_base_url = mtls_base_url.rstrip("/") if mtls_base_url else None
        self._client_certificates = bool(client_certificates)
        self._paths = IssuerPaths.of(issuer, self.mtls_base_url)
        self._lock = threading.RLock()
        self.clock = Clock()
        # Each issuer has its own keys; rotation grace periods run on the provider clock.
        self._keys = SigningKeys(algorithm, issuer=issuer, clock=self.clock.now)
        self._config = config
        self.journal = Journal(journal_limit)
        self._protect_listeners: list[Callable[[ProtectedResource | MetadataRoute], None]] = []
        self._init_state()

    @classmethod
    def from_config(cls, config: ProviderConfig, *, seed: int | None = None) -> FakeIdP:
        options = {name: getattr(config, name) for name in ProviderConfig.option_names()}
        return cls(**options, seed=seed)

    def _init_state(self) -> None:
        store = Store()
        config = self._config
        offered = config.grant_types
        self._ctx = ProviderContext(
            config=config,
            clock=self.clock,
            keys=self._keys,
            store=store,
            minter=TokenMinter(config, self._keys, self.clock, store),
            grants=GRANTS if offered is None else {k: v for k, v in GRANTS.items() if k in offered},
            mtls_base_url=self.mtls_base_url,
            client_certificates=self._client_certificates,
        )
        # The flow settings start from the config (a test may change them afterwards).
        settings = store.flows.settings
        settings.device_code_ttl = config.device_code_ttl
        settings.device_interval = config.device_interval or settings.device_interval
        settings.allow_plain_pkce = "plain" in config.pkce_methods
        settings.require_pkce_for_confidential = config.require_pkce
        self._identities = IdentityFactory(self.seed)
        self._resources: list[ProtectedResource] = []
        #: RFC 9728 documents of the protected routes, by their well-known URL.
        self._metadata_routes: dict[str, MetadataRoute] = {}
        self._expectations: list[Expectation] = []
        self._faults = FaultPlan(self.seed, FAULT_ENDPOINTS)

    @property
    def client_certificates(self) -> bool:
        """False when the transport cannot deliver TLS client certificates (a loopback
        server without mTLS); then the metadata does not offer RFC 8705."""
        return self._client_certificates

    @client_certificates.setter
    def client_certificates(self, value: bool) -> None:
        self._client_certificates = self._ctx.client_certificates = bool(value)

    @property
    def issuer(self) -> str:
        """The issuer URL, without a trailing slash."""
        return self._config.issuer

    @property
    def config(self) -> ProviderConfig:
        """The provider-wide options it was made with."""
        return self._config

    @property
    def clients(self) -> Mapping[str, Client]:
        return MappingProxyType(self._ctx.store.clients)

    @property
    def users(self) -> Mapping[str, User]:
        return MappingProxyType(self._ctx.store.users)

    @property
    def resources(self) -> tuple[ProtectedResource, ...]:
        return tuple(self._resources)

    @property
    def routes(self) -> tuple[ProtectedResource | MetadataRoute, ...]:
        """Every URL outside the issuer the provider answers: the protected routes and
        their RFC 9728 metadata documents (for transports that route by URL)."""
        return (*self._resources, *self._metadata_routes.values())

    def metadata(self) -> dict[str, Any]:
        """The discovery document (RFC 8414, OIDC Discovery), as the well-known URLs serve it."""
        return metadata(self._ctx)

    def url_for(self, endpoint: str) -> str:
        """The absolute URL of an endpoint, named as the journal names it (``token``, ``discovery``...)."""
        try:
            return self.issuer + ENDPOINT_PATHS[endpoint]
        except KeyError:
            pass
        if endpoint == "resource":
            raise ValueError(
                "url_for('resource'): a protected resource's URL is the one given to protect()"
            )
        if endpoint == "resource_metadata":
            raise ValueError(
                "url_for('resource_metadata'): a protected resource's RFC 9728 document is at "
                "the metadata_url of what protect() returns"
            )
        raise ValueError(f"unknown endpoint {endpoint!r}; one of {', '.join(ENDPOINT_PATHS)}")

    # -- lifecycle ---------------------------------------------------------------------

    def expect(
        self, count: int | None = None, *, at_least: int | None = None, **criteria: Any
    ) -> None:
        """Require, at teardown, that ``count`` (or ``at_least``) requests match ``criteria``.

        ``idp.expect(1, endpoint="token", client_id="ci-bot")`` proves a client caches its token.
        """
        if (count is None) == (at_least is None):
            raise TypeError("expect() takes exactly one of count or at_least")
        self.journal.filter(**criteria)  # validates the criteria names now
        self._expectations.append(Expectation(count=count, at_least=at_least, criteria=criteria))

    def check(self) -> list[str]:
        """Problems a test left behind: unmet expectations and provider failures."""
        problems = [p for e in self._expectations if (p := e.problem(self.journal)) is not None]
        for entry in self.journal:
            if entry.internal_error:
                problems.append(
                    f"the provider failed on {entry.method} {entry.path} (answered 500); "
                    f"this is a pytest-authmock bug:\n{entry.internal_error}"
                )
        problems.extend(self._ctx.minter.hook_errors)
        problems.extend(self._faults.problems())
        return problems

    def reset(self) -> None:
        """Forget clients, users, tokens, resources, expectations, the journal and clock moves."""
        with self._lock:
            self._init_state()
            self.journal.clear()
            self.clock.reset()
            self._keys.reset()

    # -- transports --------------------------------------------------------------------

    def on_protect(self, listener: Callable[[ProtectedResource | MetadataRoute], None]) -> None:
        """Called by transports that route per URL (respx) when a route is mounted: a
        protected resource, or the RFC 9728 metadata document of a new identifier."""
        self._protect_listeners.append(listener)

    @property
    def handler(self) -> Callable[[Any], Any]:
        """A request handler for ``httpx.MockTransport(idp.handler)``: no patching at all.

        Connection faults raise the matching ``httpx`` exception; delays are
        waited out as the answer is read, so async clients are never blocked.
        Like the respx mount, it reads an RFC 9440 ``Client-Cert`` header as the
        (simulated) TLS client certificate. ``httpx2.MockTransport(idp.handler)``
        works too, with httpx2's exceptions.
        """
        # The one reference from the core to a transport: this documented
        # shortcut builds the in-process transport on demand; nothing in the
        # core calls it.
        from pytest_authmock.transport.in_process import mock_transport_handler

        return mock_transport_handler(self.handle)

    def handle(
        self, request: httpx.Request, *, peer_cert: x509.Certificate | None = None
    ) -> httpx.Response:
        """Answer one request. Thread-safe; never raises.

        ``peer_cert`` is the TLS client certificate the transport verified, if any.
        A connection fault comes back as a described :class:`~.faults.FaultAction`
        in the response's extensions, for the transport to carry out.
        """
        trace = Trace()
        fault = None
        try:
            with self._lock:
                ctx = self._ctx
                # Amortised: a full pass at most once a minute of provider time.
                ctx.store.maybe_purge(ctx.clock.now())
                resource = self._resource_for(request.url)
                if resource is not None:
                    trace.endpoint = resource.endpoint
                else:
                    trace.endpoint, endpoint = route(self._paths.relative(request.url))
                # A delay is waited out by the transport, never here under the lock.
                fault = self._faults.take(trace.endpoint, request)
                if fault is not None and fault.replaces:
                    for name, value in request_trace(trace.endpoint, request).items():
                        setattr(trace, name, value)
                    response = fault.replacement(ctx.clock.now())
                    trace.error = None if fault.no_answer else _error_code(response)
                elif resource is not None:
                    response = resource.respond(ctx, ProviderRequest(request, peer_cert, trace))
                else:
                    response = endpoint(ctx, ProviderRequest(request, peer_cert, trace))
        except OAuthError as error:
            trace.error = error.error
            # RFC 6749 §5.2 lets invalid_client be 400 or 401; providers choose.
            status = self._config.invalid_client_status if error.error == "invalid_client" else None
            response = error_response(error, status=status)
        except Exception as exc:
            # A bug in pytest-authmock: answer like a real server would, and let the
            # teardown check fail the test with the traceback.
            trace.internal_error = traceback.format_exc()
            response = json_response(
                500,
                {
                    "error": "server_error",
                    "error_description": f"pytest-authmock internal error ({type(exc).__name__})",
                },
            )
        status_code = response.status_code
        if fault is not None:
            trace.fault = fault.kind
            status_code = journal_status(fault, response)
            response = fault.spoil(response)
        if response.status_code >= 400 and not trace.error_known:
            trace.error = _error_code(response)
        self.journal.record(
            entry_for(request, status_code, time=self.clock.now(), fields=trace.fields())
        )
        return response

    def _resource_for(self, url: httpx.URL) -> ProtectedResource | MetadataRoute | None:
        for resource in self._resources:
            if resource.matches(url):
                return resource
        if url.path.startswith(WELL_KNOWN):
            for document in self._metadata_routes.values():
                if document.matches(url):
                    return document
        return None

    def __repr__(self) -> str:
        store = self._ctx.store
        return (
            f"<FakeIdP {self.issuer} clients={len(store.clients)} users={len(store.users)} "
            f"requests={len(self.journal)} seed={self.seed}>"
        )


def _error_code(response: httpx.Response) -> str | None:
    try:
        body = json.loads(response.read())
    except ValueError:
        return None
    value = body.get("error") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


__all__ = ["AUTH_METHODS", "GRANT_TYPES", "FakeIdP"]
