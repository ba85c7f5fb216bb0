"""Declarative setup: one TOML file for the fixtures and ``authmock serve --config``.

The format is ``authmock serve``'s (:mod:`pytest_authmock.serve_config` owns the
key lists, so the two cannot drift), plus three keys for scenarios::

    token_format = "jwt"            # provider options, as for the marker
    access_token_ttl = 600
    kid = "tenant-a-2024"           # the signing key's kid
    clock_skew = 120                # provider runs 2 minutes ahead of the client

    [[clients]]
    client_id = "ci-bot"
    client_secret = "ci-bot-secret"
    grant_types = ["client_credentials"]
    claims = { tenant = "acme" }

    [[users]]
    username = "alice"
    password = "wonderland"

    [[resources]]
    url = "/api/me"                 # a path on the issuer's origin, or a full URL
    scopes = ["profile"]

    [[faults]]
    kind = "fail"                   # fail, rate_limit, delay, timeout, disconnect,
    status = 503                    # refuse, malformed_json, truncated_json,
    endpoint = "token"              # wrong_content_type: the idp method's name
    times = 2                       # and its keywords ("always" for times=None)

Server keys (``host``, ``port``, ``tls``, ``mtls``, ``certs_dir``, ``quiet``)
concern ``authmock serve`` only; the fixtures ignore them (``idp_server``'s
flavour comes from the marker).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_authmock.provider.config import ProviderConfig

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    from pytest_authmock.provider.idp import FakeIdP


class ConfigError(ValueError):
    """A bad declarative setup; the message names the file, the key and the fix."""


#: The scenario keys this module adds to ``authmock serve``'s format.
EXTRA_KEYS = ("kid", "clock_skew", "faults")
FAULT_KINDS = (
    "fail",
    "rate_limit",
    "delay",
    "timeout",
    "disconnect",
    "refuse",
    "malformed_json",
    "truncated_json",
    "wrong_content_type",
)
#: Keys of ``serve``'s format that configure the server, not the provider.
SERVER_ONLY_KEYS = ("host", "port", "tls", "mtls", "certs_dir", "quiet")


def _serve_format() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    from pytest_authmock import serve_config

    return (
        tuple(serve_config.TOP_LEVEL_KEYS),
        tuple(serve_config.CLIENT_KEYS),
        tuple(serve_config.USER_KEYS),
        tuple(serve_config.RESOURCE_KEYS),
    )


def _ttl(value: object, where: str) -> int | None:
    from pytest_authmock import serve_config

    try:
        return serve_config.ttl(value, where)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


@dataclasses.dataclass
class Declaration:
    """A parsed setup file: provider options, then what to register on the provider."""

    path: Path
    #: ``ProviderConfig`` options (``token_format``, TTLs, ``issuer``...).
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    seed: int | None = None
    kid: str | None = None
    clock_skew: float | None = None
    clients: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    users: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    resources: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    faults: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def apply(self, idp: FakeIdP) -> None:
        """Register the clients, users, resources and faults; set the kid and the skew."""
        if self.kid is not None:
            _call(f"{self._where}: kid", idp.use_kid, {"kid": self.kid})
        if self.clock_skew is not None:
            idp.clock.skew = self.clock_skew
        for index, spec in enumerate(self.clients):
            spec = {k: v for k, v in spec.items() if k != "p12_password"}
            _call(f"{self._where}: clients[{index}]", idp.add_client, spec)
        for index, spec in enumerate(self.users):
            _call(f"{self._where}: users[{index}]", idp.add_user, dict(spec))
        origin = _origin(idp.issuer)
        for index, spec in enumerate(self.resources):
            spec = dict(spec)
            url = spec.pop("url", None)
            where = f"{self._where}: resources[{index}]"
            if not isinstance(url, str) or not url:
                raise ConfigError(f"{where}: a resource needs url (a path like '/api/me')")
            _call(where, idp.protect, {"url": origin + url if url.startswith("/") else url, **spec})
        for index, spec in enumerate(self.faults):
            spec = dict(spec)
            kind = spec.pop("kind")
            if spec.get("times") == "always":  # TOML has no None: every matching request
                spec["times"] = None
            _call(f"{self._where}: faults[{index}]", getattr(idp, kind), spec)

    @property
    def _where(self) -> str:
        return f"config file {self.path.name}"


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def _call(where: str, function: Any, keywords: dict[str, Any]) -> Any:
    try:
        return function(**keywords)
    except (TypeError, ValueError, LookupError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


def load(path: str | Path) -> Declaration:
    """Read and validate a setup file; raises :class:`ConfigError` naming the bad key."""
    path = Path(path)
    return parse(read_toml(path), path)


def read_toml(path: Path) -> dict[str, Any]:
    """The file's TOML table, or a :class:`ConfigError` that says what is wrong with it."""
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {str(path)!r} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {str(path)!r}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}") from None
    return data


def parse(data: Mapping[str, Any], path: Path) -> Declaration:
    top_keys, client_keys, user_keys, resource_keys = _serve_format()
    known = tuple(dict.fromkeys(top_keys + EXTRA_KEYS))
    declaration = Declaration(path=path)
    where = declaration._where
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; known keys: {', '.join(known)}")
    provider_keys = set(ProviderConfig.option_names())
    for key, value in data.items():
        if key in provider_keys:
            declaration.options[key] = (
                _ttl(value, f"{where}: {key}") if key.endswith("_ttl") else value
            )
    if "seed" in data:
        seed = data["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ConfigError(f"{where}: seed must be a whole number; got {seed!r}")
        declaration.seed = seed
    if "kid" in data:
        if not isinstance(data["kid"], str) or not data["kid"]:
            raise ConfigError(f"{where}: kid must be a non-empty string; got {data['kid']!r}")
        declaration.kid = data["kid"]
    if "clock_skew" in data:
        skew = data["clock_skew"]
        if isinstance(skew, bool) or not isinstance(skew, (int, float)):
            raise ConfigError(f"{where}: clock_skew must be a number of seconds; got {skew!r}")
        declaration.clock_skew = float(skew)
    try:
        ProviderConfig.from_options(**declaration.options)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {str(exc).replace('authmock option ', '')}") from None
    declaration.clients = _tables(data, "clients", client_keys, where)
    declaration.users = _tables(data, "users", user_keys, where)
    declaration.resources = _tables(data, "resources", resource_keys, where)
    declaration.faults = _tables(data, "faults", ("kind", *_FAULT_KEYWORDS), where)
    for index, fault in enumerate(declaration.faults):
        if fault.get("kind") not in FAULT_KINDS:
            raise ConfigError(
                f"{where}: faults[{index}].kind must be one of {', '.join(FAULT_KINDS)}; "
                f"got {fault.get('kind')!r}"
            )
    return declaration


_FAULT_KEYWORDS = (
    "status",
    "endpoint",
    "times",
    "fraction",
    "grant_type",
    "body",
    "headers",
    "retry_after",
    "http_date",
    "seconds",
    "stall",
    "content_type",
)


def _tables(
    data: Mapping[str, Any], name: str, keys: tuple[str, ...], where: str
) -> list[dict[str, Any]]:
    tables = data.get(name, [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"{where}: {name} must be an array of tables ([[{name}]])")
    found: list[dict[str, Any]] = []
    for index, table in enumerate(tables):
        unknown = sorted(set(table) - set(keys))
        if unknown:
            raise ConfigError(
                f"{where}: {name}[{index}] has unknown key {unknown[0]!r}; "
                f"known keys: {', '.join(keys)}"
            )
        table = dict(table)
        for key in ("access_token_ttl", "refresh_token_ttl"):
            if key in table and name == "clients":
                table[key] = _ttl(table[key], f"{where}: {name}[{index}].{key}")
        found.append(table)
    return found


__all__ = ["EXTRA_KEYS", "FAULT_KINDS", "ConfigError", "Declaration", "load", "parse"]
