"""httpx2 clients in-process: intercepted by idp, MockTransport(idp.handler), httpx2's exceptions."""

from __future__ import annotations

import pytest

from tests.helpers import free_loop_test

pytest.importorskip(
    "httpx2", reason="httpx2 needs Python 3.11+: pip install 'pytest-authmock[httpx2]'"
)


def test_idp_answers_httpx2_clients(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import asyncio
        import httpx2

        def test_sync(idp):
            client = idp.add_client()
            token = httpx2.post(
                idp.url_for("token"),
                data={"grant_type": "client_credentials"},
                auth=(client.client_id, client.client_secret),
            )
            assert isinstance(token, httpx2.Response)
            assert token.json()["token_type"] == "Bearer"
            idp.protect("https://api.example.test/me")
            assert httpx2.get("https://api.example.test/me").status_code == 401
            assert idp.journal.count(endpoint="token", status_code=200) == 1

        def test_async(idp):
            async def main():
                async with httpx2.AsyncClient() as http:
                    return (await http.get(idp.url_for("jwks"))).json()
            assert "keys" in asyncio.run(main())

        def test_factory_issuers_too(idp_factory):
            tenant = idp_factory("https://tenant-a.idp.test")
            assert "keys" in httpx2.get(tenant.url_for("jwks")).json()

        def test_other_hosts_pass_through(idp, idp_server):
            discovery = idp_server.issuer + "/.well-known/openid-configuration"
            assert httpx2.get(discovery).json()["issuer"] == idp_server.issuer
            assert len(idp.journal) == 0
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=4)


def test_faults_raise_httpx2_exceptions(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import asyncio
        import time
        import httpx2
        import pytest

        def test_connection_faults(idp):
            idp.timeout(endpoint="token")
            with pytest.raises(httpx2.ReadTimeout):
                httpx2.post(idp.url_for("token"), data={"grant_type": "client_credentials"})
            idp.disconnect(endpoint="jwks")
            with pytest.raises(httpx2.RemoteProtocolError):
                httpx2.get(idp.url_for("jwks"))
            idp.refuse(endpoint="userinfo")
            try:
                httpx2.get(idp.url_for("userinfo"))
            except httpx2.HTTPError as error:  # what the code under test catches
                assert isinstance(error, httpx2.ConnectError)
            else:
                raise AssertionError("no exception")

        def test_a_delay_past_the_read_timeout(idp):
            idp.delay(5, endpoint="jwks")  # far past the read timeout
            started = time.monotonic()
            with pytest.raises(httpx2.ReadTimeout):
                httpx2.get(idp.url_for("jwks"), timeout=httpx2.Timeout(5, read=0.05))
            assert time.monotonic() - started < 3  # ended at the 0.05 s read timeout, not after 5 s
        """
    )
    pytester.makepyfile(test_delay=free_loop_test("httpx2"))
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_idp_handler_works_with_httpx2_mock_transport(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx2
        import pytest
        from pytest_authmock import FakeIdP

        def test_sync():
            idp = FakeIdP()
            client = idp.add_client()
            with httpx2.Client(transport=httpx2.MockTransport(idp.handler)) as http:
                token = http.post(
                    idp.url_for("token"),
                    data={"grant_type": "client_credentials"},
                    auth=(client.client_id, client.client_secret),
                )
                assert token.json()["token_type"] == "Bearer"
                idp.refuse(endpoint="jwks")
                with pytest.raises(httpx2.ConnectError):
                    http.get(idp.url_for("jwks"))
        """
    )
    pytester.makepyfile(
        test_delay=free_loop_test(
            "httpx2",
            fixtures="",
            client="httpx2.AsyncClient(transport=httpx2.MockTransport(idp.handler))",
            setup="idp = pytest_authmock.FakeIdP()",
        )
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_unrouted_fail_and_httpx2_mock(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_httpx2", reason="pytest-httpx2 is in the test extra")
    pytester.makepyfile(
        """
        import httpx2
        import pytest

        pytestmark = pytest.mark.authmock(unrouted="fail")

        def test_stray_request_fails(idp):
            with pytest.raises(AssertionError, match="host 'elsewhere.example.test'"):
                httpx2.get("https://elsewhere.example.test/")

        def test_stacked_issuers_answer_their_own(idp, idp_factory):
            # The tenant's patch sits on top of idp's: it hands idp's URLs down.
            tenant = idp_factory("https://tenant-b.idp.test")
            assert httpx2.get(idp.url_for("jwks")).status_code == 200
            assert httpx2.get(tenant.url_for("jwks")).status_code == 200
            with pytest.raises(AssertionError) as refused:
                httpx2.get("https://elsewhere.example.test/")
            assert "(https://idp.authmock.test, https://tenant-b.idp.test)" in str(refused.value)

        def test_httpx2_mock_answers_its_urls(idp, httpx2_mock):
            httpx2_mock.get("https://payments.example.test/health").respond(json={"ok": True})
            assert httpx2.get("https://payments.example.test/health").json() == {"ok": True}
            assert httpx2.get(idp.url_for("jwks")).status_code == 200
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)
