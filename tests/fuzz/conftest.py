"""Settings of the fuzz suite: bounded, reproducible, and more of it on demand.

``AUTHMOCK_FUZZ_EXAMPLES`` sets the examples per endpoint and transport (default 25;
``AUTHMOCK_FUZZ_PROFILE=authmock-fuzz-long`` runs 500), ``AUTHMOCK_FUZZ_SEED`` the
seed (default fixed, so CI draws the same requests every run; ``random`` draws a new
one, printed with any failure).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable, Generator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import seed as hypothesis_seed

from tests.fuzz.endpoints import endpoint_names

_SHARED: dict[str, Any] = {
    # Examples are requests to one provider: it keeps its state between them on
    # purpose (the provider must survive a sequence of hostile requests), so the
    # function-scoped provider fixture is not a problem here.
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    # A hang is caught by the request timeout; a per-example deadline would only
    # measure how busy the shared CI cores are.
    "deadline": None,
    # Nothing written to .hypothesis/: the seed alone reproduces a run.
    "database": None,
    "print_blob": True,
}
settings.register_profile("authmock-fuzz", max_examples=25, **_SHARED)
settings.register_profile("authmock-fuzz-long", max_examples=500, **_SHARED)

PROFILE = os.environ.get("AUTHMOCK_FUZZ_PROFILE", "authmock-fuzz")
_examples = os.environ.get("AUTHMOCK_FUZZ_EXAMPLES")
_seed = os.environ.get("AUTHMOCK_FUZZ_SEED", "20240611")
RANDOM = _seed == "random"


def _draw_seed() -> int:
    # The xdist workers of one run share its id, so they draw the same seed.
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    return (
        int(hashlib.sha256(run.encode()).hexdigest()[:8], 16) if run else secrets.randbelow(2**32)
    )


SEED = _draw_seed() if RANDOM else int(_seed)


def fuzz_settings() -> settings:
    profile = settings.get_profile(PROFILE)
    if _examples is None:
        return profile
    return settings(profile, max_examples=int(_examples))


def describe() -> str:
    examples = fuzz_settings().max_examples
    return (
        f"authmock fuzz: {examples} examples per endpoint and transport, seed {SEED} "
        f"(profile {PROFILE}; AUTHMOCK_FUZZ_SEED={SEED} reproduces, "
        "AUTHMOCK_FUZZ_EXAMPLES=N runs more)"
    )


def seeded(nodeid: str) -> Callable[[Any], Any]:
    """The run's seed mixed with the test id: each endpoint gets its own draws."""
    digest = hashlib.sha256(f"{SEED}:{nodeid}".encode()).digest()
    return hypothesis_seed(int.from_bytes(digest[:8], "big"))


def pytest_report_header(config: pytest.Config) -> str:
    if RANDOM and getattr(config.option, "numprocesses", None):
        # The workers draw the seed; this controller process cannot know it yet.
        return "authmock fuzz: seed drawn at random by the xdist workers; a failure prints it"
    return describe()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "endpoint" in metafunc.fixturenames:
        metafunc.parametrize("endpoint", endpoint_names())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.failed:
        report.sections.append(("authmock fuzz", describe()))
