"""The client side of the device grant: ``DeviceFlow`` against the in-process provider."""

from __future__ import annotations

from pytest_authmock import FakeIdP
from pytest_authmock.client import DeviceFlow, OAuthClient


def test_device_flow(idp: FakeIdP) -> None:
    idp.add_client("acme-cli", public=True)
    ada = idp.add_user("ada", "analytical")
    issuer = idp.issuer
    # --8<-- [start:device_flow]
    with OAuthClient(issuer, client_id="acme-cli") as oauth:
        # sleep= waits between polls; a test moves the provider's clock instead
        flow = DeviceFlow(oauth, scopes=["openid", "read"], sleep=idp.clock.advance)
        authorization = flow.start()
        print(authorization.instructions())  # Open https://…/device and enter the code BCDF-GHJK
        idp.approve_device(authorization.user_code, user=ada)  # the user, in a browser
        token = flow.poll(authorization)  # waits interval, honours slow_down
    # --8<-- [end:device_flow]
    assert token.access_token
    assert idp.journal.count(endpoint="device_authorization") == 1
    assert idp.journal.count(endpoint="token", status_code=200) == 1
