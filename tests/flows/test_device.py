"""Device authorization grant (RFC 8628): endpoint, polling, expiry and the test API."""

from __future__ import annotations

import re

import httpx
import pytest
from freezegun import freeze_time

from pytest_authmock import FakeIdP
from tests.flows.helpers import DEVICE_GRANT, poll, start_device
from tests.helpers import bearer


def test_metadata_advertises_the_device_endpoint(provider: FakeIdP, http: httpx.Client) -> None:
    meta = http.get(provider.issuer + "/.well-known/openid-configuration").json()
    assert meta["device_authorization_endpoint"] == provider.issuer + "/oauth2/device_authorization"
    assert DEVICE_GRANT in meta["grant_types_supported"]
    assert provider.url_for("device_authorization") == meta["device_authorization_endpoint"]


def test_device_authorization_response(provider: FakeIdP, http: httpx.Client) -> None:
    provider.add_client("tv", public=True)
    body = start_device(http, provider, "tv", "read write")
    assert set(body) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    # RFC 8628 §6.1: consonants only, grouped for reading.
    assert re.fullmatch(r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}", body["user_code"])
    assert body["verification_uri"] == provider.issuer + "/device"
    assert (
        body["verification_uri_complete"]
        == f"{provider.issuer}/device?user_code={body['user_code']}"
    )
    assert (body["expires_in"], body["interval"]) == (300, 5)
    (pending,) = provider.device_authorizations()
    assert (pending.user_code, pending.client_id, pending.scope) == (
        body["user_code"],
        "tv",
        ("read", "write"),
    )
    assert body["device_code"] not in repr(pending)
    entry = provider.journal.last(endpoint="device_authorization")
    assert (entry.client_id, entry.status_code) == ("tv", 200)


def test_polling_then_approval_issues_tokens_once(
    provider: FakeIdP, http: httpx.Client, api: str
) -> None:
    provider.add_client("tv", public=True)
    ada = provider.add_user("ada")
    body = start_device(http, provider, "tv", "openid read")
    first = poll(http, provider, "tv", body["device_code"])
    assert first.status_code == 400
    assert first.json()["error"] == "authorization_pending"
    provider.approve_device(body["user_code"], user=ada)
    provider.clock.advance(5)
    tokens = poll(http, provider, "tv", body["device_code"])
    assert tokens.status_code == 200, tokens.text
    assert {"access_token", "refresh_token", "id_token"} <= set(tokens.json())
    assert http.get(api, headers=bearer(tokens.json()["access_token"])).json()["username"] == "ada"
    again = poll(http, provider, "tv", body["device_code"])
    assert again.json()["error"] == "invalid_grant"
    assert "already exchanged" in again.json()["error_description"]
    entry = provider.journal.last(endpoint="token", status_code=200)
    assert (entry.grant_type, entry.username) == (DEVICE_GRANT, "ada")


def test_polling_too_fast_slows_down_by_five_seconds(provider: FakeIdP, http: httpx.Client) -> None:
    provider.add_client("tv", public=True)
    code = start_device(http, provider, "tv")["device_code"]
    assert poll(http, provider, "tv", code).json()["error"] == "authorization_pending"
    fast = poll(http, provider, "tv", code)
    assert fast.json() == {
        "error": "slow_down",
        "error_description": "polling too fast; wait at least 10 seconds between requests",
    }
    provider.clock.advance(6)  # the old interval is not enough any more
    assert poll(http, provider, "tv", code).json()["error"] == "slow_down"
    provider.clock.advance(15)
    assert poll(http, provider, "tv", code).json()["error"] == "authorization_pending"
    assert provider.device_authorizations()[0].interval == 15


def test_denied_request(provider: FakeIdP, http: httpx.Client) -> None:
    provider.add_client("tv", public=True)
    code = start_device(http, provider, "tv")["device_code"]
    provider.deny_device()
    response = poll(http, provider, "tv", code)
    assert response.json()["error"] == "access_denied"
    assert provider.device_authorizations() == []
    assert provider.device_authorizations(pending=False)[0].status == "denied"


def test_code_expires_after_five_minutes(provider: FakeIdP, http: httpx.Client) -> None:
    provider.add_client("tv", public=True)
    ada = provider.add_user("ada")
    with freeze_time() as frozen:
        body = start_device(http, provider, "tv")
        frozen.tick(299)
        provider.approve_device(body["user_code"], user=ada)  # still in time
        frozen.tick(2)
        response = poll(http, provider, "tv", body["device_code"])
    assert response.json()["error"] == "expired_token"
    assert "start a new device authorization" in response.json()["error_description"]


def test_an_expired_code_cannot_be_approved(provider: FakeIdP, http: httpx.Client) -> None:
    provider.add_client("tv", public=True)
    ada = provider.add_user("ada")
    body = start_device(http, provider, "tv")
    provider.clock.advance(301)
    with pytest.raises(LookupError, match="expired at"):
        provider.approve_device(body["user_code"], user=ada)
    assert poll(http, provider, "tv", body["device_code"]).json()["error"] == "expired_token"


@pytest.mark.parametrize(
    ("device_code", "error", "message"),
    [
        (None, "invalid_request", "needs the device_code parameter"),
        ("no-such-code", "invalid_grant", "device code is unknown"),
    ],
)
def test_bad_device_codes(
    provider: FakeIdP, http: httpx.Client, device_code: str | None, error: str, message: str
) -> None:
    provider.add_client("tv", public=True)
    data = {"client_id": "tv", "grant_type": DEVICE_GRANT}
    if device_code:
        data["device_code"] = device_code
    response = http.post(provider.url_for("token"), data=data)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert message in response.json()["error_description"]


def test_device_code_is_bound_to_its_client(provider: FakeIdP, http: httpx.Client) -> None:
    provider.add_client("tv", public=True)
    provider.add_client("radio", public=True)
    code = start_device(http, provider, "tv")["device_code"]
    response = poll(http, provider, "radio", code)
    assert response.json()["error"] == "invalid_grant"
    assert "another client" in response.json()["error_description"]


def test_client_without_the_grant_is_refused(provider: FakeIdP, http: httpx.Client) -> None:
    provider.add_client("svc", "s3cret", grant_types=["client_credentials"])
    response = http.post(
        provider.url_for("device_authorization"), data={"client_id": "svc"}, auth=("svc", "s3cret")
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"
    assert "device_code" in response.json()["error_description"]


@pytest.mark.authmock(unauthorized_grant_error="invalid_grant")
def test_refusal_follows_the_unauthorized_grant_error_switch(
    provider: FakeIdP, http: httpx.Client
) -> None:
    # The same switch as the token endpoint's, so one setting matches a real provider.
    assert provider.config.unauthorized_grant_error == "invalid_grant"
    provider.add_client("svc", "s3cret", grant_types=["client_credentials"])
    response = http.post(
        provider.url_for("device_authorization"), data={"client_id": "svc"}, auth=("svc", "s3cret")
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_unknown_client_and_method(provider: FakeIdP, http: httpx.Client) -> None:
    url = provider.url_for("device_authorization")
    assert http.post(url, data={"client_id": "ghost"}).json()["error"] == "invalid_client"
    response = http.get(url)
    assert (response.status_code, response.headers["Allow"]) == (405, "POST")


def test_scope_is_checked_against_the_client(provider: FakeIdP, http: httpx.Client) -> None:
    provider.add_client("tv", public=True, scopes=["read"])
    response = http.post(
        provider.url_for("device_authorization"), data={"client_id": "tv", "scope": "admin"}
    )
    assert response.json()["error"] == "invalid_scope"


def test_approve_device_needs_a_code_when_several_are_pending(
    provider: FakeIdP, http: httpx.Client
) -> None:
    provider.add_client("tv", public=True)
    ada = provider.add_user("ada")
    start_device(http, provider, "tv")
    start_device(http, provider, "tv")
    with pytest.raises(LookupError, match="2 device requests are pending"):
        provider.approve_device(user=ada)
    with pytest.raises(LookupError, match="is not valid"):
        provider.approve_device("BBBB-BBBB", user=ada)
    with pytest.raises(LookupError, match="no user 'bob'"):
        provider.approve_device(provider.device_authorizations()[0].user_code, user="bob")


def test_confidential_client_authenticates(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    assert client.client_secret is not None
    url = provider.url_for("device_authorization")
    ok = http.post(url, auth=(client.client_id, client.client_secret))
    assert ok.status_code == 200
    wrong = http.post(url, auth=(client.client_id, "guess"))
    assert wrong.status_code == 401


def test_auto_approve_approves_new_device_codes(provider: FakeIdP, http: httpx.Client) -> None:
    provider.add_client("tv", public=True)
    provider.auto_approve = provider.add_user("ada")
    body = start_device(http, provider, "tv")
    assert provider.device_authorizations() == []
    response = poll(http, provider, "tv", body["device_code"])
    assert response.status_code == 200
    assert provider.journal.last(endpoint="token").username == "ada"
