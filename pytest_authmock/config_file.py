"""The setup file format: one TOML file for the fixtures (``config=``) and ``authmock serve --config``.

This module owns the format: its keys, their validation, and how a file is
applied to a provider. The keys are the keywords of the Python API, so a file
reads like the calls it stands for::

    profile = "staging-profile.json"  # a recorded provider profile (relative to this file)
    token_format = "jwt"            # provider options, as for the marker (they win over it)
    access_token_ttl = 600
    kid = "tenant-a-2024"           # the signing key's kid
    clock_skew = 120                # provider runs 2 minutes ahead of the client

    [[clients]]                     # idp.add_client(...)
    client_id = "ci-bot"
    client_secret = "ci-bot-secret"
    grant_types = ["client_credentials"]
    claims = { tenant = "acme" }

    [[users]]                       # idp.add_user(...)
    username = "alice"
    password = "wonderland"

    [[resources]]                   # idp.protect(...)
    url = "/api/me"                 # a path on the issuer's origin, or a full URL
    scopes = ["profile"]

    [protocol]                      # idp.protocol_settings (a table, not an array)
    initial_access_token = "reg-token"
    require_pushed_authorization_requests = true

    [dpop]                          # idp.dpop_settings
    require_nonce = true

    [[trusted_issuers]]             # idp.trust_issuer(...): see config_trust
    issuer = "https://ci.example"
    jwks_uri = "https://ci.example/.well-known/jwks.json"

    [[faults]]
    kind = "fail"                   # the idp method's name (fail, rate_limit, delay,
    status = 503                    # timeout, disconnect, refuse, malformed_json,
    endpoint = "token"              # truncated_json, wrong_content_type) or the
    times = 2                       # journal's kind (status, content_type...), and
                                    # the method's keywords ("always" for times=None)

Server keys (``host``, ``port``, ``tls``, ``mtls``, ``certs_dir``, ``quiet``)
concern ``authmock serve`` only; the fixtures ignore them (``idp_server``'s
flavour comes from the marker).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_authmock import config_trust, setting_groups
from pytest_authmock.config_values import (
    ConfigError,
    boolean,
    integer,
    port_number,
    string,
    ttl,
)
from pytest_authmock.provider.config import OptionError, ProviderConfig
from pytest_authmock.provider.faults import FAULT_METHODS
from pytest_authmock.provider.registration import CLIENT_OPTIONS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    from pytest_authmock.provider.idp import FakeIdP

__all__ = [
    "CLIENT_KEYS",
    "FAULT_KEYS",
    "FAULT_KINDS",
    "RESOURCE_KEYS",
    "SERVER_KEYS",
    "TOP_LEVEL_KEYS",
    "USER_KEYS",
    "ConfigError",
    "Declaration",
    "boolean",
    "check",
    "integer",
    "load",
    "parse",
    "port_number",
    "read_toml",
    "string",
    "ttl",
]


#: Keys that configure ``authmock serve``'s listener, not the provider.
SERVER_KEYS = ("host", "port", "tls", "mtls", "certs_dir", "quiet")
#: ``add_client()`` options a file cannot express (they take Python objects).
PYTHON_ONLY_CLIENT_OPTIONS = ("self_signed_certificates",)
#: Keys of a ``[[clients]]`` table: ``add_client``'s arguments, plus ``p12_password``
#: for the PKCS#12 file ``authmock serve --certs-dir`` writes.
CLIENT_KEYS: tuple[str, ...] = (
    "client_id",
    "client_secret",
    *(name for name in CLIENT_OPTIONS if name not in PYTHON_ONLY_CLIENT_OPTIONS),
    "p12_password",
)
#: Keys of a ``[[users]]`` table: ``add_user``'s arguments.
USER_KEYS = ("username", "password", "claims", "profile", "sub", "disabled")
#: Keys of a ``[[resources]]`` table: ``url`` (absolute, or a path on the issuer's
#: origin) and ``protect``'s keywords.
RESOURCE_KEYS = (
    "url",
    "scopes",
    "audience",
    "methods",
    "leeway",
    "resource",
    "resource_metadata",
)
#: ``kind`` and the keywords of the fault methods (``fail``, ``delay``...).
FAULT_KEYS = (
    "kind",
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
#: A fault's ``kind``: the method that plans it, or the kind the journal records.
FAULT_KINDS: tuple[str, ...] = tuple(dict.fromkeys([*FAULT_METHODS.values(), *FAULT_METHODS]))
_TABLES = {"clients": CLIENT_KEYS, "users": USER_KEYS, "resources": RESOURCE_KEYS}
TOP_LEVEL_KEYS: tuple[str, ...] = (
    *SERVER_KEYS,
    "seed",
    "profile",
    *ProviderConfig.option_names(),
    "kid",
    "clock_skew",
    *_TABLES,
    "faults",
    "trusted_issuers",
    *setting_groups.GROUPS,
)
_TTL_KEYS = ("access_token_ttl", "refresh_token_ttl", "id_token_ttl")


@dataclasses.dataclass
class Declaration:
    """A parsed setup file: options, then what to register on the provider."""

    path: Path
    #: ``ProviderConfig`` options (``token_format``, TTLs, ``issuer``...).
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: ``authmock serve``'s listener keys (``host``, ``port``...), validated.
    server: dict[str, Any] = dataclasses.field(default_factory=dict)
    seed: int | None = None
    #: The provider profile the file names (resolved, validated); its options sit under ``options``.
    profile: Path | None = None
    kid: str | None = None
    clock_skew: float | None = None
    clients: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    users: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    resources: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    faults: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    #: ``trust_issuer()`` keywords, one per ``[[trusted_issuers]]`` table.
    trusted_issuers: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    #: The ``[protocol]`` and ``[dpop]`` tables, checked: group -> {key: value}.
    settings: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"config file {self.path.name}"

    def apply(self, idp: FakeIdP) -> None:
        """Register the clients, users, resources, trusted issuers and faults; set the kid,
        the skew and the ``[protocol]`` and ``[dpop]`` settings."""
        where = self.where
        for group, found in self.settings.items():
            setting_groups.apply(idp, group, found)
        if self.kid is not None:
            _call(f"{where}: kid", idp.use_kid, {"kid": self.kid})
        if self.clock_skew is not None:
            idp.clock.skew = self.clock_skew
        for index, spec in enumerate(self.clients):
            spec = {k: v for k, v in spec.items() if k != "p12_password"}
            _call(f"{where}: clients[{index}]", idp.add_client, spec)
        for index, spec in enumerate(self.users):
            _call(f"{where}: users[{index}]", idp.add_user, dict(spec))
        for index, spec in enumerate(self.resources):
            protect_resource(idp, spec, f"{where}: resources[{index}]")
        for index, spec in enumerate(self.trusted_issuers):
            _call(f"{where}: trusted_issuers[{index}]", idp.trust_issuer, dict(spec))
        for index, spec in enumerate(self.faults):
            spec = dict(spec)
            method = FAULT_METHODS.get(spec["kind"], spec["kind"])
            del spec["kind"]
            if spec.get("times") == "always":  # TOML has no None: every matching request
                spec["times"] = None
            _call(f"{where}: faults[{index}]", getattr(idp, method), spec)


def protect_resource(idp: FakeIdP, table: Mapping[str, Any], where: str) -> None:
    """``idp.protect()`` for a ``[[resources]]`` table; a path ``url`` is on the issuer's origin."""
    spec = dict(table)
    url = spec.pop("url", None)
    if not isinstance(url, str) or not url:
        raise ConfigError(f"{where}: a resource needs url (a path like '/api/me')")
    if url.startswith("/"):
        scheme, _, rest = idp.issuer.partition("://")
        url = f"{scheme}://{rest.split('/', 1)[0]}{url}"
    _call(where, idp.protect, {"url": url, **spec})


def _call(where: str, function: Callable[..., Any], keywords: dict[str, Any]) -> Any:
    try:
        return function(**keywords)
    except (TypeError, ValueError, LookupError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


def load(path: str | Path) -> Declaration:
    """Read and validate a setup file; raises :class:`ConfigError` naming the bad key."""
    path = Path(path)
    return parse(read_toml(path), path)


def check(path: str | Path) -> Declaration:
    """Load a setup file and apply it to a scratch provider, so every value is checked now.

    ``load`` checks keys and provider options; the tables' values (a client's
    ``grant_types``, a fault's ``status``...) are checked by the calls they stand
    for, so a start-up check makes those calls once, on a provider nobody uses.
    """
    from pytest_authmock.provider.idp import FakeIdP

    declaration = load(path)
    config = ProviderConfig.from_options(**declaration.options)
    declaration.apply(FakeIdP.from_config(config, seed=declaration.seed or 0))
    return declaration


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
    declaration = Declaration(path=path)
    where = declaration.where
    unknown = sorted(set(data) - set(TOP_LEVEL_KEYS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r}; known keys: {', '.join(TOP_LEVEL_KEYS)}"
        )
    _server_keys(data, declaration)
    for key in ProviderConfig.option_names():
        if key in data:
            value = data[key]
            declaration.options[key] = ttl(value, f"{where}: {key}") if key in _TTL_KEYS else value
    if "seed" in data:
        declaration.seed = integer(data["seed"], f"{where}: seed")
    if "profile" in data:
        declaration.profile = _profile(data["profile"], path, where)
    if "kid" in data:
        declaration.kid = string(data["kid"], f"{where}: kid")
    if "clock_skew" in data:
        skew = data["clock_skew"]
        if isinstance(skew, bool) or not isinstance(skew, (int, float)):
            raise ConfigError(f"{where}: clock_skew must be a number of seconds; got {skew!r}")
        declaration.clock_skew = float(skew)
    check_provider_options(declaration.options, where)
    for group in setting_groups.GROUPS:
        if group in data:
            declaration.settings[group] = settings_table(group, data[group], where)
    declaration.clients = _tables(data, "clients", CLIENT_KEYS, where)
    declaration.users = _tables(data, "users", USER_KEYS, where)
    declaration.resources = _tables(data, "resources", RESOURCE_KEYS, where)
    declaration.faults = _tables(data, "faults", FAULT_KEYS, where)
    if "trusted_issuers" in data:
        tables = _tables(data, "trusted_issuers", config_trust.KEYS, where)
        declaration.trusted_issuers = [
            config_trust.checked(table, path, f"{where}: trusted_issuers[{index}]")
            for index, table in enumerate(tables)
        ]
    for index, fault in enumerate(declaration.faults):
        if fault.get("kind") not in FAULT_KINDS:
            raise ConfigError(
                f"{where}: faults[{index}].kind must be one of {', '.join(FAULT_KINDS)}; "
                f"got {fault.get('kind')!r}"
            )
    return declaration


def settings_table(group: str, table: object, where: str) -> dict[str, Any]:
    """A ``[protocol]`` or ``[dpop]`` table, checked: its keys are the settings' fields."""
    try:
        return setting_groups.checked(group, table)
    except setting_groups.SettingError as error:
        raise ConfigError(f"{where}: {error}") from None


def _profile(value: object, path: Path, where: str) -> Path:
    """The profile file a setup file names, relative to it, loaded once to validate it."""
    from pytest_authmock.provider.profile import ProfileError, load_profile

    resolved = path.parent / string(value, f"{where}: profile")
    try:
        load_profile(resolved)
    except ProfileError as exc:
        raise ConfigError(f"{where}: profile: {exc}") from None
    return resolved


def check_provider_options(options: Mapping[str, Any], where: str) -> None:
    """Validate provider options now, naming them as the file (or flag) spelled them."""
    try:
        ProviderConfig.from_options(**options)
    except OptionError as exc:
        raise ConfigError(f"{where}: {exc.option} {exc.problem}") from None


def _server_keys(data: Mapping[str, Any], declaration: Declaration) -> None:
    where = declaration.where
    server = declaration.server
    if "host" in data:
        server["host"] = string(data["host"], f"{where}: host")
    if "port" in data:
        server["port"] = port_number(data["port"], f"{where}: port")
    for key in ("tls", "mtls", "quiet"):
        if key in data:
            server[key] = boolean(data[key], f"{where}: {key}")
    if "certs_dir" in data:
        server["certs_dir"] = Path(string(data["certs_dir"], f"{where}: certs_dir"))


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
        if name == "clients":
            for key in ("access_token_ttl", "refresh_token_ttl"):
                if key in table:
                    table[key] = ttl(table[key], f"{where}: {name}[{index}].{key}")
        found.append(table)
    return found
