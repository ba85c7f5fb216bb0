"""The loopback provider behind ``idp_server``: ``IdPServer`` and the session's ``ServerPool``.

Imported by the fixtures on first use, so a pytest run that never asks for
``idp_server`` does not pay for TLS material, the server or the provider. Nothing
here knows pytest: the fixtures (``server_fixtures``) read the marker and pick
the mode.
"""

from __future__ import annotations

import functools
import ssl
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from pytest_authmock.provider.config import ProviderConfig
from pytest_authmock.provider.idp import FakeIdP
from pytest_authmock.provider.models import Client
from pytest_authmock.transport.listeners import MODES, open_listeners
from pytest_authmock.transport.server import ContextFactory, LoopbackServer
from pytest_authmock.transport.tls import ClientCertificate, TLSMaterial

__all__ = ["MODES", "IdPServer", "ServerPool"]

# Thread names of each mode's listeners (the mTLS alias adds "-alias").
_NAMES = {"http": "authmock-http", "tls": "authmock-https", "mtls": "authmock-mtls"}


class IdPServer(FakeIdP):
    """A :class:`FakeIdP` served on a real loopback socket; what ``idp_server`` yields.

    Everything ``idp`` offers works the same; in addition it knows its server:
    :attr:`issuer` is a real ``http(s)://127.0.0.1:<port>`` URL, and with TLS
    :attr:`ca_pem`, :attr:`ssl_context` and :meth:`client_cert` give clients what
    they need to trust the server and to present certificates.

    Do not construct it yourself; request the ``idp_server`` fixture.
    """

    def __init__(
        self,
        *,
        mode: str,
        tls: TLSMaterial | None,
        mtls_url: str | None,
        **options: Any,
    ) -> None:
        if mtls_url is not None:
            options["mtls_base_url"] = mtls_url
        # Only the mTLS listeners ask for client certificates.
        options.setdefault("client_certificates", mode == "mtls")
        super().__init__(**options)
        self.mode = mode
        self._tls = tls
        #: The mTLS alias origin (certificate required), or ``None`` without mTLS.
        self.mtls_url = mtls_url
        self._ssl_context: ssl.SSLContext | None = None

    @property
    def url(self) -> str:
        """The server's origin (the issuer without its path, if it had one)."""
        parsed = httpx.URL(self.issuer)
        return f"{parsed.scheme}://{parsed.netloc.decode('ascii')}"

    @property
    def tls_material(self) -> TLSMaterial:
        if self._tls is None:
            raise RuntimeError(
                "this idp_server speaks plain HTTP, so it has no CA or client certificates; "
                "mark the test with @pytest.mark.authmock(tls=True) (or mtls=True for "
                "client certificates)"
            )
        return self._tls

    @property
    def ca_pem(self) -> str:
        """Path of the CA certificate (PEM) that signed the server's certificate.

        ``requests.get(..., verify=idp_server.ca_pem)``, ``curl --cacert``, ``SSL_CERT_FILE``.
        """
        return str(self.tls_material.ca_pem)

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """A client context trusting the server: ``httpx.Client(verify=idp_server.ssl_context)``."""
        if self._ssl_context is None:
            self._ssl_context = self.tls_material.client_context()
        return self._ssl_context

    @property
    def httpx_verify(self) -> ssl.SSLContext:
        """``verify=`` for an httpx client: the context trusting the test CA with TLS.

        Over plain HTTP it is a default context shared by the session: building one
        loads the system CA bundle, which costs more than a whole token request.
        """
        return self.ssl_context if self._tls is not None else _default_context()

    def client_cert(
        self,
        client: Client | str,
        *,
        expired: bool = False,
        untrusted: bool = False,
        password: str | None = None,
        subject_dn: str | None = None,
        san_dns: Sequence[str] | None = None,
    ) -> ClientCertificate:
        """Issue a client certificate from the session CA: PEM cert + key and PKCS#12.

        For a client registered with ``tls_client_auth_subject_dn`` or
        ``tls_client_auth_san_dns`` the certificate matches what it registered;
        otherwise its subject is ``O=pytest-authmock,OU=clients,CN=<client_id>`` (RFC 4514 order)
        (register that with ``tls_client_auth_subject_dn=cert.subject_dn``).
        ``expired=True`` and ``untrusted=True`` (signed by another CA) make
        certificates the server's handshake refuses.
        """
        self._require_mtls("client_cert")
        if isinstance(client, str):
            client_id = client
        else:
            client_id = client.client_id
            if subject_dn is None:
                subject_dn = client.tls_client_auth_subject_dn
            if san_dns is None and client.tls_client_auth_san_dns:
                san_dns = [client.tls_client_auth_san_dns]
        return self.tls_material.issue_client_cert(
            client_id,
            subject_dn=subject_dn,
            san_dns=san_dns or (),
            expired=expired,
            untrusted=untrusted,
            password=password,
        )

    def self_signed_cert(self, client_id: str, *, password: str | None = None) -> ClientCertificate:
        """A self-signed certificate; register it with
        ``add_client(self_signed_certificates=[cert.certificate])``."""
        self._require_mtls("self_signed_cert")
        return self.tls_material.self_signed_client_cert(client_id, password=password)

    def _require_mtls(self, what: str) -> None:
        if self.mode != "mtls":
            raise RuntimeError(
                f"idp_server.{what}() needs a server that asks for client certificates; "
                "mark the test with @pytest.mark.authmock(mtls=True)"
            )

    def registered_self_signed(self) -> tuple[x509.Certificate, ...]:
        """Certificates the handshake must accept as their own trust anchors."""
        for _ in range(3):
            try:
                clients = tuple(self.clients.values())
                break
            except RuntimeError:  # a test thread registered a client mid-copy
                continue
        else:
            return ()
        return tuple(cert for client in clients for cert in client.self_signed_certificates)

    def __repr__(self) -> str:
        return f"<IdPServer {self.issuer} mode={self.mode} clients={len(self.clients)}>"


@functools.cache
def _default_context() -> ssl.SSLContext:
    return ssl.create_default_context()


class _Listener:
    """A running server plus the provider it currently serves."""

    def __init__(self) -> None:
        self.provider: IdPServer | None = None

    def handle(self, request: httpx.Request, cert: x509.Certificate | None) -> httpx.Response:
        provider = self.provider
        if provider is None:
            # Between tests: a client (or a leftover thread of the previous test)
            # gets a clear answer rather than a stale provider.
            return httpx.Response(
                503,
                json={
                    "error": "temporarily_unavailable",
                    "error_description": "no test is using idp_server right now",
                },
            )
        return provider.handle(request, peer_cert=cert)


class ServerPool:
    """The session's loopback servers, started on first use and stopped at the end."""

    def __init__(self, cert_dir: Path) -> None:
        self._cert_dir = cert_dir
        self._tls: TLSMaterial | None = None
        self._servers: dict[str, list[LoopbackServer]] = {}
        self._listeners: dict[str, _Listener] = {}
        self._lock = threading.Lock()
        self._tls_lock = threading.Lock()
        self._trust_cache: dict[tuple[str, frozenset[bytes]], ssl.SSLContext] = {}

    @property
    def tls(self) -> TLSMaterial:
        """The session CA, made on first use (plain-HTTP-only sessions never pay for it)."""
        with self._tls_lock:
            if self._tls is None:
                self._tls = TLSMaterial(self._cert_dir)
            return self._tls

    def servers(self) -> list[LoopbackServer]:
        return [server for group in self._servers.values() for server in group]

    def _start(self, mode: str) -> list[LoopbackServer]:
        with self._lock:
            if mode in self._servers:
                return self._servers[mode]
            listener = _Listener()
            self._listeners[mode] = listener

            def contexts(client_auth: str) -> ssl.SSLContext | ContextFactory:
                if client_auth == "none":
                    return self.tls.server_context()
                # Asked per connection: the trust store follows the self-signed
                # certificates of the clients registered right now.
                return functools.partial(self._mtls_context, listener, client_auth)

            group = open_listeners(listener.handle, mode, contexts, name=_NAMES[mode])
            for server in group:
                server.start()
            self._servers[mode] = group
            return group

    def _mtls_context(self, listener: _Listener, client_auth: str) -> ssl.SSLContext:
        provider = listener.provider
        extra = provider.registered_self_signed() if provider is not None else ()
        key = (client_auth, frozenset(cert.public_bytes(Encoding.DER) for cert in extra))
        context = self._trust_cache.get(key)
        if context is None:
            context = self.tls.server_context(client_auth=client_auth, extra_trust=extra)
            if len(self._trust_cache) > 32:
                self._trust_cache.clear()
            self._trust_cache[key] = context
        return context

    def provider(self, mode: str, config: ProviderConfig, seed: int | None) -> IdPServer:
        """A fresh provider for one test, served by the ``mode`` servers.

        Its issuer is always the server's own URL: an ``issuer`` option (marker or
        ini) configures the in-process ``idp`` only.
        """
        if mode not in MODES:
            raise ValueError(f"idp_server mode must be one of {', '.join(MODES)}; got {mode!r}")
        group = self._start(mode)
        options = {name: getattr(config, name) for name in ProviderConfig.option_names()}
        options["issuer"] = group[0].public_url
        provider = IdPServer(
            mode=mode,
            tls=self.tls if mode != "http" else None,
            mtls_url=group[1].public_url if mode == "mtls" else None,
            seed=seed,
            **options,
        )
        self._listeners[mode].provider = provider
        return provider

    def release(self, mode: str) -> None:
        listener = self._listeners.get(mode)
        if listener is not None:
            listener.provider = None

    def errors(self, mode: str) -> list[BaseException]:
        """Exceptions that escaped the provider since the last call, then forgets them."""
        found: list[BaseException] = []
        for server in self._servers.get(mode, []):
            found.extend(server.errors)
            server.errors.clear()
        return found

    def close(self) -> None:
        with self._lock:
            servers = self.servers()
            self._servers.clear()
        problems: list[str] = []
        for server in servers:
            try:
                server.stop()
            except RuntimeError as exc:
                problems.append(str(exc))
        if problems:
            raise RuntimeError("; ".join(problems))
