"""`requests` in-process through `responses`, as a downstream suite on a requests SDK sees it."""

from __future__ import annotations

import pytest

pytest.importorskip(
    "responses", reason="the requests extra: pip install 'pytest-authmock[requests]'"
)


def test_a_requests_sdk_is_answered_in_process(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        pytestmark = pytest.mark.authmock(requests=True)

        def test_token_and_protected_api(idp):
            client = idp.add_client()
            body = requests.post(
                idp.url_for("token"),
                data={"grant_type": "client_credentials"},
                auth=(client.client_id, client.client_secret),
            ).json()
            assert body["token_type"] == "Bearer"
            api = idp.protect("https://api.example.test/me")
            denied = requests.get("https://api.example.test/me")
            assert denied.status_code == 401
            assert denied.headers["WWW-Authenticate"].startswith("Bearer")
            bearer = {"Authorization": "Bearer " + body["access_token"]}
            assert requests.get("https://api.example.test/me", headers=bearer).status_code == 200
            assert idp.journal.count(endpoint="token", status_code=200) == 1

        def test_the_sdk_adapter_retries_run_as_in_production(idp):
            idp.fail(503, endpoint="jwks", times=2)
            session = requests.Session()
            retry = Retry(total=3, status_forcelist=[503], backoff_factor=0)
            session.mount("https://", HTTPAdapter(max_retries=retry))
            assert session.get(idp.url_for("jwks")).status_code == 200
            assert idp.journal.count(endpoint="jwks") == 3
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_faults_raise_what_requests_raises(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import time
        import pytest
        import requests

        pytestmark = pytest.mark.authmock(requests=True)

        def test_connection_faults(idp):
            idp.timeout(endpoint="token")
            with pytest.raises(requests.ReadTimeout, match="Read timed out"):
                requests.post(idp.url_for("token"), data={"grant_type": "client_credentials"})
            idp.disconnect(endpoint="jwks")
            with pytest.raises(requests.ConnectionError, match="Connection aborted"):
                requests.get(idp.url_for("jwks"))
            idp.refuse(endpoint="userinfo")
            with pytest.raises(requests.ConnectionError, match="Connection refused"):
                requests.get(idp.url_for("userinfo"))
            assert [e.status_code for e in idp.journal] == [0, 0, 0]

        def test_a_delay_past_the_read_timeout_times_out(idp):
            idp.delay(5, endpoint="jwks")  # far past the read timeout
            started = time.monotonic()
            with pytest.raises(requests.ReadTimeout, match=r"read timeout=0.05"):
                requests.get(idp.url_for("jwks"), timeout=(1, 0.05))
            assert time.monotonic() - started < 3  # ended at the read timeout, not after 5 s
            idp.delay(0.05, endpoint="jwks")  # within it: the answer, late
            assert requests.get(idp.url_for("jwks"), timeout=5).status_code == 200
            assert [e.fault for e in idp.journal] == ["delay", "delay"]
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_other_requests_pass_through_to_a_real_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        import requests

        @pytest.mark.authmock(requests=True)
        def test_side_by_side(idp, idp_server):
            # The loopback provider is a real server: its request goes over a socket.
            client = idp_server.add_client()
            assert requests.post(
                idp_server.url_for("token"),
                data={"grant_type": "client_credentials"},
                auth=(client.client_id, client.client_secret),
            ).status_code == 200
            assert idp_server.journal.count(endpoint="token") == 1
            assert len(idp.journal) == 0
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_responses_mock_started_earlier_keeps_its_urls(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        import requests
        import responses

        @pytest.fixture
        def payments():
            with responses.RequestsMock() as mock:
                mock.get("https://payments.example.test/health", json={"ok": True})
                yield mock

        @pytest.mark.authmock(requests=True)
        def test_both(payments, idp):
            assert requests.get("https://payments.example.test/health").json() == {"ok": True}
            assert requests.get(idp.url_for("jwks")).status_code == 200
            assert len(payments.calls) == 1
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_client_certificate_given_to_requests_is_presented(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        import requests

        @pytest.mark.authmock(requests=True)
        def test_tls_client_auth(idp, authmock_pki):
            cert = authmock_pki.issue_client_cert("ci-bot")
            idp.add_client("ci-bot", tls_client_auth_subject_dn=cert.subject_dn)
            response = requests.post(
                idp.url_for("token"),
                data={"grant_type": "client_credentials", "client_id": "ci-bot"},
                cert=(str(cert.cert_pem), str(cert.key_pem)),
            )
            assert response.status_code == 200, response.text
            assert idp.journal.last(endpoint="token").client_id == "ci-bot"
            without = requests.post(
                idp.url_for("token"),
                data={"grant_type": "client_credentials", "client_id": "ci-bot"},
            )
            assert without.json()["error"] == "invalid_client"
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_ini_option_turns_it_on_for_the_suite(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nauthmock_requests = true\n")
    pytester.makepyfile(
        """
        import requests

        def test_on(idp):
            discovery = idp.issuer + "/.well-known/openid-configuration"
            assert requests.get(discovery).json()["issuer"] == idp.issuer
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_bad_value_and_missing_package_are_named(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import sys

        sys.modules["responses"] = None  # as if the requests extra were not installed
        sys.modules.pop("pytest_authmock.transport.requests_mount", None)
        """
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.authmock(requests="yes")
        def test_bad(idp):
            pass

        @pytest.mark.authmock(requests=True)
        def test_missing(idp):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.authmock option requests must be True or False; got 'yes'",
            "*@pytest.mark.authmock(requests=True) needs the 'responses' package: "
            "pip install 'pytest-authmock[[]requests[]]'",
        ]
    )
