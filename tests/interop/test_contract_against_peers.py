"""The shipped contract suite against real providers: it must not fail a correct one.

Each provider passes every check, or skips it with the reason, except the
checks its known deviations list (deviations.py), which must fail citing the
RFC the provider breaks.
"""

from __future__ import annotations

import pytest

from tests.interop.conftest import REDIRECT_URI, USER, NodeProvider, secret
from tests.interop.contract_run import known_deviations_only, run_contract
from tests.interop.deviations import KNOWN_DEVIATIONS, SOMETIMES
from tests.interop.providers import RunningProvider

SIGN_IN = [
    "--authmock-contract-user",
    ":".join(USER),
    "--authmock-contract-redirect-uri",
    REDIRECT_URI,
]


def client(client_id: str) -> list[str]:
    return ["--authmock-contract-client", f"{client_id}:{secret(client_id)}"]


def test_oidc_provider(pytester: pytest.Pytester, oidc_provider: NodeProvider) -> None:
    run = run_contract(
        pytester,
        "--authmock-contract-issuer",
        oidc_provider.issuer,
        *client("interop-basic"),
        *SIGN_IN,
        "--authmock-contract-device",
    )
    known_deviations_only(run, KNOWN_DEVIATIONS["oidc-provider"])
    # What the configuration in server.mjs allows must really be checked.
    for check in (
        "test_authorization_code.py::test_code_exchange_with_pkce",
        "test_authorization_code.py::test_wrong_code_verifier",
        "test_authorization_code.py::test_pkce_downgrade_is_refused",
        "test_authorization_code.py::test_id_token",
        "test_device_flow.py::test_polling_before_approval_is_pending",
        "test_token_management.py::test_introspect_an_active_token",
        "test_token_management.py::test_revoked_refresh_token_is_refused",
        "test_user_grants.py::test_refresh_grant_and_rotation",
        "test_user_grants.py::test_unknown_refresh_token",
        "test_userinfo.py::test_userinfo_with_an_invalid_token",
        "test_userinfo.py::test_userinfo_with_the_users_token",
    ):
        assert check in run.passed, run.report()
    assert run.choices["refresh token rotation"]["chosen"] == "yes"
    assert run.choices["revoking an access token"]["chosen"] == "takes effect at introspection"


def test_oidc_provider_with_a_client_allowed_some_grants(
    pytester: pytest.Pytester, oidc_provider: NodeProvider
) -> None:
    # Allowed client_credentials and the device grant only: oidc-provider answers
    # invalid_request ("requested grant type is not allowed for this client") to
    # the others, which is the provider's per-client choice, not a failure.
    run = run_contract(
        pytester,
        "--authmock-contract-issuer",
        oidc_provider.issuer,
        *client("interop-device-only"),
        "--authmock-contract-device",
    )
    known_deviations_only(run, {})
    reason = run.skipped["test_user_grants.py::test_unknown_refresh_token"]
    assert "may not use the refresh_token grant" in reason
    assert "requested grant type is not allowed for this client" in reason
    assert run.choices["error for a grant the client may not use"]["chosen"].startswith(
        "invalid_request"
    )


def test_pytest_iam(pytester: pytest.Pytester, iam_provider: RunningProvider) -> None:
    # One test, so that xdist starts one canaille, not one per worker.
    run = run_contract(
        pytester,
        "--authmock-contract-issuer",
        iam_provider.issuer,
        *client("interop-basic"),
        *SIGN_IN,
    )
    known_deviations_only(run, KNOWN_DEVIATIONS["pytest-iam"], SOMETIMES["pytest-iam"])
    assert "test_authorization_code.py::test_code_exchange_with_pkce" in run.passed, run.report()

    # canaille lets only clients in a token's audience introspect it: active:false
    # for this client's own token is allowed (RFC 7662 §2.2), so it is a skip.
    outside = run_contract(
        pytester,
        "--authmock-contract-issuer",
        iam_provider.issuer,
        *client("interop-no-audience"),
        "-k",
        "introspect or revoke",
    )
    known_deviations_only(outside, {})
    reason = outside.skipped["test_token_management.py::test_introspect_an_active_token"]
    assert "RFC 7662 §2.2" in reason
    revoking = outside.choices["revoking an access token"]["chosen"]
    assert revoking == "not observable (inactive at introspection before)"


def test_oidc_provider_mock(pytester: pytest.Pytester, mock_provider: RunningProvider) -> None:
    # It accepts any client id and secret, and signs in whoever names a subject.
    run = run_contract(
        pytester,
        "--authmock-contract-issuer",
        mock_provider.issuer,
        *client("interop-any"),
        *SIGN_IN,
    )
    known_deviations_only(run, KNOWN_DEVIATIONS["oidc-provider-mock"])
    assert "test_authorization_code.py::test_code_exchange_with_pkce" in run.passed, run.report()
