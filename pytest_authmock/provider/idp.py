"""``FakeIdP``: the facade a test talks to, and the one function every transport calls."""

from __future__ import annotations

import json
import secrets
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import httpx
from cryptography import x509

from pytest_authmock.provider import endpoints
from pytest_authmock.provider.clock import Clock
from pytest_authmock.provider.config import (
    DEFAULT_ISSUER,
    Algorithm,
    ProviderConfig,
    TokenFormat,
    check_ttl,
)
from pytest_authmock.provider.errors import NotFound, OAuthError
from pytest_authmock.provider.faults import (
    Fault,
    FaultPlan,
    carry_out,
    journal_status,
    request_trace,
)
from pytest_authmock.provider.flowsapi import FlowsAPI
from pytest_authmock.provider.http import error_response, json_response
from pytest_authmock.provider.identities import IdentityFactory
from pytest_authmock.provider.journal import Expectation, Journal, entry_for
from pytest_authmock.provider.keys import SigningKeys
from pytest_authmock.provider.models import AUTH_METHODS, GRANT_TYPES, Client, User
from pytest_authmock.provider.registration import build_client
from pytest_authmock.provider.resource import (
    BearerCheck,
    ProtectedResource,
    Responder,
    check_bearer,
)
from pytest_authmock.provider.scenario import ScenarioControls
from pytest_authmock.provider.store import Store
from pytest_authmock.provider.tokens import TokenMinter

_DEFAULT: Any = object()


class FakeIdP(ScenarioControls, FlowsAPI):
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
        seed: int | None = None,
        mtls_base_url: str | None = None,
    ) -> None:
        self.config = ProviderConfig(
            issuer=issuer,
            token_format=token_format,
            algorithm=algorithm,
            access_token_ttl=access_token_ttl,
            refresh_token_ttl=refresh_token_ttl,
            id_token_ttl=id_token_ttl,
            audience=audience,
            refresh_token_rotation=refresh_token_rotation,
            unauthorized_grant_error=unauthorized_grant_error,
        )
        #: The seed that makes every Faker-filled field of this provider reproducible.
        self.seed: int = secrets.randbelow(2**32) if seed is None else int(seed)
        self._issuer_url = httpx.URL(issuer)
        self._issuer_path = self._issuer_url.path.rstrip("/")
        #: Origin of the listener that requires client certificates (RFC 8705 §5),
        #: set by the loopback transport; its URLs are advertised as
        #: ``mtls_endpoint_aliases`` and routed like the issuer's own.
        self.mtls_base_url = mtls_base_url.rstrip("/") if mtls_base_url else None
        self._mtls_url = httpx.URL(self.mtls_base_url) if self.mtls_base_url else None
        self._lock = threading.RLock()
        #: The provider's time; ``idp.clock.advance(s)`` moves it, freezegun too.
        self.clock = Clock()
        # Each issuer has its own keys; rotation grace periods run on the provider clock.
        self.keys = SigningKeys(algorithm, issuer=issuer, clock=self.clock.now)
        #: Every request served since the last reset.
        self.journal = Journal()
        self._protect_listeners: list[Callable[[ProtectedResource], None]] = []
        self._init_state()

    @classmethod
    def from_config(cls, config: ProviderConfig, *, seed: int | None = None) -> FakeIdP:
        options = {name: getattr(config, name) for name in ProviderConfig.option_names()}
        return cls(**options, seed=seed)

    def _init_state(self) -> None:
        self.store = Store()
        self.minter = TokenMinter(self.config, self.keys, self.clock, self.store)
        self._identities = IdentityFactory(self.seed)
        self._resources: list[ProtectedResource] = []
        self._expectations: list[Expectation] = []
        #: Faults planned with ``idp.fail()``, ``idp.delay()``... (see provider/faults.py).
        self.faults = FaultPlan(self.seed, endpoints.fault_endpoints())

    @property
    def issuer(self) -> str:
        """The issuer URL, without a trailing slash."""
        return self.config.issuer

    @property
    def clients(self) -> Mapping[str, Client]:
        return MappingProxyType(self.store.clients)

    @property
    def users(self) -> Mapping[str, User]:
        return MappingProxyType(self.store.users)

    @property
    def resources(self) -> tuple[ProtectedResource, ...]:
        return tuple(self._resources)

    # -- setting up -------------------------------------------------------------------

    def add_client(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        public: bool = False,
        grant_types: Iterable[str] | None = None,
        scopes: Iterable[str] | None = None,
        audience: str | Sequence[str] | None = None,
        token_endpoint_auth_method: str | Sequence[str] | None = None,
        claims: Mapping[str, Any] | None = None,
        access_token_ttl: int | None = _DEFAULT,
        refresh_token_ttl: int | None = _DEFAULT,
        token_format: TokenFormat | None = None,
        tls_client_auth_subject_dn: str | None = None,
        tls_client_auth_san_dns: str | None = None,
        self_signed_certificates: Iterable[x509.Certificate] | None = None,
        redirect_uris: Iterable[str] | None = None,
        jwks: Mapping[str, Any] | None = None,
        jwks_uri: str | None = None,
        token_endpoint_auth_signing_alg: str | None = None,
        dpop_bound_access_tokens: bool = False,
    ) -> Client:
        """Register a client; Faker fills the id and (for confidential clients) the secret.

        With no arguments: a confidential client that may use every grant, any
        scope, and authenticate with ``client_secret_basic`` or ``client_secret_post``.
        ``jwks`` (a JWKS or one public JWK) or ``jwks_uri`` register keys for
        ``private_key_jwt``; a client with keys and no secret gets no secret.
        """
        with self._lock:
            if client_id is None:
                client_id = self._identities.client_id(self.store.clients)
            if (
                client_secret is None
                and not public
                and _wants_secret(
                    token_endpoint_auth_method,
                    other_credentials=bool(
                        tls_client_auth_subject_dn
                        or tls_client_auth_san_dns
                        or self_signed_certificates
                        or jwks is not None
                        or jwks_uri is not None
                    ),
                )
            ):
                client_secret = self._identities.secret()
            client = build_client(
                client_id=client_id,
                client_secret=client_secret,
                public=public,
                grant_types=grant_types,
                scopes=scopes,
                audience=audience,
                token_endpoint_auth_method=token_endpoint_auth_method,
                claims=claims,
                access_token_ttl=self.config.access_token_ttl
                if access_token_ttl is _DEFAULT
                else access_token_ttl,
                refresh_token_ttl=self.config.refresh_token_ttl
                if refresh_token_ttl is _DEFAULT
                else refresh_token_ttl,
                token_format=token_format,
                tls_client_auth_subject_dn=tls_client_auth_subject_dn,
                tls_client_auth_san_dns=tls_client_auth_san_dns,
                self_signed_certificates=self_signed_certificates,
                redirect_uris=redirect_uris,
                existing=self.store.clients,
                jwks=jwks,
                jwks_uri=jwks_uri,
                token_endpoint_auth_signing_alg=token_endpoint_auth_signing_alg,
                dpop_bound_access_tokens=dpop_bound_access_tokens,
            )
            self.store.clients[client.client_id] = client
            return client

    def add_user(
        self,
        username: str | None = None,
        password: str | None = None,
        *,
        claims: Mapping[str, Any] | None = None,
        profile: Mapping[str, Any] | None = None,
        sub: str | None = None,
        disabled: bool = False,
    ) -> User:
        """Register a user; Faker fills the username, password, ``sub`` and profile.

        ``claims`` go into every token for the user; ``profile`` overrides the
        standard OIDC profile claims (released by the ``profile``/``email`` scopes).
        """
        with self._lock:
            if username is not None and (not isinstance(username, str) or not username):
                raise ValueError(f"username must be a non-empty string; got {username!r}")
            if username in self.store.users:
                raise ValueError(f"user {username!r} already exists")
            if password is not None and (not isinstance(password, str) or not password):
                raise ValueError("password must be a non-empty string")
            name = username or self._identities.username(self.store.users)
            user = User(
                username=name,
                password=password or self._identities.secret(),
                sub=sub or self._identities.sub(),
                profile=self._identities.complete_profile(name, profile),
                claims=dict(claims or {}),
                disabled=bool(disabled),
            )
            self.store.users[name] = user
            return user

    def protect(
        self,
        url: str,
        *,
        scopes: Sequence[str] = (),
        audience: str | None = None,
        leeway: float = 0,
        methods: Iterable[str] | None = None,
        respond: Responder | None = None,
    ) -> ProtectedResource:
        """Mount an API route that accepts only valid bearer tokens from this provider.

        It answers 200 with the token's identity (or what ``respond(request, token)``
        returns), 401 ``invalid_token`` or 403 ``insufficient_scope`` (RFC 6750).
        """
        if isinstance(scopes, str):
            raise TypeError(f"scopes must be a list of scope names, not the string {scopes!r}")
        parsed = httpx.URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(f"protect() needs an absolute http(s) URL; got {url!r}")
        resource = ProtectedResource(
            url=parsed,
            scopes=tuple(scopes),
            audience=audience,
            leeway=leeway,
            methods=None if methods is None else frozenset(m.upper() for m in methods),
            responder=respond,
        )
        with self._lock:
            self._resources.append(resource)
        for listener in self._protect_listeners:
            listener(resource)
        return resource

    def on_protect(self, listener: Callable[[ProtectedResource], None]) -> None:
        """Called by transports that route per URL (respx) when a resource is mounted."""
        self._protect_listeners.append(listener)

    # -- test API ----------------------------------------------------------------------

    def issue_token(
        self,
        client: Client | str | None = None,
        *,
        user: User | str | None = None,
        scopes: Sequence[str] = (),
        ttl: int | None = _DEFAULT,
    ) -> str:
        """Mint an access token directly, as if a grant had succeeded (no request journaled)."""
        with self._lock:
            resolved = self._client(client) if client is not None else self.add_client()
            owner = self._user(user) if user is not None else None
            if ttl is not _DEFAULT:
                check_ttl("ttl", ttl)
            record = self.minter.access_token(
                client=resolved,
                user=owner,
                scope=tuple(scopes),
                ttl=False if ttl is _DEFAULT else ttl,
            )
            return record.value

    def revoke_token(self, token: str) -> None:
        """Revoke a token (and, for a refresh token, every token of its grant)."""
        with self._lock:
            record = self.store.tokens.get(token)
            if record is None:
                raise LookupError("this provider never issued that token")
            record.revoked = True
            if record.kind == "refresh" and record.family_id:
                self.store.revoke_family(record.family_id)

    def check_bearer(
        self,
        authorization: str | None,
        *,
        scopes: Sequence[str] = (),
        audience: str | None = None,
        leeway: float = 0,
        peer_cert: x509.Certificate | None = None,
    ) -> BearerCheck:
        """Validate an ``Authorization`` header like ``protect()`` does, for your own server."""
        with self._lock:
            return check_bearer(
                self,
                authorization,
                scopes=scopes,
                audience=audience,
                leeway=leeway,
                peer_cert=peer_cert,
            )

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

    def metadata(self) -> dict[str, Any]:
        return endpoints.metadata(self)

    def jwks(self) -> dict[str, Any]:
        return self.keys.jwks()

    def url_for(self, endpoint: str) -> str:
        """The absolute URL of ``token``, ``introspection``, ``revocation``, ``userinfo``, ``jwks``."""
        try:
            return self.issuer + endpoints.PATHS[endpoint]
        except KeyError:
            raise ValueError(
                f"unknown endpoint {endpoint!r}; one of {', '.join(endpoints.PATHS)}"
            ) from None

    # -- lifecycle ---------------------------------------------------------------------

    def check(self) -> list[str]:
        """Problems a test left behind: unmet expectations and provider failures."""
        problems = [p for e in self._expectations if (p := e.problem(self.journal)) is not None]
        for entry in self.journal:
            if entry.internal_error:
                problems.append(
                    f"the provider failed on {entry.method} {entry.path} (answered 500); "
                    f"this is a pytest-authmock bug:\n{entry.internal_error}"
                )
        problems.extend(self.minter.hook_errors)
        problems.extend(self.faults.problems())
        return problems

    def reset(self) -> None:
        """Forget clients, users, tokens, resources, expectations, the journal and clock moves."""
        with self._lock:
            self._init_state()
            self.journal.clear()
            self.clock.reset()
            self.keys.reset()

    # -- serving -----------------------------------------------------------------------

    @property
    def handler(self) -> Callable[[httpx.Request], httpx.Response]:
        """A request handler for ``httpx.MockTransport(idp.handler)``: no patching at all.

        Connection faults raise the matching ``httpx`` exception; delays are
        awaited for async clients. Like the respx mount, it reads an RFC 9440
        ``Client-Cert`` header as the (simulated) TLS client certificate.
        """
        from pytest_authmock.transport.client_cert_header import handle_with_client_cert_header

        return lambda request: carry_out(
            request, handle_with_client_cert_header(self.handle, request)
        )

    def handle(
        self, request: httpx.Request, *, peer_cert: x509.Certificate | None = None
    ) -> httpx.Response:
        """Answer one request. Thread-safe; never raises.

        ``peer_cert`` is the TLS client certificate the transport verified, if any.
        """
        trace: dict[str, Any] = {}
        endpoint = "unknown"
        fault: Fault | None = None
        try:
            with self._lock:
                resource = self._resource_for(request.url)
                if resource is not None:
                    endpoint = "resource"
                else:
                    path = self._relative_path(request.url)
                    endpoint, handler = endpoints.route(path)
                # Faults planned by the test (provider/faults.py); a delay is waited
                # out by the transport, never here under the lock.
                fault = self.faults.take(endpoint, request)
                if fault is not None and fault.replaces:
                    trace.update(request_trace(endpoint, request))
                    response = fault.replacement(self.clock.now())
                    trace["error"] = None if fault.no_answer else _error_code(response)
                elif resource is not None:
                    response = resource.respond(self, request, peer_cert)
                else:
                    response = handler(self, request, peer_cert, trace)
        except OAuthError as error:
            trace["error"] = error.error
            response = error_response(error)
        except Exception as exc:
            # A bug in pytest-authmock: answer like a real server would, and let the
            # teardown check fail the test with the traceback.
            trace["internal_error"] = traceback.format_exc()
            response = json_response(
                500,
                {
                    "error": "server_error",
                    "error_description": f"pytest-authmock internal error ({type(exc).__name__})",
                },
            )
        if fault is not None:
            trace["fault"] = fault.kind
            trace["status_code"] = journal_status(fault, response)
            response = fault.spoil(response)
        if response.status_code >= 400 and "error" not in trace:
            trace["error"] = _error_code(response)
        self.journal.record(
            entry_for(
                request,
                response,
                time=self.clock.now(),
                path=request.url.path,
                trace={"endpoint": endpoint, **trace},
            )
        )
        return response

    def _resource_for(self, url: httpx.URL) -> ProtectedResource | None:
        for resource in self._resources:
            if resource.matches(url):
                return resource
        return None

    def _relative_path(self, url: httpx.URL) -> str:
        issuer = self._issuer_url
        origins = [(issuer.scheme, issuer.host, issuer.port)]
        if self._mtls_url is not None:
            origins.append((self._mtls_url.scheme, self._mtls_url.host, self._mtls_url.port))
        if (url.scheme, url.host, url.port) not in origins:
            raise NotFound(
                f"{url.copy_with(query=None)} is not served by this provider ({self.issuer})"
            )
        path = url.path
        prefix = self._issuer_path
        if prefix:
            # RFC 8414 §3.1: for an issuer with a path, the well-known segment goes
            # between host and path.
            for well_known in endpoints.DISCOVERY_PATHS:
                if path == well_known + prefix:
                    return well_known
            if path != prefix and not path.startswith(prefix + "/"):
                raise NotFound(f"{path!r} is outside the issuer path {prefix!r}")
            path = path[len(prefix) :] or "/"
        return path

    def _client(self, client: Client | str) -> Client:
        client_id = client if isinstance(client, str) else client.client_id
        try:
            return self.store.clients[client_id]
        except KeyError:
            raise LookupError(f"no client {client_id!r}; add it with add_client()") from None

    def _user(self, user: User | str) -> User:
        username = user if isinstance(user, str) else user.username
        try:
            return self.store.users[username]
        except KeyError:
            raise LookupError(f"no user {username!r}; add it with add_user()") from None

    def __repr__(self) -> str:
        return (
            f"<FakeIdP {self.issuer} clients={len(self.store.clients)} users={len(self.store.users)} "
            f"requests={len(self.journal)} seed={self.seed}>"
        )


def _wants_secret(methods: str | Sequence[str] | None, *, other_credentials: bool) -> bool:
    """Does a new confidential client need a generated secret?"""
    if methods is None:
        return not other_credentials
    chosen = (methods,) if isinstance(methods, str) else tuple(methods)
    return any(
        m in ("client_secret_basic", "client_secret_post", "client_secret_jwt") for m in chosen
    )


def _error_code(response: httpx.Response) -> str | None:
    try:
        body = json.loads(response.read())
    except ValueError:
        return None
    value = body.get("error") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


__all__ = ["AUTH_METHODS", "GRANT_TYPES", "FakeIdP"]
