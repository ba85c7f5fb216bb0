"""Settings of ``authmock serve``: defaults, then the ``--config`` TOML file, then flags.

Everything is validated here, before a socket is opened, so that a typo fails
with one line naming the key and where it was found.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

__all__ = [
    "CLIENT_KEYS",
    "RESOURCE_KEYS",
    "USER_KEYS",
    "ConfigError",
    "Settings",
    "load_config",
]


class ConfigError(ValueError):
    """A bad option or configuration value; the message is one line for the user."""


#: Keys of a ``[[clients]]`` table: the keywords of ``FakeIdP.add_client`` plus
#: ``p12_password`` for the PKCS#12 file written with ``--mtls``.
CLIENT_KEYS = (
    "client_id",
    "client_secret",
    "public",
    "grant_types",
    "scopes",
    "audience",
    "token_endpoint_auth_method",
    "claims",
    "access_token_ttl",
    "refresh_token_ttl",
    "token_format",
    "tls_client_auth_subject_dn",
    "tls_client_auth_san_dns",
    "redirect_uris",
    "p12_password",
)
#: Keys of a ``[[users]]`` table: the keywords of ``FakeIdP.add_user``.
USER_KEYS = ("username", "password", "claims", "profile", "sub", "disabled")
#: Keys of a ``[[resources]]`` table: ``url`` (absolute, or a path on the issuer's
#: origin) and the keywords of ``FakeIdP.protect``.
RESOURCE_KEYS = ("url", "scopes", "audience", "methods", "leeway")

_SERVER_KEYS = ("host", "port", "tls", "mtls", "certs_dir", "issuer", "seed", "quiet")
_PROVIDER_KEYS = (
    "token_format",
    "algorithm",
    "access_token_ttl",
    "refresh_token_ttl",
    "id_token_ttl",
    "audience",
    "refresh_token_rotation",
    "unauthorized_grant_error",
)
_TABLES = ("clients", "users", "resources")
TOP_LEVEL_KEYS = _SERVER_KEYS + _PROVIDER_KEYS + _TABLES


@dataclasses.dataclass
class Settings:
    """What ``authmock serve`` runs with, after merging every source."""

    host: str = "127.0.0.1"
    port: int = 0
    tls: bool = False
    mtls: bool = False
    certs_dir: Path | None = None
    issuer: str | None = None
    seed: int | None = None
    quiet: bool = False
    #: ``FakeIdP`` keyword arguments (token_format, TTLs, ...).
    provider: dict[str, Any] = dataclasses.field(default_factory=dict)
    clients: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    users: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    resources: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    #: The config file's ``kid``, ``clock_skew`` and ``[[faults]]`` (a
    #: ``declarative.Declaration`` with no clients, users or resources).
    declaration: Any = None
    #: The options for other languages (serve_options.ServeOptions): admin token,
    #: --json, log format, device knobs, redirect URIs.
    options: Any = dataclasses.field(default_factory=lambda: _serve_options())

    @property
    def uses_tls(self) -> bool:
        return self.tls or self.mtls


def _serve_options() -> Any:
    from pytest_authmock.serve_options import ServeOptions

    return ServeOptions()


def load_config(path: Path, settings: Settings) -> None:
    """Read a TOML file into ``settings`` (flags are applied afterwards).

    The provider part of the format is the fixtures' (``config=`` marker option):
    :mod:`pytest_authmock.provider.declarative` validates it, including ``kid``,
    ``clock_skew`` and ``[[faults]]``; the server keys are read here.
    """
    from pytest_authmock.provider import declarative

    try:
        data = declarative.read_toml(path)
    except declarative.ConfigError as exc:
        raise ConfigError(str(exc)) from None
    where = f"config file {path.name}"
    try:
        declaration = declarative.parse(data, path)
    except declarative.ConfigError as exc:
        raise ConfigError(str(exc)) from None
    if "host" in data:
        settings.host = _string(data["host"], f"{where}: host")
    if "port" in data:
        settings.port = port_number(data["port"], f"{where}: port")
    for key in ("tls", "mtls", "quiet"):
        if key in data:
            setattr(settings, key, _boolean(data[key], f"{where}: {key}"))
    if "certs_dir" in data:
        settings.certs_dir = Path(_string(data["certs_dir"], f"{where}: certs_dir"))
    options = dict(declaration.options)
    if "issuer" in options:
        settings.issuer = _string(options.pop("issuer"), f"{where}: issuer")
    settings.provider.update(options)
    if declaration.seed is not None:
        settings.seed = declaration.seed
    for name in ("clients", "users", "resources"):
        tables = getattr(declaration, name)
        getattr(settings, name).extend(
            dict(table, _where=f"{where}: {name}[{index}]") for index, table in enumerate(tables)
        )
    # kid, clock_skew and faults are applied to the provider after registration.
    declaration.clients, declaration.users, declaration.resources = [], [], []
    settings.declaration = declaration


def ttl(value: object, where: str) -> int | None:
    """A TTL in seconds; ``0``, ``"none"`` or ``"never"`` mean the token never expires."""
    if isinstance(value, str) and value.strip().lower() in ("none", "never"):
        return None
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise ConfigError(
                f"{where} must be a whole number of seconds or 'none'; got {value!r}"
            ) from None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{where} must be a whole number of seconds or 'none'; got {value!r}")
    return None if value == 0 else value


def port_number(value: object, where: str) -> int:
    number = _integer(value, where)
    if not 0 <= number <= 65535:
        raise ConfigError(
            f"{where} must be between 0 and 65535 (0 picks a free port); got {number}"
        )
    return number


def split_pair(value: str, option: str, left: str, right: str) -> tuple[str, str]:
    """``ID:SECRET`` -> (id, secret); the secret may contain ':'. Never echoes it."""
    name, sep, secret = value.partition(":")
    usage = f"{option} expects {left}:{right} (e.g. {option} {left.lower()}:{right.lower()})"
    if not sep:
        # Without a colon the value may be a pasted secret: do not repeat it.
        raise ConfigError(f"{usage}; the value has no ':'")
    if not name:
        raise ConfigError(f"{usage}; the {left} part is empty")
    if not secret:
        raise ConfigError(f"{usage}; the {right} part for {name!r} is empty")
    return name, secret


def _string(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where} must be a non-empty string; got {value!r}")
    return value


def _boolean(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false; got {value!r}")
    return value


def _integer(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where} must be a whole number; got {value!r}")
    return value
