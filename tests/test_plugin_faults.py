"""The teardown check for planned faults, and its opt-out, as a downstream suite sees them."""

from __future__ import annotations

import pytest


def test_unfired_fault_fails_the_test_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_retry(idp):
            idp.fail(503, endpoint="token", times=2)
            httpx.get(idp.url_for("jwks"))
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*pytest-authmock: the provider at https://idp.authmock.test was left with problems (seed *):",
            "  - planned fault never fired: fail(503, endpoint='token', times=2) "
            "(opt out with @pytest.mark.authmock(assert_all_faults_fired=False))",
            "If this is expected, opt out with @pytest.mark.authmock(teardown_check=False).",
        ]
    )


@pytest.mark.parametrize("fixture", ["idp", "idp_server"])
def test_opt_out_in_the_marker(pytester: pytest.Pytester, fixture: str) -> None:
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.authmock(assert_all_faults_fired=False)
        def test_maybe({fixture}):
            {fixture}.fail(503, endpoint="token")
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_opt_out_in_the_ini_file(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nauthmock_assert_all_faults_fired = false\nauthmock_clock_skew = 42\n"
    )
    pytester.makepyfile(
        """
        def test_maybe(idp):
            idp.rate_limit(5)
            assert idp.clock.skew == 42
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_bad_marker_values(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.authmock(assert_all_faults_fired="no")
        def test_a(idp):
            pass

        @pytest.mark.authmock(clock_skew="ahead")
        def test_b(idp):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*option assert_all_faults_fired must be True or False; got 'no'*",
            "*option clock_skew must be a number of seconds; got 'ahead'*",
        ]
    )


def test_fired_faults_pass_over_both_transports(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        @pytest.mark.parametrize("fixture", ["idp", "idp_server"])
        def test_fired(request, fixture):
            provider = request.getfixturevalue(fixture)
            provider.timeout(endpoint="jwks")
            with pytest.raises(httpx.ReadTimeout):
                httpx.get(provider.url_for("jwks"), timeout=0.2)
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)
