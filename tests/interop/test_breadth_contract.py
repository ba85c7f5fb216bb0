"""The breadth contract checks (JWT client auth, DPoP, assertion grants) against
oidc-provider; its resource-indicator checks run in ``test_breadth2_client.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interop.breadth_keys import PKJWT_CLIENT, PKJWT_KEY
from tests.interop.conftest import NodeProvider, secret
from tests.interop.contract_run import BASE


def test_breadth_checks_against_oidc_provider(
    pytester: pytest.Pytester, oidc_provider: NodeProvider, tmp_path: Path
) -> None:
    pem = tmp_path / "pkjwt.pem"
    pem.write_bytes(PKJWT_KEY.as_pem(private=True))
    result = pytester.runpytest_inprocess(
        *BASE,
        "--authmock-contract-issuer",
        oidc_provider.issuer,
        "--authmock-contract-client",
        f"interop-basic:{secret('interop-basic')}",
        "--authmock-contract-jwt-client",
        f"{PKJWT_CLIENT}:{pem}",
        "--authmock-contract-scope",
        "api:read",
        "-k",
        "client_auth_jwt or dpop or assertion_grants",
        "-rs",
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0, result.stdout.str()
    # oidc-provider lists neither jwt-bearer nor token exchange: those two skip.
    assert outcomes["passed"] == 7, result.stdout.str()
    result.stdout.fnmatch_lines_random(
        [
            "client assertion aud accepted: issuer, token endpoint",
            "replayed client assertion (same jti): refused (invalid_client)",
            # It refuses a replayed DPoP proof, but with invalid_grant (RFC 9449 §5 names
            # invalid_dpop_proof): the suite notes it rather than failing.
            "replayed DPoP proof (same jti) at the token endpoint: refused (invalid_grant)",
            "DPoP server nonce at the token endpoint (RFC 9449 §8): not required",
        ]
    )
