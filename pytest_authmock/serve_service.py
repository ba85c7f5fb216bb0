"""The running ``authmock serve``: its listeners, TLS material, provider and summary.

Transport and provider modules are imported when the service starts, not when
this module is: ``authmock serve --help`` and option errors stay instant.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import ssl
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlsplit

from pytest_authmock import serve_banner
from pytest_authmock.serve_certs import certify
from pytest_authmock.serve_config import ConfigError, Settings
from pytest_authmock.serve_demo import (
    DEMO_CLIENT,
    DEMO_PROFILE,
    DEMO_RESOURCE,
    DEMO_SUB,
    DEMO_USER,
    demo_clients,
    demo_resources,
)
from pytest_authmock.serve_log import AccessLog

if TYPE_CHECKING:
    import httpx
    from cryptography import x509

    from pytest_authmock.provider.idp import FakeIdP
    from pytest_authmock.transport.server import LoopbackServer
    from pytest_authmock.transport.tls import ClientCertificate, TLSMaterial

__all__ = ["Service"]

_WILDCARD_HOSTS = ("0.0.0.0", "::", "")  # noqa: S104 - names, not a bind


class Service:
    """The running provider: servers, TLS material and the log.

    ``before_provider`` runs just before the provider is built (``main`` hands
    it the signing key it generated while the modules were importing).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        out: TextIO,
        err: TextIO,
        before_provider: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.out = out
        self.err = err
        self._before_provider = before_provider
        self.servers: list[LoopbackServer] = []
        self.certificates: list[tuple[str, ClientCertificate, str]] = []
        self._temp_dir: Path | None = None
        self.idp: Any = None
        #: The control API and the pages (serve_control.Control), set by start().
        self.control: Any = None

    # -- start-up ---------------------------------------------------------------------

    def start(self) -> None:
        from pytest_authmock.transport.listeners import open_listeners

        settings = self.settings
        material = self._tls_material() if settings.uses_tls else None
        mode = "mtls" if settings.mtls else "http" if material is None else "tls"
        contexts = None
        if material is not None:
            tls = material

            def contexts(client_auth: str) -> ssl.SSLContext:
                return tls.server_context(client_auth=client_auth)

        log = (
            None if settings.quiet else AccessLog(self.err, log_format=settings.options.log_format)
        )
        handler = self._handle if log is None else log.wrap(self._handle)
        try:
            self.servers = open_listeners(
                handler,
                mode,
                contexts,
                host=settings.host,
                port=settings.port,
                public_url=_origin(settings.issuer) if settings.issuer else None,
                on_access=None if log is None else log.record,
                name="authmock-serve",
            )
        except OSError as exc:
            self.stop()
            raise ConfigError(
                f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}"
            ) from None
        self.idp = self._provider(self.servers[0].public_url)
        self._register(material)
        from pytest_authmock import serve_control

        self.control = serve_control.attach(self, material)
        for server in self.servers:
            server.start()

    def _handle(self, request: httpx.Request, cert: x509.Certificate | None) -> httpx.Response:
        response: httpx.Response = self.control.dispatch(request, cert)
        return response

    def _tls_material(self) -> TLSMaterial:
        from pytest_authmock.transport.tls import SERVER_IDENTITIES, TLSMaterial

        settings = self.settings
        identities = list(SERVER_IDENTITIES)
        for name in (settings.host, urlsplit(settings.issuer or "").hostname):
            if name and name not in identities and name not in _WILDCARD_HOSTS:
                identities.append(name)
        if settings.certs_dir is not None:
            directory = settings.certs_dir
        else:
            self._temp_dir = directory = Path(tempfile.mkdtemp(prefix="authmock-certs-"))
        try:
            return TLSMaterial(directory, identities=identities)
        except OSError as exc:
            raise ConfigError(f"cannot write certificates to {str(directory)!r}: {exc}") from None

    def _provider(self, base_url: str) -> FakeIdP:
        from pytest_authmock.provider.config import OptionError
        from pytest_authmock.provider.idp import FakeIdP

        if self._before_provider is not None:
            self._before_provider()
        settings = self.settings
        mtls_url = self.servers[1].public_url if len(self.servers) > 1 else None
        issuer = settings.issuer or base_url
        options, profile = dict(settings.provider), None
        if settings.profile is not None:
            options, profile = settings.profile.adopt(options)
        try:
            idp = FakeIdP(
                issuer=issuer,
                seed=settings.seed,
                mtls_base_url=mtls_url,
                client_certificates=mtls_url is not None,
                **options,
            )
        except OptionError as exc:  # a flag's value: named as the flag's option
            raise ConfigError(f"{exc.option} {exc.problem}") from None
        idp.profile = profile
        return idp

    def _register(self, material: TLSMaterial | None) -> None:
        settings = self.settings
        clients = settings.clients or demo_clients(DEMO_CLIENT, settings.options, self.idp.issuer)
        offered = self.idp.config.grant_types
        if not settings.clients and offered is not None:
            # A profile may leave grants out: the demo clients get the ones offered.
            for spec in clients:
                if "grant_types" in spec:
                    spec["grant_types"] = [g for g in spec["grant_types"] if g in offered]
        for spec in clients:
            self._add_client(dict(spec), material)
        users = settings.users or [
            {
                "username": DEMO_USER[0],
                "password": DEMO_USER[1],
                # Fully specified, so nothing is generated: the demo is the same
                # on every run, and Faker's import stays off the cold start.
                "sub": DEMO_SUB,
                "profile": DEMO_PROFILE,
                "_where": "demo user",
            }
        ]
        for spec in users:
            spec = dict(spec)
            where = spec.pop("_where")
            if "username" not in spec or "password" not in spec:
                raise ConfigError(f"{where}: a user needs username and password")
            self._call(where, self.idp.add_user, spec)
        resources = settings.resources or demo_resources(DEMO_RESOURCE)
        origin = _origin(self.idp.issuer)
        for spec in resources:
            spec = dict(spec)
            where = spec.pop("_where")
            url = spec.pop("url", None)
            if not isinstance(url, str) or not url:
                raise ConfigError(f"{where}: a resource needs url (a path like '/api/me')")
            self._call(
                where,
                self.idp.protect,
                {"url": origin + url if url.startswith("/") else url, **spec},
            )
        for spec in settings.trusted_issuers:
            spec = dict(spec)
            self._call(spec.pop("_where"), self.idp.trust_issuer, spec)
        if settings.declaration is not None:  # kid, clock_skew, [[faults]]
            try:
                settings.declaration.apply(self.idp)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
        from pytest_authmock import setting_groups

        for group, found in settings.groups.items():  # checked when read
            setting_groups.apply(self.idp, group, found)

    def _add_client(self, spec: dict[str, Any], material: TLSMaterial | None) -> None:
        where = spec.pop("_where")
        client_id = spec.get("client_id")
        if not isinstance(client_id, str) or not client_id:
            raise ConfigError(f"{where}: a client needs client_id")
        has_tls = bool(
            spec.get("tls_client_auth_subject_dn") or spec.get("tls_client_auth_san_dns")
        )
        has_keys = "jwks" in spec or "jwks_uri" in spec  # private_key_jwt
        if (
            "client_secret" not in spec
            and not spec.get("public")
            and not (has_tls or has_keys or self.settings.mtls)
        ):
            raise ConfigError(
                f"{where}: give client_secret (or public = true, jwks for private_key_jwt, or "
                "a tls_client_auth_* subject with --mtls); a generated secret would be unknown "
                "to you"
            )
        if material is not None and not spec.get("public"):
            # --certs-dir gets <id>.pem, <id>-key.pem and <id>.p12 for every
            # confidential client; only with --mtls does the server ask for them.
            try:
                spec, cert, p12_password = certify(material, spec, mtls=self.settings.mtls)
            except ValueError as exc:
                raise ConfigError(f"{where}: {exc}") from None
            self.certificates.append((client_id, cert, p12_password))
        spec.pop("p12_password", None)
        self._call(where, self.idp.add_client, spec)

    @staticmethod
    def _call(where: str, function: Any, keywords: dict[str, Any]) -> Any:
        try:
            return function(**keywords)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: {exc}") from None

    # -- what it prints -----------------------------------------------------------------

    def announce(self) -> None:
        """The issuer URL or, with --json, the start record (always), then the summary
        (unless --quiet or --json)."""
        if self.settings.options.json:
            record = serve_banner.start_record(self)
            print(json.dumps(record, separators=(",", ":")), file=self.out, flush=True)
            return
        print(self.idp.issuer, file=self.out, flush=True)
        if not self.settings.quiet:
            print(self.summary(), file=self.out, flush=True)

    def summary(self) -> str:
        return serve_banner.summary(self)

    def _ca_pem(self) -> Path:
        return Path(self.settings.certs_dir or self._temp_dir or ".") / "ca.pem"

    # -- shutdown -------------------------------------------------------------------------

    def stop(self) -> None:
        for server in self.servers:
            with contextlib.suppress(RuntimeError):
                server.stop()
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)


def _origin(url: str | None) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}"
