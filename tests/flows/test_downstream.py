"""What a downstream suite writes: the flows through the plugin, checked with pytester."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.flows.helpers import poll, start_device, status_text, submit


def test_downstream_device_login_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from pytest_authmock.client import DeviceFlow, DeviceFlowDenied, OAuthClient
        import pytest

        def test_device_login(idp):
            idp.add_client("tv", public=True)
            ada = idp.add_user("ada")
            with OAuthClient(idp.issuer, client_id="tv") as oauth:
                flow = DeviceFlow(oauth, sleep=idp.clock.advance)
                authz = flow.start()
                idp.approve_device(authz.user_code, user=ada)
                assert flow.poll(authz).access_token

        def test_denied(idp):
            idp.add_client("tv", public=True)
            with OAuthClient(idp.issuer, client_id="tv") as oauth:
                flow = DeviceFlow(oauth, sleep=idp.clock.advance)
                authz = flow.start()
                idp.deny_device()
                with pytest.raises(DeviceFlowDenied):
                    flow.poll(authz)
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)


@pytest.mark.authmock(tls=True)
def test_pages_over_https(idp_server: Any) -> None:
    idp_server.add_client("tv", public=True)
    ada = idp_server.add_user("ada", "pw")
    with httpx.Client(verify=idp_server.ssl_context) as http:
        body = start_device(http, idp_server, "tv")
        page = http.get(body["verification_uri_complete"])
        assert "; Secure" in page.headers["set-cookie"]
        done = submit(
            http,
            page,
            body["verification_uri"],
            user_code=body["user_code"],
            username="ada",
            password="pw",
            action="approve",
        )
        assert status_text(done.text) is not None
        idp_server.clock.advance(5)
        assert poll(http, idp_server, "tv", body["device_code"]).status_code == 200
    assert idp_server.journal.last(endpoint="token").username == ada.username
