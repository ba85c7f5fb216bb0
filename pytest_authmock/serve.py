"""``authmock serve``: the fake provider on a loopback socket until interrupted.

The first line on stdout is the issuer URL, printed only once the server accepts
connections, so a script (or a test) can start the command and read one line.
A short summary follows; a log line per request goes to stderr with secrets
redacted. Bad options or configuration print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any, TextIO
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from pytest_authmock import serve_banner
from pytest_authmock.serve_certs import P12_PASSWORD, certify
from pytest_authmock.serve_config import (
    ConfigError,
    Settings,
    load_config,
    load_profile_file,
    port_number,
    split_pair,
    ttl,
)
from pytest_authmock.serve_demo import demo_clients, demo_resources
from pytest_authmock.serve_env import env_arguments
from pytest_authmock.serve_log import json_line
from pytest_authmock.serve_options import add_options, read_options

__all__ = ["DEMO_CLIENT", "DEMO_USER", "P12_PASSWORD", "build_parser", "main"]

#: Credentials of the embedded demo configuration, used when none are given.
#: They are documented and printed: they protect nothing.
DEMO_CLIENT = ("demo-client", "demo-secret")
DEMO_USER = ("demo", "demo-password")
DEMO_SUB = "7f5c3a52-2d0e-4b8e-9a3f-6d1b0c2e4a10"
DEMO_PROFILE = {
    "name": "Demo User",
    "given_name": "Demo",
    "family_name": "User",
    "preferred_username": DEMO_USER[0],
    "email": "demo@example.test",
    "email_verified": True,
    "updated_at": 1700000000,
}
DEMO_RESOURCE = "/api/me"

# Query parameters whose values are safe to print; every other value is redacted.
_SAFE_PARAMS = frozenset(
    {
        "grant_type",
        "response_type",
        "scope",
        "client_id",
        "redirect_uri",
        "token_type_hint",
        "resource",
        "audience",
        "prompt",
        "response_mode",
        "code_challenge_method",
    }
)
_WILDCARD_HOSTS = ("0.0.0.0", "::", "")  # noqa: S104 - names, not a bind


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, no usage block
        raise ConfigError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="authmock serve",
        description=(
            "Run the pytest-authmock fake OAuth 2.0 / OpenID Connect provider on a loopback "
            "socket until interrupted. The first line on stdout is the issuer URL. With no "
            f"options: a demo client {DEMO_CLIENT[0]}:{DEMO_CLIENT[1]} and user "
            f"{DEMO_USER[0]}:{DEMO_USER[1]}."
        ),
    )
    add = parser.add_argument
    add("--host", help="address to listen on (default 127.0.0.1)")
    add("--port", help="port to listen on; 0 picks a free one (default 0)")
    add(
        "--client",
        action="append",
        default=[],
        metavar="ID:SECRET",
        help="register a confidential client (repeatable)",
    )
    add(
        "--user",
        action="append",
        default=[],
        metavar="NAME:PASSWORD",
        help="register a user for the password grant (repeatable)",
    )
    add("--tls", action="store_true", default=None, help="serve HTTPS from a throw-away CA")
    add(
        "--mtls",
        action="store_true",
        default=None,
        help="HTTPS that asks for client certificates, with a certificate-required alias "
        "listener (RFC 8705 mtls_endpoint_aliases); implies --tls",
    )
    add(
        "--certs-dir",
        metavar="DIR",
        help="write ca.pem there, and <id>.pem, <id>-key.pem and <id>.p12 per client "
        "(default: a temporary directory removed at exit)",
    )
    add("--token-format", choices=("jwt", "opaque"), help="access token format (default jwt)")
    add(
        "--access-token-ttl",
        metavar="SECONDS",
        help="access token lifetime; 0 or 'none' = never expires (default 3600)",
    )
    add(
        "--issuer",
        metavar="URL",
        help="public issuer URL when clients reach the server through a proxy or a container "
        "port (default: the listening URL)",
    )
    add("--config", metavar="FILE", help="TOML file with clients, users, resources, claims, TTLs")
    add(
        "--profile",
        metavar="FILE",
        help="replay a provider profile recorded by the contract suite: answer like that "
        "provider (options given in flags or --config win over its choices)",
    )
    add("--seed", metavar="N", help="seed for generated values (user profiles, subjects)")
    add("--quiet", action="store_true", default=None, help="print only the issuer URL")
    add_options(parser)
    return parser


def parse(argv: Sequence[str]) -> Settings:
    args = build_parser().parse_args(list(argv))
    settings = Settings()
    settings.options = read_options(args)
    if args.config is not None:
        load_config(Path(args.config), settings)
    if args.profile is not None:
        settings.profile = load_profile_file(Path(args.profile))
    if args.host is not None:
        if not args.host:
            raise ConfigError("--host must not be empty")
        settings.host = args.host
    if args.port is not None:
        try:
            port = int(args.port)
        except ValueError:
            raise ConfigError(f"--port must be a whole number; got {args.port!r}") from None
        settings.port = port_number(port, "--port")
    for flag in ("tls", "mtls", "quiet"):
        if getattr(args, flag):
            setattr(settings, flag, True)
    if args.certs_dir is not None:
        settings.certs_dir = Path(args.certs_dir)
    if args.issuer is not None:
        settings.issuer = args.issuer
    if args.seed is not None:
        try:
            settings.seed = int(args.seed)
        except ValueError:
            raise ConfigError(f"--seed must be a whole number; got {args.seed!r}") from None
    if args.token_format is not None:
        settings.provider["token_format"] = args.token_format
    if args.access_token_ttl is not None:
        settings.provider["access_token_ttl"] = ttl(args.access_token_ttl, "--access-token-ttl")
    for value in args.client:
        client_id, secret = split_pair(value, "--client", "ID", "SECRET")
        settings.clients.append(
            {
                "client_id": client_id,
                "client_secret": secret,
                "redirect_uris": settings.options.client_redirect_uris(),
                "_where": f"--client {client_id}",
            }
        )
    for value in args.user:
        username, password = split_pair(value, "--user", "NAME", "PASSWORD")
        settings.users.append(
            {"username": username, "password": password, "_where": f"--user {username}"}
        )
    if settings.certs_dir is not None and not settings.uses_tls:
        raise ConfigError("--certs-dir needs --tls or --mtls (plain HTTP has no certificates)")
    return settings


class Service:
    """The running provider: servers, TLS material and the log."""

    def __init__(
        self, settings: Settings, *, out: TextIO, err: TextIO, pending_key: _Pending | None = None
    ) -> None:
        self.settings = settings
        self._pending_key = pending_key
        self.out = out
        self.err = err
        self.servers: list[Any] = []
        self.certificates: list[tuple[str, Any, str]] = []
        self._temp_dir: Path | None = None
        self._local = threading.local()
        self._log_lock = threading.Lock()
        self.idp: Any = None
        #: The control API and the pages (serve_control.Control), set by start().
        self.control: Any = None

    # -- start-up ---------------------------------------------------------------------

    def start(self) -> None:
        from pytest_authmock.transport.server import LoopbackServer

        settings = self.settings
        material = self._tls_material() if settings.uses_tls else None
        public = _origin(settings.issuer) if settings.issuer else None
        try:
            if material is None:
                main = LoopbackServer(
                    self._handle,
                    host=settings.host,
                    port=settings.port,
                    public_url=public,
                    on_access=self._log_access,
                    name="authmock-serve",
                )
            else:
                auth = "optional" if settings.mtls else "none"
                main = LoopbackServer(
                    self._handle,
                    host=settings.host,
                    port=settings.port,
                    public_url=public,
                    tls=material.server_context(client_auth=auth),
                    on_access=self._log_access,
                    name="authmock-serve",
                )
            self.servers.append(main)
            if material is not None and settings.mtls:
                self.servers.append(
                    LoopbackServer(
                        self._handle,
                        host=settings.host,
                        port=0,
                        tls=material.server_context(client_auth="required"),
                        on_access=self._log_access,
                        name="authmock-serve-mtls",
                    )
                )
        except OSError as exc:
            self.stop()
            raise ConfigError(
                f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}"
            ) from None
        self.idp = self._provider(main.public_url)
        self._register(material)
        from pytest_authmock import serve_control

        self.control = serve_control.attach(self, material)
        for server in self.servers:
            server.start()

    def _tls_material(self) -> Any:
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

    def _provider(self, base_url: str) -> Any:
        from pytest_authmock.provider.config import OptionError
        from pytest_authmock.provider.idp import FakeIdP

        if self._pending_key is not None:
            self._pending_key.adopt()

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

    def _register(self, material: Any) -> None:
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
        if settings.declaration is not None:  # kid, clock_skew, [[faults]]
            try:
                settings.declaration.apply(self.idp)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None

    def _add_client(self, spec: dict[str, Any], material: Any) -> None:
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

    # -- serving ------------------------------------------------------------------------

    def _handle(self, request: Any, cert: Any) -> Any:
        # Runs in the connection's thread, just before the access record is
        # logged from the same thread: a thread-local carries the extra fields.
        if self.settings.quiet:  # nothing is logged: skip the log fields
            return self.control.dispatch(request, cert)
        self._local.who = _who(request)
        response = self.control.dispatch(request, cert)
        error = None
        if response.status_code >= 400:
            with contextlib.suppress(ValueError, AttributeError):
                error = json.loads(response.read()).get("error")
        self._local.error = error if isinstance(error, str) else None
        return response

    def _log_access(self, record: Any) -> None:
        if self.settings.quiet:
            return
        stamp = time.strftime("%H:%M:%S")
        if record.tls_error:
            line = f"{stamp} {record.client} TLS handshake failed: {record.tls_error}"
            if self.settings.options.log_format == "json":
                line = json_line(record, None, (), "")
        else:
            error = getattr(self._local, "error", None)
            who = getattr(self._local, "who", ())
            self._local.error, self._local.who = None, ()
            parts = [
                stamp,
                record.client,
                record.method,
                redact_target(record.target),
                str(record.status),
            ]
            if error:
                parts.append(error)
            parts.extend(who)
            parts.append(f"{record.duration_ms:.1f}ms")
            if record.peer_subject:
                parts.append(f"cert={record.peer_subject}")
            line = " ".join(parts)
            if self.settings.options.log_format == "json":
                line = json_line(record, error, who, redact_target(record.target))
        # A closed stderr (the reader went away) must not take the server down.
        with self._log_lock, contextlib.suppress(OSError, ValueError):
            print(line, file=self.err, flush=True)

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


def _who(request: Any) -> tuple[str, ...]:
    """``grant=...`` and ``client=...`` of a form request: names, never credentials."""
    fields: list[str] = []
    params: dict[str, str] = {}
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        with contextlib.suppress(UnicodeDecodeError, ValueError):
            params = dict(parse_qsl(request.content.decode("utf-8"), max_num_fields=64))
    client_id = params.get("client_id")
    authorization = request.headers.get("authorization", "")
    if client_id is None and authorization[:6].lower() == "basic ":
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
            client_id = unquote_plus(decoded.partition(":")[0])  # the part before the secret
    if "grant_type" in params:
        fields.append(f"grant={params['grant_type']}")
    if client_id:
        fields.append(f"client={client_id}")
    if "username" in params:
        fields.append(f"user={params['username']}")
    return tuple(fields)


def redact_target(target: str) -> str:
    """Keep the path and harmless parameters; replace every other value with ``***``."""
    path, sep, query = target.partition("?")
    if not sep:
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    shown = "&".join(f"{name}={value if name in _SAFE_PARAMS else '***'}" for name, value in pairs)
    return f"{path}?{shown}"


def _warm_signing_key(algorithm: object) -> _Pending | None:
    """Start generating the signing key while the provider is being imported.

    RSA key generation takes 50-150 ms and releases the GIL. The thread imports
    ``cryptography`` alone (the provider needs it anyway), so it overlaps with
    the imports instead of competing with them; the provider adopts the key.
    """
    if algorithm not in ("RS256", "ES256"):
        return None  # the provider reports a bad algorithm itself
    pending = _Pending(str(algorithm))
    threading.Thread(target=pending.run, name="authmock-keygen", daemon=True).start()
    return pending


class _Pending:
    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        self._done = threading.Event()
        self._key: Any = None

    def run(self) -> None:
        try:
            if self.algorithm == "RS256":
                from cryptography.hazmat.primitives.asymmetric import rsa

                self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            else:
                from cryptography.hazmat.primitives.asymmetric import ec

                self._key = ec.generate_private_key(ec.SECP256R1())
        finally:
            self._done.set()

    def adopt(self) -> None:
        """Hand the key to the provider's key cache (it generates one itself if this failed)."""
        if self._done.wait(30) and self._key is not None:
            from pytest_authmock.provider import keys

            keys.adopt(self.algorithm, self._key)


def _origin(url: str | None) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}"


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Entry point of ``authmock serve``; returns the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    stop = threading.Event()
    service: Service | None = None

    def _terminate(signum: int, frame: FrameType | None) -> None:
        stop.set()

    try:
        try:
            given = list(sys.argv[1:] if argv is None else argv)
            settings = parse(env_arguments(build_parser(), given, os.environ) + given)
        except SystemExit as exit_:  # --help
            return int(exit_.code or 0)
        if threading.current_thread() is threading.main_thread():
            # SIGTERM (docker stop, CI cleanup) ends the run like Ctrl-C: exit 0.
            signal.signal(signal.SIGTERM, _terminate)
        profile_options = settings.profile.options if settings.profile else {}
        algorithm = settings.provider.get("algorithm", profile_options.get("algorithm", "RS256"))
        pending = _warm_signing_key(algorithm)
        service = Service(settings, out=out, err=err, pending_key=pending)
        service.start()
        service.announce()
        while not stop.wait(0.5):
            pass
    except ConfigError as error:
        print(f"authmock serve: error: {error}", file=err, flush=True)
        return 2
    except KeyboardInterrupt:
        pass
    finally:
        if service is not None:
            service.stop()
    return 0
