"""The contract suite in the project's CI: run against ``authmock serve`` in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from pytest_authmock.contract.checks import Choices
from pytest_authmock.contract.grants import ClientGrants
from pytest_authmock.contract.jwts import verify_jwt
from pytest_authmock.contract.signin import choose, parse_forms
from tests.interop.contract_run import BASE, run_contract

#: The same file docs/contract-testing.md shows.
CONFIG = Path(__file__).resolve().parent.parent / "examples" / "contract" / "authmock-serve.toml"


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Start ``authmock serve`` with a config; returns its issuer (first stdout line)."""
    processes: list[subprocess.Popen[str]] = []

    def start(*args: str, extra: str = "") -> str:
        config = tmp_path / f"serve-{len(processes)}.toml"
        # Top-level keys go before the first table.
        config.write_text(extra + "\n" + CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pytest_authmock.cli",
                "serve",
                "--config",
                str(config),
                "--port",
                "0",
                *args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        processes.append(process)
        assert process.stdout is not None
        issuer = process.stdout.readline().strip()
        assert issuer.startswith(("http://", "https://")), f"authmock serve printed {issuer!r}"
        return issuer

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


CREDENTIALS = [
    "--authmock-contract-client",
    "contract-ci:contract-ci-secret",
    "--authmock-contract-user",
    "contract-user:contract-password",
    "--authmock-contract-device",
]
NARROW = ["--authmock-contract-client", "contract-narrow:contract-narrow-secret"]
REDIRECT = ["--authmock-contract-redirect-uri", "http://127.0.0.1/contract/callback"]

#: Checks that must run (not skip) against the fake with every option given.
MUST_RUN = {
    "test_authorization_code.py::test_code_exchange_with_pkce",
    "test_authorization_code.py::test_wrong_code_verifier",
    "test_authorization_code.py::test_missing_code_verifier",
    "test_authorization_code.py::test_id_token",
    "test_device_flow.py::test_polling_before_approval_is_pending",
    "test_mtls.py::test_bound_token_with_a_client_certificate",
    "test_token_management.py::test_introspect_an_active_token",
    "test_token_management.py::test_revoked_refresh_token_is_refused",
    "test_user_grants.py::test_refresh_grant_and_rotation",
    "test_user_grants.py::test_unknown_refresh_token",
    "test_user_grants.py::test_wrong_password",
    "test_userinfo.py::test_userinfo_with_an_invalid_token",
    "test_userinfo.py::test_userinfo_with_the_users_token",
    "test_userinfo.py::test_resource_with_an_invalid_token",
    "test_resource_indicators.py::test_the_token_is_for_the_resource_asked_for",
    "test_resource_indicators.py::test_a_resource_with_a_fragment_is_invalid_target",
    "test_resource_metadata.py::test_the_401_points_to_the_metadata",
    "test_resource_metadata.py::test_the_metadata_describes_the_resource",
    "test_resource_metadata.py::test_the_issuer_is_an_authorization_server",
    "test_resource_metadata.py::test_the_chain_from_the_401_to_the_issuer",
    "test_registration.py::test_the_answer_carries_credentials",
    "test_registration.py::test_the_registered_client_gets_a_token",
    "test_registration.py::test_a_bad_redirect_uri_is_refused",
    "test_registration.py::test_read_update_and_delete",
    "test_pushed_authorization.py::test_a_pushed_request_gets_a_request_uri",
    "test_pushed_authorization.py::test_a_confidential_client_must_authenticate",
    "test_pushed_authorization.py::test_errors_are_answered_not_redirected",
    "test_pushed_authorization.py::test_sign_in_with_the_request_uri",
    "test_pushed_authorization.py::test_a_spent_request_uri_gives_no_second_code",
    "test_end_session.py::test_an_unregistered_redirect_is_not_followed",
    "test_end_session.py::test_logout_with_the_id_token",
}


def jwt_client(tmp_path: Path) -> tuple[str, list[str]]:
    """A private_key_jwt client for the config, and the option naming its key file."""
    key = ECKey.generate_key("P-256", parameters={"kid": "contract-jwt"}, private=True)
    pem = tmp_path / "contract-jwt.pem"
    pem.write_bytes(key.as_pem(private=True))
    public = ", ".join(f'{name} = "{value}"' for name, value in key.as_dict(private=False).items())
    table = f'[[clients]]\nclient_id = "contract-jwt"\njwks = {{ keys = [ {{ {public} }} ] }}\n'
    return table, ["--authmock-contract-jwt-client", f"contract-jwt:{pem}"]


def test_contract_suite_passes_against_authmock_serve(
    pytester: pytest.Pytester, serve: Callable[..., str], tmp_path: Path
) -> None:
    certs = tmp_path / "certs"
    table, jwt_option = jwt_client(tmp_path)
    issuer = serve("--mtls", "--certs-dir", str(certs), extra=table)
    run = run_contract(
        pytester,
        "--authmock-contract-issuer",
        issuer,
        *CREDENTIALS,
        *REDIRECT,
        "--authmock-contract-resource",
        f"{issuer}/api/contract",
        "--authmock-contract-resource-indicator",
        f"{issuer}/api/contract",
        "--authmock-contract-post-logout-redirect-uri",
        "http://127.0.0.1/contract/signed-out",
        "--authmock-contract-ca",
        str(certs / "ca.pem"),
        "--authmock-contract-client-cert",
        str(certs / "contract-ci.pem"),
        "--authmock-contract-client-key",
        str(certs / "contract-ci-key.pem"),
        *jwt_option,
        "--authmock-contract-resource-indicator",
        "https://api.contract.example",
    )
    assert not run.failed, run.report()
    assert run.passed >= MUST_RUN, run.report()
    # Left out: the check that needs a second, narrower client, and the one of a provider
    # that refuses unknown resources (the fake's default issues tokens for any).
    assert set(run.skipped) == {
        "test_token_endpoint.py::test_forbidden_grant",
        "test_resource_indicators.py::test_an_unknown_resource_is_invalid_target",
    }, run.report()
    choices = {what: entry["chosen"] for what, entry in run.choices.items()}
    assert choices["access token format"] == "JWT"
    assert choices["access token typ header"] == "at+jwt"
    assert run.choices["access token format"]["fake"] == "token_format='jwt'"
    assert choices["certificate-bound JWT (cnf x5t#S256)"] == "yes"
    assert choices["refresh token rotation"] == "yes"
    assert choices["revoking an access token"] == "takes effect at introspection"


def test_the_report_names_the_switch_that_matches_a_provider(
    pytester: pytest.Pytester, serve: Callable[..., str]
) -> None:
    issuer = serve(
        extra='token_format = "opaque"\n'
        'unauthorized_grant_error = "invalid_grant"\n'
        "refresh_token_rotation = false"
    )
    narrow = pytester.runpytest(
        *BASE,
        "--authmock-contract-issuer",
        issuer,
        *NARROW,
        "--authmock-contract-forbidden-grant",
        "password",
    )
    assert narrow.parseoutcomes().get("failed", 0) == 0, narrow.stdout.str()
    narrow.stdout.fnmatch_lines_random(
        [
            "access token format: opaque  (fake: token_format='opaque')",
            "error for a grant the client may not use: invalid_grant (RFC 6749 §5.2 names unauthorized_client)"
            "  (fake: unauthorized_grant_error='invalid_grant')",
        ]
    )
    full = pytester.runpytest(*BASE, "--authmock-contract-issuer", issuer, *CREDENTIALS)
    assert full.parseoutcomes().get("failed", 0) == 0, full.stdout.str()
    full.stdout.fnmatch_lines_random(
        ["refresh token rotation: no  (fake: refresh_token_rotation=False)"]
    )


def test_a_client_limited_to_some_grants_is_not_failed(
    pytester: pytest.Pytester, serve: Callable[..., str]
) -> None:
    # The provider supports refresh tokens and the code flow; this client may not use them.
    issuer = serve()
    run = run_contract(pytester, "--authmock-contract-issuer", issuer, *NARROW, *REDIRECT)
    assert not run.failed, run.report()
    reason = run.skipped["test_user_grants.py::test_unknown_refresh_token"]
    assert "'contract-narrow' may not use the refresh_token grant" in reason
    assert "RFC 6749 §5.2" in reason


def test_the_suite_needs_an_issuer_and_a_client(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*BASE)
    assert result.ret != 0
    result.stdout.fnmatch_lines(
        ["*needs --authmock-contract-issuer URL and --authmock-contract-client ID:SECRET*"]
    )


def test_the_old_option_names_still_work_with_a_warning(
    pytester: pytest.Pytester, serve: Callable[..., str]
) -> None:
    issuer = serve()
    result = pytester.runpytest(
        *BASE,
        "--authmock-issuer",
        issuer,
        "--authmock-client",
        "contract-ci:contract-ci-secret",
        "-k",
        "test_discovery",
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0, result.stdout.str()
    assert outcomes.get("passed", 0) >= 4, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*PytestDeprecationWarning: --authmock-issuer is deprecated; use --authmock-contract-issuer*"
        ]
    )
    # Hidden from --help: only the new names are documented.
    help_text = pytester.runpytest("-p", "no:faker", "--help").stdout.str()
    assert "--authmock-contract-issuer" in help_text
    assert "--authmock-issuer" not in help_text


def test_the_suite_catches_a_provider_that_breaks_the_contract(
    pytester: pytest.Pytester, serve: Callable[..., str]
) -> None:
    # A misbehaving provider (here the fake, told to label its metadata
    # text/html) must fail the check, not pass it, and say which RFC it broke.
    issuer = serve(
        extra='[[faults]]\nkind = "wrong_content_type"\nendpoint = "discovery"\ntimes = "always"\n'
    )
    run = run_contract(pytester, "--authmock-contract-issuer", issuer, *CREDENTIALS)
    assert set(run.failed) == {"test_discovery.py::test_metadata_answers_json"}, run.report()
    assert "RFC 8414 §3.2" in run.failed["test_discovery.py::test_metadata_answers_json"]


# -- the suite's own parts, without a provider ----------------------------------------------


def test_the_page_driver_reads_forms_the_way_browsers_do() -> None:
    page = """
    <form id="op.confirm" method="post" action="/device"><input type="hidden" name="xsrf" value="x1">
    <input type="checkbox" name="remember"><input type="checkbox" name="ok" value="1" checked></form>
    <button type="submit" form="op.confirm">Continue</button>
    <button type="submit" form="op.confirm" name="abort" value="yes">[ Cancel ]</button>
    <p role="alert">Wrong code</p>
    """
    forms, alerts = parse_forms(page)
    assert alerts == ["Wrong code"]
    (form,) = forms
    assert [(name, value) for name, value, _, _ in form.fields] == [("xsrf", "x1"), ("ok", "1")]
    assert [button.label for button in form.buttons] == ["Continue", "[ Cancel ]"]


def test_the_page_driver_signs_in_rather_than_denies() -> None:
    page = """
    <form method="post"><button name="action" value="deny">Deny access</button></form>
    <form method="post" action="/login"><input name="username" autocomplete="username">
    <input type="password" name="password"><button type="submit">Sign in</button></form>
    """
    forms, _ = parse_forms(page)
    form, button = choose(forms, "approve") or (None, None)
    assert form is not None
    assert form.action == "/login"
    assert form.data(button, "alice", "pw", {}) == {"username": "alice", "password": "pw"}
    denied = choose(forms, "deny")
    assert denied is not None
    assert denied[1] is not None
    assert denied[1].value == "deny"


def _answer(status: int, error: str) -> httpx.Response:
    return httpx.Response(status, json={"error": error, "error_description": "not for you"})


def test_a_grant_refused_to_this_client_is_a_skip_until_the_client_used_it() -> None:
    grants = ClientGrants("ci-bot", Choices())
    reason = grants.refusal("refresh_token", _answer(400, "unauthorized_client"))
    assert reason is not None
    assert "'ci-bot' may not use the refresh_token grant" in reason
    assert grants.refusal("refresh_token", _answer(400, "invalid_grant")) is None
    grants.saw("refresh_token")
    # Once the client used the grant, a refusal is the provider's answer, checked as such.
    assert grants.refusal("refresh_token", _answer(400, "invalid_request")) is None


def test_the_jwt_check_takes_the_algorithm_from_the_key() -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})
    jwks = {"keys": [key.as_dict(private=False)]}
    token = jwt.encode({"alg": "RS256", "kid": "k1"}, {"iss": "x"}, key)
    assert verify_jwt(token, jwks) == {"iss": "x"}
    # The same key published for PS256 only: an RS256 token must not be accepted.
    jwks["keys"][0]["alg"] = "PS256"
    with pytest.raises(AssertionError, match=r"RFC 8725 §3\.1"):
        verify_jwt(token, jwks)
    unsigned = token.split(".")[1]
    with pytest.raises(AssertionError, match=r"RFC 8725 §3\.2"):
        verify_jwt("eyJhbGciOiJub25lIn0." + unsigned + ".", jwks)
