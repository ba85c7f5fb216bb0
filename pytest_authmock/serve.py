"""``authmock serve``: the fake provider on a loopback socket until interrupted.

The first line on stdout is the issuer URL, printed only once the server accepts
connections, so a script (or a test) can start the command and read one line.
A short summary follows; a log line per request goes to stderr with secrets
redacted. Bad options or configuration print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from pytest_authmock.serve_certs import P12_PASSWORD
from pytest_authmock.serve_config import (
    ConfigError,
    Settings,
    load_config,
    load_profile_file,
    port_number,
    split_pair,
    trust_flag,
    ttl,
)
from pytest_authmock.serve_demo import DEMO_CLIENT, DEMO_USER
from pytest_authmock.serve_env import env_arguments
from pytest_authmock.serve_log import redact_target
from pytest_authmock.serve_options import add_options, read_options, read_setting_flags
from pytest_authmock.serve_service import Service

__all__ = [
    "DEMO_CLIENT",
    "DEMO_USER",
    "P12_PASSWORD",
    "Service",
    "build_parser",
    "main",
    "parse",
    "redact_target",
]


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
        "--journal-limit",
        metavar="N",
        help="keep the last N requests in the journal; 0 or 'none' = all (default 10000)",
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
    if args.journal_limit is not None:
        settings.provider["journal_limit"] = journal_limit(args.journal_limit)
    read_setting_flags(args, settings.groups)
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
    settings.trusted_issuers.extend(trust_flag(value) for value in args.trust_issuer)
    if settings.certs_dir is not None and not settings.uses_tls:
        raise ConfigError("--certs-dir needs --tls or --mtls (plain HTTP has no certificates)")
    return settings


def journal_limit(value: str) -> int | None:
    """``--journal-limit``: a positive count, or ``0``/``none`` for an unbounded journal."""
    if value.strip().lower() in ("0", "none"):
        return None
    try:
        limit = int(value)
    except ValueError:
        limit = -1
    if limit < 1:
        raise ConfigError(
            f"--journal-limit must be a whole number of requests or 'none'; got {value!r}"
        )
    return limit


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


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # Where signals cannot be blocked and waited for: SIGTERM ends the run like
    # Ctrl-C. Raising, not setting an Event: Event.set() from a handler
    # deadlocks when the signal lands while the main thread holds its lock.
    raise KeyboardInterrupt


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Entry point of ``authmock serve``; returns the exit status.

    SIGINT (Ctrl-C) and SIGTERM (``docker stop``, CI clean-up) end the run with
    status 0. Called in the main thread on POSIX, it blocks both before starting
    any thread and waits for them: a signal is taken where the run waits, never
    in the middle of the shutdown, and a second one (``docker stop`` and test
    harnesses repeat SIGTERM) stays pending, harmless, while the process exits.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    service: Service | None = None
    main_thread = threading.current_thread() is threading.main_thread()
    blocking = main_thread and hasattr(signal, "pthread_sigmask")
    # Threads started from here on inherit the mask: none of them takes the signal.
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS) if blocking else None
    signalled = False
    try:
        try:
            given = list(sys.argv[1:] if argv is None else argv)
            settings = parse(env_arguments(build_parser(), given, os.environ) + given)
        except SystemExit as exit_:  # --help
            return int(exit_.code or 0)
        if main_thread and not blocking:
            signal.signal(signal.SIGTERM, _interrupt)
        profile_options = settings.profile.options if settings.profile else {}
        algorithm = settings.provider.get("algorithm", profile_options.get("algorithm", "RS256"))
        pending = _warm_signing_key(algorithm)
        service = Service(
            settings, out=out, err=err, before_provider=pending.adopt if pending else None
        )
        service.start()
        service.announce()
        if blocking:
            signal.sigwait(_STOP_SIGNALS)
            signalled = True
        else:
            while True:
                time.sleep(3600)
    except ConfigError as error:
        print(f"authmock serve: error: {error}", file=err, flush=True)
        return 2
    except KeyboardInterrupt:
        pass
    finally:
        if service is not None:
            service.stop()
        if old_mask is not None and not signalled:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
    return 0
