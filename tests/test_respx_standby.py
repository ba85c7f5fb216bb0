"""respx stays patched for the session once a provider was mounted; nothing else notices."""

from __future__ import annotations

import pytest


def test_after_an_idp_test_respx_mock_and_the_network_behave_as_without_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest
        import respx

        def test_1_a_provider(idp):
            assert httpx.get(idp.url_for("jwks")).status_code == 200

        def test_2_respx_mock_answers_its_routes(respx_mock):
            respx_mock.get("https://api.example.test/items").respond(json=["bolt"])
            assert httpx.get("https://api.example.test/items").json() == ["bolt"]

        def test_3_respx_mock_still_refuses_what_nobody_routed(respx_mock):
            with pytest.raises(respx.models.AllMockedAssertionError):
                httpx.get("https://elsewhere.example.test/")

        def test_4_without_a_router_requests_reach_the_network(idp_server):
            # idp_server is a real socket: the request passes through respx.
            assert httpx.get(idp_server.url_for("jwks")).status_code == 200

        def test_5_an_unrouted_request_fails_like_a_real_one():
            # Port 9 (discard) on loopback: nothing listens, the connection is refused.
            with pytest.raises(httpx.ConnectError):
                httpx.get("http://127.0.0.1:9/", timeout=2)
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=5)
