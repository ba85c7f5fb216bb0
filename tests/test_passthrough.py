"""Only the issuer and protected URLs are idp's: the rest of a downstream test keeps working."""

from __future__ import annotations

import pytest

from pytest_authmock import links
from tests.helpers import free_loop_test

LIVE_SERVER = """
import http.server
import threading

import pytest


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"app": "up"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def live_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
"""


def test_a_live_server_and_idp_server_are_reached_while_idp_is_active(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(LIVE_SERVER)
    pytester.makepyfile(
        """
        import asyncio
        import httpx

        def test_sync(idp, idp_server, live_server):
            assert httpx.get(live_server + "/health").json() == {"app": "up"}
            client = idp_server.add_client()
            token = httpx.post(
                idp_server.url_for("token"),
                data={"grant_type": "client_credentials"},
                auth=(client.client_id, client.client_secret),
            )
            assert token.status_code == 200
            assert idp_server.journal.count(endpoint="token") == 1
            assert len(idp.journal) == 0

        def test_async(idp, live_server):
            async def main():
                async with httpx.AsyncClient() as http:
                    return (await http.get(live_server)).json()
            assert asyncio.run(main()) == {"app": "up"}

        def test_protected_urls_added_later_are_still_idp_s(idp, live_server):
            api = live_server + "/api/me"
            idp.protect(api)
            assert httpx.get(api).status_code == 401  # the provider's answer, not the server's
            assert httpx.get(live_server + "/other").status_code == 200
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_unrouted_fail_names_the_host_and_the_option(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(LIVE_SERVER)
    pytester.makepyfile(
        """
        import httpx
        import pytest

        pytestmark = pytest.mark.authmock(unrouted="fail")

        def test_stray(idp, live_server):
            assert httpx.get(idp.url_for("jwks")).status_code == 200
            try:
                httpx.get(live_server + "/health")
            except httpx.HTTPError:
                pass  # authmock's refusal is not an httpx error the code can swallow
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E*pytest_authmock.transport.routing.UnroutedRequest: pytest-authmock: "
            "GET http://127.0.0.1:*/health was not sent: the host '127.0.0.1' is neither "
            "an issuer in this test (https://idp.authmock.test) nor a URL given to protect(), "
            "and unrouted='fail' refuses every other request. Route it with another mock, or "
            "let it through with @pytest.mark.authmock(unrouted='passthrough') "
            f"(ini: authmock_unrouted = passthrough). See {links.UNROUTED}",
        ]
    )


def test_unrouted_fail_beside_several_in_process_issuers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        pytestmark = pytest.mark.authmock(unrouted="fail")

        def test_each_issuer_answers_and_the_refusal_names_them_all(idp, idp_factory):
            tenant = idp_factory("https://tenant-b.idp.test")
            api = idp.protect("https://api.example.test/me")
            assert httpx.get(tenant.url_for("jwks")).status_code == 200
            assert httpx.get(idp.url_for("jwks")).status_code == 200
            assert httpx.get(str(api.url)).status_code == 401
            with pytest.raises(AssertionError) as refused:
                httpx.get("https://elsewhere.example.test/x?secret=1")
            message = str(refused.value)
            assert "GET https://elsewhere.example.test/x was not sent" in message
            assert "(https://idp.authmock.test, https://tenant-b.idp.test)" in message
            assert len(tenant.journal) == 1 and len(idp.journal) == 2
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_ini_option_and_a_bad_value(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nauthmock_unrouted = fail\n")
    pytester.makepyfile(
        """
        import httpx
        import pytest

        def test_ini(idp):
            with pytest.raises(AssertionError, match="unrouted='fail'"):
                httpx.get("https://elsewhere.example.test/")

        @pytest.mark.authmock(unrouted="ignore")
        def test_bad(idp):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.authmock option unrouted must be one of 'passthrough', 'fail'; "
            "got 'ignore'"
        ]
    )


def test_a_bad_ini_value_stops_the_run(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nauthmock_unrouted = never\n")
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: ini option authmock_unrouted must be one of passthrough, fail; got 'never'"]
    )


def test_respx_mock_keeps_its_own_rules_beside_idp(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(LIVE_SERVER)
    pytester.makepyfile(
        """
        import httpx
        import pytest

        def test_respx_mock_answers_and_refuses_as_without_idp(idp, respx_mock, live_server):
            respx_mock.get("https://api.example.test/ping").respond(204)
            assert httpx.get("https://api.example.test/ping").status_code == 204
            assert httpx.get(idp.url_for("jwks")).status_code == 200
            with pytest.raises(AssertionError, match="not mocked"):
                httpx.get(live_server)  # respx_mock refuses what it does not route
            respx_mock.route(host="127.0.0.1").pass_through()  # respx's own recipe
            assert httpx.get(live_server).json() == {"app": "up"}

        def test_two_in_process_issuers_never_leak_to_the_network(idp, idp_factory):
            other = idp_factory("https://tenant-b.idp.test")
            assert httpx.get(other.url_for("jwks")).status_code == 200
            assert httpx.get(idp.url_for("jwks")).status_code == 200
            assert len(other.journal) == len(idp.journal) == 1
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_pytest_httpx_and_idp_in_one_test(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_httpx", reason="pytest-httpx is in the test extra")
    pytester.makepyfile(
        """
        import asyncio
        import httpx
        import pytest

        def test_both(idp, httpx_mock):
            httpx_mock.add_response(url="https://payments.example.test/health", json={"ok": True})
            client = idp.add_client()
            token = httpx.post(
                idp.url_for("token"),
                data={"grant_type": "client_credentials"},
                auth=(client.client_id, client.client_secret),
            )
            assert token.status_code == 200
            api = idp.protect("https://api.example.test/me")
            bearer = {"Authorization": "Bearer " + token.json()["access_token"]}
            assert httpx.get("https://api.example.test/me?page=2", headers=bearer).status_code == 200
            assert httpx.get("https://payments.example.test/health").json() == {"ok": True}

        def test_faults(idp, httpx_mock):
            idp.timeout(endpoint="token")
            with pytest.raises(httpx.ReadTimeout):
                httpx.post(idp.url_for("token"), data={"grant_type": "client_credentials"})
        """
    )
    pytester.makepyfile(test_delay=free_loop_test("httpx", fixtures="idp, httpx_mock"))
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)
