"""The breadth contract checks, run against the fake behind a real loopback socket."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_authmock.client.assertion import PrivateKeyJwt

BASE = ["--pyargs", "pytest_authmock.contract", "-p", "no:cacheprovider", "-p", "no:randomly"]


@pytest.fixture
def contract_args(idp_server: Any, tmp_path: Path) -> list[str]:
    client = idp_server.add_client("contract-ci", client_secret="contract-ci-secret-0123456789")
    jwt = PrivateKeyJwt.generate("contract-jwt", alg="ES256")
    idp_server.add_client(
        "contract-jwt",
        jwks=jwt.jwks(),
        grant_types=["client_credentials", "urn:ietf:params:oauth:grant-type:jwt-bearer"],
    )
    key = tmp_path / "contract-jwt.pem"
    key.write_bytes(jwt.key.as_pem(private=True))
    return [
        *BASE,
        "--authmock-contract-issuer",
        idp_server.issuer,
        "--authmock-contract-client",
        f"{client.client_id}:{client.client_secret}",
        "--authmock-contract-jwt-client",
        f"contract-jwt:{key}",
    ]


def passes(
    pytester: pytest.Pytester, args: list[str], checks: str, passed: int, choices: list[str]
) -> None:
    """The ``checks`` (a -k expression) all pass, and report these provider choices."""
    result = pytester.runpytest_inprocess(*args, "-k", checks, "-rs")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0, result.stdout.str()
    assert outcomes["passed"] == passed, result.stdout.str()
    result.stdout.fnmatch_lines_random(choices)


def test_jwt_client_auth_checks_pass(pytester: pytest.Pytester, contract_args: list[str]) -> None:
    passes(
        pytester,
        contract_args,
        "client_auth_jwt",
        4,
        [
            "client assertion aud accepted: issuer, token endpoint",
            "replayed client assertion (same jti): refused (invalid_client)",
            "JWT client authentication methods: private_key_jwt, client_secret_jwt",
            "client_secret_jwt for the contract client: refused (invalid_client)",
        ],
    )


def test_private_key_jwt_check_skips_without_a_key(
    pytester: pytest.Pytester, contract_args: list[str]
) -> None:
    args = contract_args[: contract_args.index("--authmock-contract-jwt-client")]
    result = pytester.runpytest_inprocess(*args, "-k", "client_auth_jwt", "-rs")
    result.assert_outcomes(passed=2, skipped=2)
    result.stdout.fnmatch_lines(
        ["*pass --authmock-contract-jwt-client ID:KEY_PEM to check private_key_jwt*"]
    )


def test_dpop_checks_pass(pytester: pytest.Pytester, contract_args: list[str]) -> None:
    passes(
        pytester,
        contract_args,
        "test_dpop",
        3,
        [
            "DPoP server nonce at the token endpoint (RFC 9449 §8): not required",
            "replayed DPoP proof (same jti) at the token endpoint: refused (invalid_dpop_proof)",
        ],
    )


def test_dpop_checks_report_a_required_nonce(
    pytester: pytest.Pytester, contract_args: list[str], idp_server: Any
) -> None:
    idp_server.dpop_settings.require_nonce = True
    passes(
        pytester,
        contract_args,
        "test_dpop",
        3,
        [
            "DPoP server nonce at the token endpoint (RFC 9449 §8): required"
            "  (fake: idp.dpop_settings.require_nonce = True)"
        ],
    )


def test_assertion_grant_checks_pass(pytester: pytest.Pytester, contract_args: list[str]) -> None:
    passes(
        pytester,
        contract_args,
        "assertion_grants",
        2,
        [
            "token exchange of the client's own access token: accepted",
            "JWT bearer grant with a client-signed assertion: accepted",
        ],
    )
