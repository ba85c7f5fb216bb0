"""Expiry on the provider clock, introspection (RFC 7662) and revocation (RFC 7009)."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest
from freezegun import freeze_time
from joserfc import jwt
from joserfc.jwk import KeySet

from pytest_authmock import FakeIdP
from tests.helpers import login, token


def _introspect(http: httpx.Client, idp: FakeIdP, client: object, value: str) -> dict[str, object]:
    response = http.post(
        idp.url_for("introspection"),
        data={"token": value},
        auth=(client.client_id, client.client_secret),
    )  # type: ignore[attr-defined]
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


@pytest.mark.parametrize("token_format", ["jwt", "opaque"])
def test_token_expires_when_the_clock_advances(idp: FakeIdP, token_format: str) -> None:
    client = idp.add_client(access_token_ttl=300, token_format=token_format)  # type: ignore[arg-type]
    http = httpx.Client()
    # Wall time stands still, so a slow machine cannot spend the last second for us.
    with freeze_time("2031-05-01 12:00:00"):
        access = token(http, idp, client, grant_type="client_credentials").json()["access_token"]
        idp.clock.advance(299)
        assert _introspect(http, idp, client, access)["active"] is True
        idp.clock.advance(1)
        assert _introspect(http, idp, client, access) == {"active": False}
        check = idp.check_bearer(f"Bearer {access}")
    assert check.status_code == 401
    assert "expired" in str(check.description)


def test_clock_follows_freezegun(idp: FakeIdP) -> None:
    client = idp.add_client(access_token_ttl=60)
    with freeze_time("2030-01-01 00:00:00") as frozen:
        access = idp.issue_token(client)
        frozen.tick(59)
        assert idp.check_bearer(f"Bearer {access}").ok
        frozen.tick(1)
        assert not idp.check_bearer(f"Bearer {access}").ok
        frozen.move_to("2029-12-31 23:59:00")
        # Before nbf: a token from the future is refused too.
        assert "not valid before" in str(idp.check_bearer(f"Bearer {access}").description)


def test_jwt_claims_follow_freezegun(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    with freeze_time("2031-05-06 07:08:09"):
        access = token(http, provider, client, grant_type="client_credentials").json()[
            "access_token"
        ]
    claims = jwt.decode(access, KeySet.import_key_set(provider.jwks()), algorithms=["RS256"]).claims
    frozen_at = int(datetime(2031, 5, 6, 7, 8, 9, tzinfo=timezone.utc).timestamp())
    assert claims["iat"] == frozen_at
    assert claims["exp"] == frozen_at + 3600


@pytest.mark.authmock(access_token_ttl=None)
def test_never_expiring_jwt_has_no_exp(idp: FakeIdP) -> None:
    access = idp.issue_token()
    claims = jwt.decode(access, KeySet.import_key_set(idp.jwks()), algorithms=["RS256"]).claims
    assert "exp" not in claims
    idp.clock.advance(100 * 365 * 86400)
    assert idp.check_bearer(f"Bearer {access}").ok


def test_skew_moves_only_the_provider(idp: FakeIdP) -> None:
    import time

    before = time.time()
    idp.clock.skew = 120
    assert idp.clock.now() - before >= 119.9
    assert time.time() - before < 5
    idp.clock.reset()
    assert abs(idp.clock.now() - time.time()) < 1


def test_introspection_of_an_active_token(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    user = provider.add_user()
    body = login(http, provider, client, user, scope="read")
    info = _introspect(http, provider, client, body["access_token"])
    assert info["active"] is True
    assert info["client_id"] == client.client_id
    assert info["username"] == user.username
    assert info["sub"] == user.sub
    assert info["scope"] == "read"
    assert info["token_type"] == "Bearer"
    assert info["iss"] == provider.issuer
    assert isinstance(info["exp"], int)
    assert isinstance(info["iat"], int)
    refresh = _introspect(http, provider, client, body["refresh_token"])
    assert refresh["active"] is True
    assert refresh["token_type"] == "refresh_token"


def test_introspection_of_garbage_is_inactive(provider: FakeIdP, http: httpx.Client) -> None:
    assert _introspect(http, provider, provider.add_client(), "garbage") == {"active": False}


def test_introspection_requires_client_authentication(
    provider: FakeIdP, http: httpx.Client
) -> None:
    response = http.post(provider.url_for("introspection"), data={"token": "x"})
    assert response.status_code == 401
    public = provider.add_client(public=True)
    response = http.post(
        provider.url_for("introspection"), data={"token": "x", "client_id": public.client_id}
    )
    assert response.status_code == 401
    assert "RFC 7662" in response.json()["error_description"]


def test_introspection_requires_token_parameter(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    response = http.post(
        provider.url_for("introspection"),
        data={"x": "y"},
        auth=(client.client_id, str(client.client_secret)),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def _revoke(
    http: httpx.Client, idp: FakeIdP, client: object, value: str, **extra: str
) -> httpx.Response:
    return http.post(
        idp.url_for("revocation"),
        data={"token": value, **extra},
        auth=(client.client_id, client.client_secret),
    )  # type: ignore[attr-defined]


@pytest.mark.parametrize("token_format", ["jwt", "opaque"])
def test_revoked_access_token_is_dead_at_once(
    provider: FakeIdP, http: httpx.Client, token_format: str
) -> None:
    client = provider.add_client(token_format=token_format)  # type: ignore[arg-type]
    access = token(http, provider, client, grant_type="client_credentials").json()["access_token"]
    response = _revoke(http, provider, client, access, token_type_hint="access_token")
    assert response.status_code == 200
    assert response.content == b""
    assert _introspect(http, provider, client, access) == {"active": False}
    assert provider.check_bearer(f"Bearer {access}").description == "token was revoked"


def test_revoking_a_refresh_token_revokes_its_grant(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    body = login(http, provider, client, provider.add_user())
    assert _revoke(http, provider, client, body["refresh_token"]).status_code == 200
    assert not provider.check_bearer(f"Bearer {body['access_token']}").ok
    refreshed = token(
        http, provider, client, grant_type="refresh_token", refresh_token=body["refresh_token"]
    )
    assert refreshed.json()["error"] == "invalid_grant"


def test_revoking_an_unknown_token_answers_200(provider: FakeIdP, http: httpx.Client) -> None:
    # RFC 7009 §2.2: invalid tokens do not cause an error.
    assert _revoke(http, provider, provider.add_client(), "never-issued").status_code == 200


def test_revoking_another_clients_token_is_refused(provider: FakeIdP, http: httpx.Client) -> None:
    owner, other = provider.add_client(), provider.add_client()
    access = token(http, provider, owner, grant_type="client_credentials").json()["access_token"]
    response = _revoke(http, provider, other, access)
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"
    assert provider.check_bearer(f"Bearer {access}").ok


def test_public_client_may_revoke_its_own_tokens(provider: FakeIdP, http: httpx.Client) -> None:
    public = provider.add_client(public=True)
    user = provider.add_user()
    body = http.post(
        provider.url_for("token"),
        data={
            "grant_type": "password",
            "client_id": public.client_id,
            "username": user.username,
            "password": user.password,
        },
    ).json()
    response = http.post(
        provider.url_for("revocation"),
        data={"token": body["refresh_token"], "client_id": public.client_id},
    )
    assert response.status_code == 200
    assert not provider.check_bearer(f"Bearer {body['access_token']}").ok


def test_test_api_revoke_token(idp: FakeIdP) -> None:
    access = idp.issue_token()
    idp.revoke_token(access)
    assert not idp.check_bearer(f"Bearer {access}").ok
    with pytest.raises(LookupError, match="never issued"):
        idp.revoke_token("nope")
