"""The breadth contract checks (JWT client auth, DPoP, assertion grants) against oidc-provider."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interop.breadth_keys import PKJWT_CLIENT, PKJWT_KEY
from tests.interop.conftest import API, NodeProvider, secret
from tests.interop.contract_run import run_contract


def test_breadth_checks_against_oidc_provider(
    pytester: pytest.Pytester, oidc_provider: NodeProvider, tmp_path: Path
) -> None:
    pem = tmp_path / "pkjwt.pem"
    pem.write_bytes(PKJWT_KEY.as_pem(private=True))
    run = run_contract(
        pytester,
        "--authmock-contract-issuer",
        oidc_provider.issuer,
        "--authmock-contract-client",
        f"interop-basic:{secret('interop-basic')}",
        "--authmock-contract-jwt-client",
        f"{PKJWT_CLIENT}:{pem}",
        "--authmock-contract-resource-indicator",
        API,
        "--authmock-contract-scope",
        "api:read",
        "-k",
        "client_auth_jwt or dpop or assertion_grants or resource_indicators",
    )
    assert not run.failed, run.report()
    for check in (
        "test_client_auth_jwt.py::test_private_key_jwt",
        "test_client_auth_jwt.py::test_private_key_jwt_replay",
        "test_client_auth_jwt.py::test_signing_algorithms_are_advertised_only_with_jwt_methods",
        "test_dpop.py::test_dpop_bound_client_credentials_token",
        "test_dpop.py::test_a_proof_for_another_url_is_refused",
        "test_dpop.py::test_a_replayed_proof",
        "test_resource_indicators.py::test_a_malformed_resource",
        "test_resource_indicators.py::test_the_token_is_for_the_resource",
    ):
        assert check in run.passed, run.report()
    chosen = {what: entry["chosen"] for what, entry in run.choices.items()}
    assert chosen["client assertion aud accepted"] == "issuer, token endpoint"
    assert chosen["replayed client assertion (same jti)"] == "refused (invalid_client)"
    # oidc-provider refuses a replayed DPoP proof, but with invalid_grant (RFC 9449 §5
    # names invalid_dpop_proof): the suite records it as the provider's choice.
    assert (
        chosen["replayed DPoP proof (same jti) at the token endpoint"] == "refused (invalid_grant)"
    )
    assert chosen["DPoP server nonce at the token endpoint (RFC 9449 §8)"] == "not required"
    assert chosen["resource indicators (RFC 8707)"] == "checked (invalid_target)"
    assert chosen["audience of a resource's token"] == "the resource"
