"""A real provider's profile, replayed by the fake: the same "provider choices", item for item.

For each peer: the contract suite records its profile (``--authmock-contract-profile``),
``authmock serve --profile`` replays it, and the same suite run against the
replay must report exactly the choices it reported for the peer. The reverse
check: the fake without the profile differs from oidc-provider where their
defaults differ, so the round trip is not passing for want of differences.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.interop.conftest import REDIRECT_URI, USER, NodeProvider, secret
from tests.interop.contract_run import ContractRun, known_deviations_only, run_contract
from tests.interop.deviations import KNOWN_DEVIATIONS, SOMETIMES
from tests.interop.providers import RunningProvider
from tests.interop.replay import serve

ARGS = [
    "--authmock-contract-client",
    f"interop-basic:{secret('interop-basic')}",
    "--authmock-contract-user",
    ":".join(USER),
    "--authmock-contract-redirect-uri",
    REDIRECT_URI,
]

#: Choices where the fake's own answers differ from oidc-provider's as server.mjs sets it up.
DEFAULTS_DIFFER = {
    "GET on the token endpoint",  # 405 / 404
    "access token format",  # JWT / opaque
    "expires_in in token answers",  # 3600 / 600
    "device code lifetime",  # 300 / 600
    "device flow polling interval",  # 5 s / absent
    "an unknown scope",  # granted / ignored
    "scopes_supported",  # api:read is oidc-provider's
    "grant_types_supported (of the grants checked)",  # no password grant there
    "ID token claims",  # azp, auth_time, at_hash / none of them
    "ID token typ header",  # JWT / none
    "ID token lifetime",  # 3600 / 600
}

_recorded: dict[str, tuple[ContractRun, Path]] = {}


def record(
    pytester: pytest.Pytester, issuer: str, *extra: str, deviations: str | None = None
) -> tuple[ContractRun, Path]:
    """The peer's run and its profile (once per issuer and worker)."""
    if issuer not in _recorded:
        profile = pytester.path / "recorded-profile.json"
        run = run_contract(
            pytester,
            "--authmock-contract-issuer",
            issuer,
            *ARGS,
            *extra,
            "--authmock-contract-profile",
            str(profile),
        )
        name = deviations or "oidc-provider"
        known_deviations_only(run, KNOWN_DEVIATIONS[name], SOMETIMES.get(name))
        _recorded[issuer] = (run, profile)
    return _recorded[issuer]


def replayed(pytester: pytest.Pytester, profile: Path | None, *extra: str) -> ContractRun:
    with serve(profile) as issuer:
        run = run_contract(pytester, "--authmock-contract-issuer", issuer, *ARGS, *extra)
    assert not run.failed, run.report()
    return run


def differences(real: dict[str, Any], fake: dict[str, Any]) -> list[str]:
    return [
        f"{label}: real {real.get(label, {}).get('chosen')!r}, fake {fake.get(label, {}).get('chosen')!r}"
        for label in sorted(set(real) | set(fake))
        if real.get(label) != fake.get(label)
    ]


def assert_round_trip(
    pytester: pytest.Pytester, real: ContractRun, profile: Path, *extra: str, observed: int
) -> None:
    document = json.loads(profile.read_text())
    seen = [key for key, entry in document["choices"].items() if "value" in entry]
    fake = replayed(pytester, profile, *extra)
    assert fake.choices == real.choices, "\n".join(differences(real.choices, fake.choices))
    # Not an empty comparison: the choices observed are all in both summaries.
    assert len(seen) >= observed, seen
    assert len(real.choices) >= len(seen)


def test_oidc_provider_round_trip(pytester: pytest.Pytester, oidc_provider: NodeProvider) -> None:
    real, profile = record(pytester, oidc_provider.issuer, "--authmock-contract-device")
    assert_round_trip(pytester, real, profile, "--authmock-contract-device", observed=30)


def test_the_default_fake_differs_from_oidc_provider(
    pytester: pytest.Pytester, oidc_provider: NodeProvider
) -> None:
    real, _ = record(pytester, oidc_provider.issuer, "--authmock-contract-device")
    fake = replayed(pytester, None, "--authmock-contract-device")
    differing = {
        label
        for label in set(real.choices) | set(fake.choices)
        if real.choices.get(label) != fake.choices.get(label)
    }
    assert differing >= DEFAULTS_DIFFER, "\n".join(differences(real.choices, fake.choices))


def test_pytest_iam_round_trip(pytester: pytest.Pytester, iam_provider: RunningProvider) -> None:
    real, profile = record(pytester, iam_provider.issuer, deviations="pytest-iam")
    # canaille's own choices, which the replay must have played.
    chosen = {label: entry["chosen"] for label, entry in real.choices.items()}
    assert chosen["error code in userinfo's challenge to a request without a token"] == (
        "missing_authorization"
    )
    assert chosen["JWKS key types"] == "RSA"  # published without alg
    assert_round_trip(pytester, real, profile, observed=27)


def test_oidc_provider_mock_round_trip(
    pytester: pytest.Pytester, mock_provider: RunningProvider
) -> None:
    real, profile = record(pytester, mock_provider.issuer, deviations="oidc-provider-mock")
    chosen = {label: entry["chosen"] for label, entry in real.choices.items()}
    assert chosen["metadata documents"] == "openid-configuration"
    assert chosen["optional endpoints published"] == "userinfo_endpoint"
    assert_round_trip(pytester, real, profile, observed=15)


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "contract" / "provider-profile.json"


def test_the_example_profile_is_what_oidc_provider_records(
    pytester: pytest.Pytester, oidc_provider: NodeProvider
) -> None:
    # docs/provider-profiles.md shows this file; it must stay what the suite records.
    _, profile = record(pytester, oidc_provider.issuer, "--authmock-contract-device")
    fresh = json.loads(profile.read_text())["choices"]
    example = json.loads(EXAMPLE.read_text())["choices"]
    values = {key: entry.get("value", entry.get("reason")) for key, entry in fresh.items()}
    shown = {key: entry.get("value", entry.get("reason")) for key, entry in example.items()}
    assert shown == values, (
        "examples/contract/provider-profile.json is stale; record it again with the command"
        " in docs/provider-profiles.md"
    )
