"""The plugin as a downstream suite sees it: pytester runs, exact outcomes and messages."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_idp_fixture_and_respx_mock_compose(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_both(idp, respx_mock):
            respx_mock.get("https://api.example.test/ping").respond(204)
            client = idp.add_client()
            token = httpx.post(
                idp.url_for("token"),
                data={"grant_type": "client_credentials"},
                auth=(client.client_id, client.client_secret),
            )
            assert token.status_code == 200
            assert httpx.get("https://api.example.test/ping").status_code == 204
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_no_patching_handler(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        from pytest_authmock import FakeIdP

        def test_mock_transport():
            idp = FakeIdP()
            client = idp.add_client()
            with httpx.Client(transport=httpx.MockTransport(idp.handler)) as http:
                response = http.post(
                    idp.url_for("token"),
                    data={"grant_type": "client_credentials"},
                    auth=(client.client_id, client.client_secret),
                )
            assert response.json()["token_type"] == "Bearer"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_marker_configures_the_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.authmock(issuer="https://login.test", token_format="opaque", access_token_ttl=60)
        def test_marked(idp):
            assert idp.issuer == "https://login.test"
            assert idp.config.token_format == "opaque"
            assert idp.add_client().access_token_ttl == 60
            assert idp.issue_token().count(".") == 0

        def test_default(idp):
            assert idp.issuer == "https://idp.authmock.test"
            assert idp.config.token_format == "jwt"
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_ini_options_set_suite_defaults(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        authmock_issuer = https://sso.corp.test
        authmock_algorithm = ES256
        authmock_access_token_ttl = none
        """
    )
    pytester.makepyfile(
        """
        import pytest

        def test_ini(idp):
            assert idp.issuer == "https://sso.corp.test"
            assert idp.config.algorithm == "ES256"
            assert idp.config.access_token_ttl is None

        @pytest.mark.authmock(algorithm="RS256")
        def test_marker_wins(idp):
            assert idp.config.algorithm == "RS256"
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_bad_ini_value_stops_the_run(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nauthmock_access_token_ttl = soon\n")
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: ini option authmock_access_token_ttl must be a whole number of seconds or 'none'; got 'soon'"
        ]
    )


def test_bad_marker_option_fails_setup_naming_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.authmock(token_fromat="opaque")
        def test_typo(idp):
            pass

        @pytest.mark.authmock(algorithm="HS256")
        def test_bad_value(idp):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.authmock got unknown option 'token_fromat'; known options: issuer, token_format,*",
            "*@pytest.mark.authmock: authmock option algorithm must be one of RS256, ES256; got 'HS256'",
        ]
    )


def test_unmet_expectation_fails_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.authmock(seed=5)
        def test_expects(idp):
            idp.expect(1, endpoint="token", client_id="ci-bot")

        @pytest.mark.authmock(teardown_check=False)
        def test_opted_out(idp):
            idp.expect(1, endpoint="token")
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*pytest-authmock: the provider at https://idp.authmock.test was left with problems (seed 5):",
            "*  - expected exactly 1 request(s) matching endpoint='token', client_id='ci-bot', got 0",
            "*If this is expected, opt out with @pytest.mark.authmock(teardown_check=False).",
        ]
    )


def test_state_is_fresh_per_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_one(idp):
            idp.add_client("app")
            idp.clock.advance(1000)

        def test_two(idp):
            assert "app" not in idp.clients
            idp.add_client("app")
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_seed_in_header_and_failure(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_fails(idp):
            idp.add_user()
            assert False
        """
    )
    result = pytester.runpytest("--authmock-seed=1234")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "authmock: seed 1234 (reproduce with --authmock-seed=1234)",
            "*- authmock -*",
            "Faker seed of this test: * (the run's seed is 1234; rerun with --authmock-seed=1234, *",
        ]
    )


def test_same_seed_reproduces_identities(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_print(idp):
            print("USER", idp.add_user().username, idp.add_client().client_id)
        """
    )
    first = pytester.runpytest("-s", "--authmock-seed=99").stdout.str()
    second = pytester.runpytest("-s", "--authmock-seed=99").stdout.str()
    third = pytester.runpytest("-s", "--authmock-seed=100").stdout.str()
    line = [x for x in first.splitlines() if x.startswith("USER") or "USER " in x]
    assert line
    assert line[0] in second
    assert line[0] not in third


def test_marker_without_fixture_warns(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.authmock(token_format="opaque")
        def test_forgot():
            pass
        """
    )
    result = pytester.runpytest("-W", "always::pytest.PytestConfigWarning")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.authmock has no effect*"])


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.authmock(issuer=URL, token_format='jwt'|'opaque', *): configure the idp / idp_server *"
        ]
    )


def test_runs_under_xdist(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(
        """
        import httpx, pytest

        @pytest.mark.parametrize("n", range(6))
        def test_token(idp, n):
            client = idp.add_client()
            response = httpx.post(
                idp.url_for("token"),
                data={"grant_type": "client_credentials"},
                auth=(client.client_id, client.client_secret),
            )
            assert response.status_code == 200
        """
    )
    result = pytester.runpytest("-n", "2", "--authmock-seed=77")
    result.assert_outcomes(passed=6)
