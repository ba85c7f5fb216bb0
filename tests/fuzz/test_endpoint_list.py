"""The fuzzed endpoints are every endpoint: none is left out of the discovery the suite relies on."""

from __future__ import annotations

from pytest_authmock.provider.paths import PATHS
from pytest_authmock.provider.routes import ROUTES
from tests.fuzz.endpoints import DISCOVERY, discovered


def test_every_routed_path_is_fuzzed() -> None:
    fuzzed = {*discovered().values(), *DISCOVERY}
    # ``api_token_item`` and ``protected_resource`` cover the two routes by prefix.
    missing = sorted(path for path in ROUTES if path not in fuzzed)
    assert missing == [], (
        f"{missing} are routed but neither discovery nor the device authorization "
        "lists them, so the fuzz suite cannot find them: advertise them there"
    )
    assert PATHS["api_tokens"] in fuzzed
