"""Settings of ``authmock serve``: defaults, then the ``--config`` TOML file, then flags.

Everything is validated before a socket is opened, so that a typo fails with
one line naming the key and where it was found. The file format belongs to
:mod:`pytest_authmock.config_file`, shared with the fixtures.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_authmock.config_file import (
    CLIENT_KEYS,
    RESOURCE_KEYS,
    TOP_LEVEL_KEYS,
    USER_KEYS,
    ConfigError,
    port_number,
    ttl,
)

if TYPE_CHECKING:
    from pytest_authmock.config_file import Declaration
    from pytest_authmock.provider.profile import Profile

__all__ = [
    "CLIENT_KEYS",
    "RESOURCE_KEYS",
    "TOP_LEVEL_KEYS",
    "USER_KEYS",
    "ConfigError",
    "Settings",
    "load_config",
    "load_profile_file",
    "port_number",
    "split_pair",
    "trust_flag",
    "ttl",
]


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
    #: ``trust_issuer()`` keywords: the file's ``[[trusted_issuers]]``, then ``--trust-issuer``.
    trusted_issuers: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    #: ``idp.protocol_settings`` and ``idp.dpop_settings`` (group -> {key: value}): the
    #: file's ``[protocol]`` and ``[dpop]`` tables, then the flags that set them.
    groups: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    #: The provider profile to replay (``--profile``, or the config file's ``profile``);
    #: the options above win over its choices.
    profile: Profile | None = None
    #: The config file's ``kid``, ``clock_skew`` and ``[[faults]]``, applied after
    #: the clients, users and resources (its own tables are moved to the fields above).
    declaration: Declaration | None = None
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
    """Read a TOML file into ``settings`` (flags are applied afterwards)."""
    from pytest_authmock.config_file import load

    declaration = load(path)
    where = declaration.where
    for key, value in declaration.server.items():
        setattr(settings, key, value)
    options = dict(declaration.options)
    if "issuer" in options:
        settings.issuer = options.pop("issuer")
    settings.provider.update(options)
    if declaration.seed is not None:
        settings.seed = declaration.seed
    if declaration.profile is not None:
        settings.profile = load_profile_file(declaration.profile)
    for name in ("clients", "users", "resources", "trusted_issuers"):
        tables = getattr(declaration, name)
        getattr(settings, name).extend(
            dict(table, _where=f"{where}: {name}[{index}]") for index, table in enumerate(tables)
        )
        setattr(declaration, name, [])
    for group, found in declaration.settings.items():
        settings.groups.setdefault(group, {}).update(found)
    # A reset restores the settings from the baseline, where the flags' values win.
    declaration.settings = {}
    settings.declaration = declaration


def load_profile_file(path: Path) -> Profile:
    """A provider profile for ``--profile``; a bad one is a :class:`ConfigError` naming it."""
    from pytest_authmock.provider.profile import ProfileError, load_profile

    try:
        return load_profile(path)
    except ProfileError as exc:
        raise ConfigError(str(exc)) from None


def trust_flag(value: str) -> dict[str, Any]:
    """``--trust-issuer ISSUER=JWKS_URI`` -> ``trust_issuer()`` keywords (split at the first
    ``=``: an issuer URL has no query, RFC 8414 §2, while a JWKS URI may)."""
    issuer, sep, jwks_uri = value.partition("=")
    urls = ("https://", "http://")
    if not sep or not issuer.startswith(urls) or not jwks_uri.startswith(urls):
        raise ConfigError(
            "--trust-issuer expects ISSUER=JWKS_URI, two http(s) URLs (e.g. --trust-issuer "
            f"https://ci.example=https://ci.example/.well-known/jwks.json); got {value!r}"
        )
    return {"issuer": issuer, "jwks_uri": jwks_uri, "_where": f"--trust-issuer {issuer}"}


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
