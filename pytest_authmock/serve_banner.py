"""What ``authmock serve`` tells a person (the summary) and a script (the start record)."""

from __future__ import annotations

import contextlib
import json
import shlex
import socket
from typing import Any

from pytest_authmock.control.home import endpoints
from pytest_authmock.control.pages_paths import DEBUGGER
from pytest_authmock.control.routes import PREFIX
from pytest_authmock.serve_certs import P12_PASSWORD, describe
from pytest_authmock.serve_demo import DEMO_CLI, DEMO_CLIENT, DEMO_USER
from pytest_authmock.setting_groups import GROUPS, changed, public

_WILDCARDS = {"0.0.0.0": "IPv4", "::": "IPv6", "": "IPv4"}  # noqa: S104 - names, not a bind


def listen_addresses(host: str) -> list[str]:
    """The addresses a server bound to ``host`` answers on: itself, or, for a
    wildcard, loopback and this machine's addresses of that family."""
    if host not in _WILDCARDS:
        return [host]
    family = socket.AF_INET6 if host == "::" else socket.AF_INET
    found = ["::1" if family == socket.AF_INET6 else "127.0.0.1"]
    with contextlib.suppress(OSError, UnicodeError):
        for info in socket.getaddrinfo(socket.gethostname(), None, family):
            found.append(str(info[4][0]))
    # The address of the default route: connecting a UDP socket sends nothing, it
    # only asks the kernel which local address it would use.
    probe = "fd00::1" if family == socket.AF_INET6 else "10.255.255.255"
    with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as udp:
        udp.connect((probe, 9))
        found.append(str(udp.getsockname()[0]))
    return list(dict.fromkeys(found))


def listening(service: Any) -> str:
    main = service.servers[0]
    host = service.settings.host
    chosen = " (picked because --port is 0)" if service.settings.port == 0 else ""
    if host in _WILDCARDS:
        family = _WILDCARDS[host]
        addresses = ", ".join(listen_addresses(host))
        shown = host or "0.0.0.0"  # noqa: S104 - a name, not a bind
        return f"all {family} addresses ({shown}) port {main.port}{chosen}: {addresses}"
    return f"{main.host} port {main.port}{chosen}"


def _origin(service: Any) -> str:
    scheme, _, rest = service.idp.issuer.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def curl_line(service: Any, token_endpoint: str) -> str:
    """A command that gets a token from this server, ready to paste."""
    if service.settings.clients:
        client_id = next(iter(service.idp.clients))
        credentials = f"{client_id}:SECRET"
    else:
        credentials = f"{DEMO_CLIENT[0]}:{DEMO_CLIENT[1]}"
    words = ["curl", "-s", "-u", credentials, "-d", "grant_type=client_credentials"]
    if service.settings.uses_tls:
        words += ["--cacert", str(service._ca_pem())]
    return shlex.join([*words, token_endpoint])


def summary(service: Any) -> str:
    idp = service.idp
    settings = service.settings
    main = service.servers[0]
    host = settings.host
    where = main.url if host not in _WILDCARDS else f"all {_WILDCARDS[host]} addresses"
    lines = [f"pytest-authmock fake identity provider, listening on {where} (Ctrl-C to stop)"]
    rows: list[tuple[str, str]] = [("listening", listening(service)), ("issuer", idp.issuer)]
    found = endpoints(idp)
    rows += [(name.replace("_", " "), url) for name, url in found.items()]
    if len(service.servers) > 1:
        rows.append(("mTLS aliases", f"{service.servers[1].url} (client certificate required)"))
    rows += [("protected API", str(resource.url)) for resource in idp.resources]
    config = idp.config
    lifetime = (
        "never expire" if config.access_token_ttl is None else f"live {config.access_token_ttl} s"
    )
    algorithm = f" ({config.algorithm})" if config.token_format == "jwt" else ""
    rows.append(("tokens", f"{config.token_format}{algorithm}; access tokens {lifetime}"))
    if idp.profile is not None:
        rows.append(("profile", f"{idp.profile.source} (from {idp.profile.issuer})"))
    rows += setting_rows(idp)
    if idp.trusted_issuers:
        rows.append(("trusted issuers", ", ".join(idp.trusted_issuers)))
    if not settings.clients:
        rows.append(("demo client", f"{DEMO_CLIENT[0]} / {DEMO_CLIENT[1]}"))
        rows.append(("demo CLI client", f"{DEMO_CLI} (public: device, auth code + PKCE, password)"))
    else:
        rows.append(("clients", ", ".join(idp.clients) + " (secrets as configured, not shown)"))
    if not settings.users:
        rows.append(("demo user", f"{DEMO_USER[0]} / {DEMO_USER[1]}"))
    else:
        rows.append(("users", ", ".join(idp.users)))
    if settings.uses_tls:
        rows.append(("CA certificate", str(service._ca_pem())))
    for client_id, cert, password in service.certificates:
        shown = "(as configured)" if password != P12_PASSWORD else password
        rows.append(
            (
                f"cert {client_id}",
                f"{cert.cert_pem} + {cert.key_pem.name}; {cert.p12.name} password {shown}",
            )
        )
    origin = _origin(service)
    rows += [
        ("home page", origin + "/"),
        ("debugger", origin + DEBUGGER),
        ("control API", f"{origin}{PREFIX}/ (OpenAPI: {origin}{PREFIX}/openapi.json)"),
        ("admin token", service.control.admin_token),
        ("try", curl_line(service, found["token"])),
    ]
    width = max(len(name) for name, _ in rows)
    lines += [f"  {name.ljust(width)}  {value}" for name, value in rows]
    return "\n".join(lines)


def setting_rows(idp: Any) -> list[tuple[str, str]]:
    """A row per setting group that differs from the defaults (a secret only says it is set)."""
    rows = []
    for group in GROUPS:
        different = changed(idp, group)
        if different:
            shown = (
                f"{key}={value if isinstance(value, str) else json.dumps(value)}"
                for key, value in different.items()
            )
            rows.append((f"{group} settings", ", ".join(shown)))
    return rows


def start_record(service: Any) -> dict[str, Any]:
    """The ``--json`` start record: one JSON object, everything a script needs."""
    idp = service.idp
    settings = service.settings
    main = service.servers[0]
    origin = _origin(service)
    record: dict[str, Any] = {
        "issuer": idp.issuer,
        "admin_token": service.control.admin_token,
        "control_api": origin + PREFIX,
        "openapi": f"{origin}{PREFIX}/openapi.json",
        "home": origin + "/",
        "debugger": origin + DEBUGGER,
        "host": settings.host,
        "port": main.port,
        "addresses": listen_addresses(settings.host),
        "endpoints": endpoints(idp),
        "tls": settings.uses_tls,
        "ca_pem": str(service._ca_pem()) if settings.uses_tls else None,
        "client_certificates": {
            client_id: describe(cert, password)
            for client_id, cert, password in service.certificates
        },
        "clients": list(idp.clients),
        "users": list(idp.users),
        "profile": None if idp.profile is None else str(idp.profile.source),
        "trusted_issuers": list(idp.trusted_issuers),
        # /_authmock/settings/<group> answers the same (a secret as <key>_set).
        **{group: public(idp, group) for group in GROUPS},
    }
    if len(service.servers) > 1:
        record["mtls_endpoint_aliases"] = idp.metadata()["mtls_endpoint_aliases"]
    if not settings.clients:
        record["demo_client"] = {"client_id": DEMO_CLIENT[0], "client_secret": DEMO_CLIENT[1]}
        record["demo_cli_client"] = {"client_id": DEMO_CLI}
    if not settings.users:
        record["demo_user"] = {"username": DEMO_USER[0], "password": DEMO_USER[1]}
    return record
