"""Three details of the client library that users asked about, each as a short test.

The docs embed the marked sections of this file: trusting a private CA
(``verify=``), the token manager behind ``OAuth2Auth``, and what
``login_device`` hands to its ``show`` callback.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from pytest_authmock import FakeIdP
from pytest_authmock.client import (
    AuthHome,
    DeviceAuthorization,
    OAuth2Auth,
    OAuthClient,
    login_device,
)
from pytest_authmock.transport.idp_server import IdPServer


@pytest.mark.authmock(tls=True)
def test_trust_a_private_ca(idp_server: IdPServer) -> None:
    service = idp_server.add_client()
    ca_file = idp_server.ca_pem  # in production: your company's CA bundle
    # --8<-- [start:verify]
    oauth = OAuthClient(
        idp_server.issuer,
        client_id=service.client_id,
        client_secret=service.client_secret,
        verify=ssl.create_default_context(cafile=ca_file),  # trust this CA's servers
    )
    # --8<-- [end:verify]
    with oauth:
        assert oauth.metadata().issuer == idp_server.issuer


def test_the_manager_behind_oauth2auth(idp: FakeIdP) -> None:
    service = idp.add_client()
    api = "https://api.example.test/orders"
    idp.protect(api)
    oauth = OAuthClient(
        idp.issuer, client_id=service.client_id, client_secret=service.client_secret
    )
    # --8<-- [start:manager]
    auth = OAuth2Auth.client_credentials(oauth)
    token = auth.manager.get_token()  # fetches now, or returns the current one if still fresh
    assert auth.manager.token is token  # what it holds, without a request
    with httpx.Client(auth=auth) as http:
        assert http.get(api).status_code == 200  # the same token
    auth.manager.invalidate(token)  # forget it: the next request fetches a new one
    auth.close()  # the connections of the token requests
    # --8<-- [end:manager]
    idp.journal.assert_count(1, endpoint="token")


def test_what_login_device_shows(idp: FakeIdP, tmp_path: Path) -> None:
    idp.add_client("tv-cli", public=True)
    ada = idp.add_user("ada")
    home = AuthHome.open("toolx", directory=tmp_path, keyring="never")
    home.contexts.create("default", issuer=idp.issuer, activate=True)
    resolver = home.resolver(default_client_id="tv-cli", environ={})

    # --8<-- [start:show]
    def show(authorization: DeviceAuthorization) -> None:
        # Called once, after the device authorization request and before polling.
        print(authorization.instructions())  # "Open https://…/device and enter the code …"
        assert authorization.url.startswith(authorization.verification_uri)  # code filled in
        assert authorization.interval > 0  # seconds between polls (RFC 8628 §3.2)
        idp.approve_device(authorization.user_code, user=ada)  # the test plays the user

    session = login_device(resolver, show, sleep=idp.clock.advance)
    # --8<-- [end:show]
    assert session.username == "ada"
