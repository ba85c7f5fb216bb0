"""How the ``idp`` and ``idp_server`` fixtures read their options.

Precedence, lowest first: built-in defaults, ini options (``authmock_<name>``),
then the ``@pytest.mark.authmock(...)`` markers of the module, the class and the
test (the closest one wins per keyword; within the ``protocol={...}`` and
``dpop={...}`` settings, per key).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import importlib.util
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pytest

from pytest_authmock import links, profile_options, setting_groups
from pytest_authmock.fixture_ini import ini_help, parse_ini
from pytest_authmock.provider.config import ProviderConfig
from pytest_authmock.transport.routing import UNROUTED_CHOICES

if TYPE_CHECKING:
    from pytest_authmock.config_file import Declaration
    from pytest_authmock.provider.idp import FakeIdP
    from pytest_authmock.provider.profile import AppliedProfile

DOCS_URL = links.REFERENCE
FIXTURE_OPTIONS = (
    "seed",
    "teardown_check",
    "assert_all_faults_fired",
    "clock_skew",
    "config",
    "requests",
    "unrouted",
    "profile",
)
#: ``protocol={...}`` and ``dpop={...}``: ``idp.protocol_settings`` and ``idp.dpop_settings``
#: (marker only: an ini file names a setup file with ``authmock_config`` for them).
SETTING_OPTIONS = setting_groups.GROUPS
MARKER_OPTIONS = ProviderConfig.option_names() + FIXTURE_OPTIONS + SETTING_OPTIONS
#: Marker options without an ini option.
_NOT_INI = ("seed", *SETTING_OPTIONS)
#: Choose the idp_server flavour (HTTPS, HTTPS with client certificates); read by
#: pytest_authmock.transport.idp_server, ignored by the in-process idp.
SERVER_OPTIONS = ("tls", "mtls")

SEED_KEY = pytest.StashKey[int]()
DEFAULTS_KEY = pytest.StashKey[dict[str, Any]]()
TEST_SEED_KEY = pytest.StashKey[int]()
#: Set on the test item by resolve(): the idp or idp_server fixture was set up.
USED_KEY = pytest.StashKey[bool]()
RESPX_KEY = pytest.StashKey[bool]()

MARKER_HELP = (
    "authmock(issuer=URL, token_format='jwt'|'opaque', "
    "algorithm='RS256'|'ES256', access_token_ttl=3600, refresh_token_ttl=2592000, "
    "id_token_ttl=3600, audience=None, refresh_token_rotation=True, "
    "unauthorized_grant_error='unauthorized_client', seed=None, "
    "teardown_check=True, assert_all_faults_fired=True, clock_skew=0, config='setup.toml', "
    "requests=False, unrouted='passthrough'|'fail', "
    "profile='provider-profile.json', protocol={'require_pushed_authorization_requests': True}, "
    "dpop={'require_nonce': True}, "
    "tls=False, mtls=False): configure the idp / idp_server fixtures for this test "
    f"(TTLs in seconds, None = never expires). See {DOCS_URL}"
)


@dataclasses.dataclass(frozen=True)
class FixtureOptions:
    config: ProviderConfig
    seed: int
    teardown_check: bool
    #: Report planned faults that never fired at teardown.
    assert_all_faults_fired: bool = True
    #: Seconds the provider's clock runs ahead of the test's (negative: behind).
    clock_skew: float = 0.0
    #: The ``config=`` TOML setup, applied to each new provider.
    declaration: Declaration | None = None
    #: ``idp`` also answers ``requests`` calls in-process (through ``responses``).
    requests: bool = False
    #: What in-process transports do with requests no provider owns.
    unrouted: str = "passthrough"
    #: The provider profile the config follows (``idp.profile``).
    profile: AppliedProfile | None = None
    #: The marker's checked ``protocol=`` and ``dpop=`` settings; they win over the file's.
    settings: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)

    def apply(self, provider: FakeIdP) -> None:
        """Set up a new provider beyond its ``ProviderConfig``: skew, TOML setup, fault check."""
        provider.internals.faults.assert_all_fired = self.assert_all_faults_fired
        provider.profile = self.profile
        if self.declaration is not None:
            from pytest_authmock.config_file import ConfigError

            try:
                self.declaration.apply(provider)
            except ConfigError as error:
                pytest.fail(f"pytest-authmock: {error}", pytrace=False)
        self.apply_settings(provider)
        if self.clock_skew:
            provider.clock.skew = self.clock_skew

    def apply_settings(self, provider: FakeIdP) -> None:
        """The marker's ``protocol=`` and ``dpop=`` (over the setup file's tables, per key)."""
        for group, found in self.settings.items():
            setting_groups.apply(provider, group, found)


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("authmock", "fake identity provider (pytest-authmock)")
    group.addoption(
        "--authmock-seed",
        type=int,
        default=None,
        help="seed for Faker-filled identities; the run's seed is printed in the header",
    )
    for name in MARKER_OPTIONS:
        if name in _NOT_INI:
            continue
        parser.addini(f"authmock_{name}", help=ini_help(name), default=None)


def configure(config: pytest.Config) -> None:
    """Read and validate ini defaults once, so a bad value stops the run at start-up."""
    defaults: dict[str, Any] = {}
    for name in MARKER_OPTIONS:
        if name in _NOT_INI:
            continue
        raw = config.getini(f"authmock_{name}")
        if raw not in (None, ""):
            defaults[name] = parse_ini(name, str(raw))
    if "config" in defaults:
        # Relative to the ini file, like every other path in it.
        base = config.inipath.parent if config.inipath else config.rootpath
        defaults["config"] = str(base / defaults["config"])
        from pytest_authmock.config_file import ConfigError, check

        try:
            check(defaults["config"])  # a bad file stops the run now, not every test later
        except ConfigError as error:
            raise pytest.UsageError(
                f"pytest-authmock ini option authmock_config: {error}"
            ) from None
    if "profile" in defaults:
        defaults["profile"] = profile_options.check_ini_profile(config, defaults["profile"])
    provider_defaults = {k: v for k, v in defaults.items() if k not in FIXTURE_OPTIONS}
    try:
        ProviderConfig.from_options(**provider_defaults)
    except (TypeError, ValueError) as error:
        raise pytest.UsageError(f"pytest-authmock ini options: {error}") from None
    config.stash[DEFAULTS_KEY] = defaults
    worker_input = getattr(config, "workerinput", None)
    seed = config.getoption("authmock_seed")
    if seed is None and worker_input is not None:
        seed = worker_input.get("authmock_seed")
    if seed is None:
        seed = secrets.randbelow(2**32)
    config.stash[SEED_KEY] = int(seed)


def test_seed(session_seed: int, nodeid: str) -> int:
    """Each test's own seed: stable for a given session seed and test id."""
    digest = hashlib.sha256(f"{session_seed}:{nodeid}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def resolve(request: pytest.FixtureRequest) -> FixtureOptions:
    """The options for this test's provider; a bad marker fails the test's setup."""
    config = request.config
    request.node.stash[USED_KEY] = True
    defaults: dict[str, Any] = config.stash.get(DEFAULTS_KEY, {})
    options = dict(defaults)
    marker_kwargs = marker_options(request.node)
    unknown = sorted(set(marker_kwargs) - set(MARKER_OPTIONS) - set(SERVER_OPTIONS))
    if unknown:
        pytest.fail(
            f"@pytest.mark.authmock got unknown option {', '.join(map(repr, unknown))}; "
            f"known options: {', '.join(MARKER_OPTIONS + SERVER_OPTIONS)}",
            pytrace=False,
        )
    options.update(marker_kwargs)
    for name in SERVER_OPTIONS:
        options.pop(name, None)
    settings = {group: options.pop(group) for group in SETTING_OPTIONS if group in options}
    profile_path = options.pop("profile", None)
    declaration = _declaration(request, options.pop("config", None), "config" in marker_kwargs)
    profile_in_marker = "profile" in marker_kwargs
    if not profile_in_marker and declaration is not None and declaration.profile is not None:
        profile_path = declaration.profile
    if declaration is not None:
        # The file's provider options sit between the ini defaults and the marker.
        for name, value in declaration.options.items():
            if name not in marker_kwargs:
                options[name] = value
        if declaration.seed is not None and "seed" not in marker_kwargs:
            options["seed"] = declaration.seed
    assert_fired = _flag(options, "assert_all_faults_fired", True)
    clock_skew = options.pop("clock_skew", 0.0)
    if isinstance(clock_skew, bool) or not isinstance(clock_skew, (int, float)):
        pytest.fail(
            f"@pytest.mark.authmock option clock_skew must be a number of seconds; got {clock_skew!r}",
            pytrace=False,
        )
    seed = options.pop("seed", None)
    if seed is None:
        seed = test_seed(config.stash.get(SEED_KEY, 0), request.node.nodeid)
    elif isinstance(seed, bool) or not isinstance(seed, int):
        pytest.fail(
            f"@pytest.mark.authmock option seed must be an int; got {seed!r}", pytrace=False
        )
    teardown_check = _flag(options, "teardown_check", True)
    intercept_requests = _flag(options, "requests", False)
    unrouted = options.pop("unrouted", "passthrough")
    if unrouted not in UNROUTED_CHOICES:
        pytest.fail(
            "@pytest.mark.authmock option unrouted must be one of "
            f"{', '.join(map(repr, UNROUTED_CHOICES))}; got {unrouted!r}",
            pytrace=False,
        )
    options, profile = profile_options.adopt(
        request, options, profile_path, from_marker=profile_in_marker
    )
    try:
        provider_config = ProviderConfig.from_options(**options)
    except (TypeError, ValueError) as error:
        pytest.fail(f"@pytest.mark.authmock: {error}", pytrace=False)
    request.node.stash[TEST_SEED_KEY] = seed
    return FixtureOptions(
        config=provider_config,
        seed=seed,
        teardown_check=teardown_check,
        assert_all_faults_fired=assert_fired,
        clock_skew=float(clock_skew),
        declaration=declaration,
        requests=intercept_requests,
        unrouted=unrouted,
        profile=profile,
        settings=settings,
    )


def _flag(options: dict[str, Any], name: str, default: bool) -> bool:
    value = options.pop(name, default)
    if not isinstance(value, bool):
        pytest.fail(
            f"@pytest.mark.authmock option {name} must be True or False; got {value!r}",
            pytrace=False,
        )
    return value


def marker_options(node: pytest.Item) -> dict[str, Any]:
    """The keywords of every ``authmock`` marker on the test, the closest winning per keyword.

    A module's ``pytestmark``, a class's marker and the test's own merge (as
    pytest-httpx merges its marker), so ``access_token_ttl=60`` on a test keeps
    the module's ``token_format="opaque"``. The ``protocol`` and ``dpop`` settings
    merge per key in the same way, checked here: each key is a setting of its own,
    so ``protocol={"end_session": False}`` on a test keeps the module's
    ``protocol={"initial_access_token": ...}``.
    """
    merged: dict[str, Any] = {}
    # iter_markers yields the test's own markers first, then its class's, then its module's.
    for marker in node.iter_markers("authmock"):
        if marker.args:
            pytest.fail(
                "@pytest.mark.authmock takes keyword arguments only, e.g. "
                "@pytest.mark.authmock(token_format='opaque')",
                pytrace=False,
            )
        for name, value in marker.kwargs.items():
            if name in SETTING_OPTIONS:
                closer = merged.setdefault(name, {})
                for key, setting in _settings(name, value).items():
                    closer.setdefault(key, setting)
            else:
                merged.setdefault(name, value)
    return merged


def _settings(group: str, table: object) -> dict[str, Any]:
    try:
        return setting_groups.checked(group, table)
    except setting_groups.SettingError as error:
        problem = str(error)
    # Failed outside the handler: the report shows the message, not a chain of two.
    pytest.fail(f"@pytest.mark.authmock option {problem}", pytrace=False)


def _declaration(
    request: pytest.FixtureRequest, path: object, from_marker: bool
) -> Declaration | None:
    """Load the ``config=`` TOML setup (marker paths are relative to the test file)."""
    if path is None:
        return None
    from pytest_authmock.config_file import ConfigError, load

    resolved = profile_options.path_option(
        request, "config", path, "a TOML file", from_marker=from_marker
    )
    try:
        return load(resolved)
    except ConfigError as error:
        pytest.fail(f"pytest-authmock: {error}", pytrace=False)


def keep_respx_patched(config: pytest.Config) -> None:
    """From the first in-process provider on, keep respx's patches until the session ends.

    Each test's mount then only registers its router instead of patching and
    unpatching httpcore; requests of tests without a provider pass through.
    """
    if config.stash.get(RESPX_KEY, False):
        return
    from pytest_authmock.transport.respx_mount import keep_patched

    config.add_cleanup(keep_patched())
    config.stash[RESPX_KEY] = True


def mount_in_process(
    config: pytest.Config, provider: FakeIdP, options: FixtureOptions, mounts: contextlib.ExitStack
) -> None:
    """Take over the provider's URLs for httpx clients (respx) and, when installed, httpx2 ones.

    Closing ``mounts`` stops them in reverse, each restoring what was there before it.
    """
    keep_respx_patched(config)
    from pytest_authmock.transport.respx_mount import RespxMount

    mounts.enter_context(RespxMount(provider, unrouted=options.unrouted))
    if _httpx2_installed():
        from pytest_authmock.transport.httpx2_mount import Httpx2Mount

        mounts.enter_context(Httpx2Mount(provider, unrouted=options.unrouted))


@functools.cache
def _httpx2_installed() -> bool:
    # httpx2 clients are intercepted when the fork is installed (pytest-authmock[httpx2]).
    return importlib.util.find_spec("httpx2") is not None


def teardown_message(issuer: str, seed: int, problems: list[str]) -> str:
    """A pytest-httpx style failure: a header, a bullet list, and how to opt out."""
    bullets = "\n".join(f"  - {problem}" for problem in problems)
    return (
        f"pytest-authmock: the provider at {issuer} was left with problems (seed {seed}):\n"
        f"{bullets}\n"
        "If this is expected, opt out with @pytest.mark.authmock(teardown_check=False).\n"
        f"Read more: {links.TEARDOWN}"
    )
