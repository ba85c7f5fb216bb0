"""The pytest plugin: the ``idp`` fixture, the ``authmock`` marker, options and report lines.

Registered through the ``pytest11`` entry point, so installing the package is enough.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_authmock import fixture_options
from pytest_authmock.contract import options as contract_options
from pytest_authmock.factory_fixtures import (  # noqa: F401
    authmock_factory_servers,
    idp_factory,
    idp_server_factory,
)
from pytest_authmock.fixture_options import SEED_KEY, TEST_SEED_KEY
from pytest_authmock.server_fixtures import (  # noqa: F401
    authmock_pki,
    authmock_server_pool,
    idp_server,
)

if TYPE_CHECKING:
    from pytest_authmock.provider.idp import FakeIdP
    from pytest_authmock.transport.requests_mount import RequestsMount

# The plugin loads in every pytest run of a project that installs it; the
# provider, respx, JOSE and TLS modules load when a fixture first needs them.

_FIXTURES = ("idp", "idp_server", "idp_factory", "idp_server_factory")


def pytest_addoption(parser: pytest.Parser) -> None:
    fixture_options.add_options(parser)
    # The contract suite's options (pytest --pyargs pytest_authmock.contract): they
    # must exist before its conftest is found, so the plugin registers them.
    contract_options.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", fixture_options.MARKER_HELP)
    fixture_options.configure(config)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    # pytest-xdist: every worker uses the controller's seed, so one number reproduces a run.
    node.workerinput["authmock_seed"] = node.config.stash[SEED_KEY]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A bad config= file of a marker would fail each test that uses it, N times the
    # same message; check each file once, before any test runs. An xdist worker
    # cannot stop the run with a usage error (the controller reports a crash), so
    # there each test's set-up reports the file, as without this check.
    if hasattr(config, "workerinput"):
        return
    seen: set[Path] = set()
    for item in items:
        path = next(
            (m.kwargs["config"] for m in item.iter_markers("authmock") if "config" in m.kwargs),
            None,
        )
        if not isinstance(path, (str, Path)):
            continue  # no file, or not a path: the fixture says what is wrong
        resolved = Path(path) if Path(path).is_absolute() else item.path.parent / path
        if resolved in seen:
            continue
        seen.add(resolved)
        from pytest_authmock.config_file import ConfigError, check

        try:
            check(resolved)
        except ConfigError as error:
            raise pytest.UsageError(
                f"pytest-authmock: @pytest.mark.authmock(config=...) of {item.nodeid}: {error}"
            ) from None


def pytest_report_header(config: pytest.Config) -> str:
    seed = config.stash[SEED_KEY]
    return f"authmock: seed {seed} (reproduce with --authmock-seed={seed})"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    # Checked after set-up, not before: a fixture may request idp/idp_server with
    # getfixturevalue() (tests parametrised over both transports do).
    if item.get_closest_marker("authmock") is None:
        return
    names = getattr(item, "fixturenames", ())
    used = item.stash.get(fixture_options.USED_KEY, False)
    if not used and not any(name in names for name in _FIXTURES):
        warnings.warn(
            pytest.PytestConfigWarning(
                f"{item.nodeid}: @pytest.mark.authmock has no effect, the test uses neither "
                "the idp nor the idp_server fixture"
            ),
            stacklevel=1,
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, Any]:
    report = yield
    seed = item.stash.get(TEST_SEED_KEY, None)
    if seed is not None and report.failed:
        session_seed = item.config.stash[SEED_KEY]
        report.sections.append(
            (
                "authmock",
                f"Faker seed of this test: {seed} (the run's seed is {session_seed}; "
                f"rerun with --authmock-seed={session_seed}, or pin it with "
                f"@pytest.mark.authmock(seed={seed}))",
            )
        )
    return report


@pytest.fixture
def idp(request: pytest.FixtureRequest) -> Iterator[FakeIdP]:
    """A fresh fake identity provider, reachable in-process by any httpx client (via respx).

    Configure it with ``@pytest.mark.authmock(...)`` or ``authmock_*`` ini options.
    It composes with the ``respx_mock`` fixture: routes of both answer in one test.
    """
    from pytest_authmock.provider.idp import FakeIdP

    options = fixture_options.resolve(request)
    provider = FakeIdP.from_config(options.config, seed=options.seed)
    options.apply(provider)  # skew, config= setup, fault check
    with contextlib.ExitStack() as mounts:
        fixture_options.mount_in_process(request.config, provider, options, mounts)
        if options.requests:
            mounts.enter_context(_requests_mount(provider, options.unrouted))
        if "httpx_mock" in request.fixturenames:
            # pytest-httpx takes every httpx request before respx sees it.
            from pytest_authmock.transport.httpx_mock_bridge import connect

            connect(provider, request.getfixturevalue("httpx_mock"))
        yield provider
        try:
            problems = provider.check()
        finally:
            mounts.close()
            provider.reset()
    if problems and options.teardown_check:
        pytest.fail(
            fixture_options.teardown_message(provider.issuer, options.seed, problems), pytrace=False
        )


def _requests_mount(provider: FakeIdP, unrouted: str) -> RequestsMount:
    try:
        from pytest_authmock.transport.requests_mount import RequestsMount
    except ImportError as error:
        missing = error.name
    else:
        return RequestsMount(provider, unrouted=unrouted)
    pytest.fail(
        f"@pytest.mark.authmock(requests=True) needs the {missing!r} package: "
        "pip install 'pytest-authmock[requests]'",
        pytrace=False,
    )
