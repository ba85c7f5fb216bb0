"""Mid-test changes: key rotation, custom kid, disabling, per-request claims, token formats, skew."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from pytest_authmock import FakeIdP
from pytest_authmock.provider.claims import ClaimsRequest
from tests.helpers import bearer, login, token


def _header_kid(value: str) -> str:
    import base64
    import json

    head = value.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"])


def _verifies(value: str, jwks: dict[str, Any]) -> bool:
    try:
        jwt.decode(value, KeySet.import_key_set(jwks), algorithms=["RS256", "ES256"])
    except (JoseError, ValueError):
        return False
    return True


def test_rotation_with_a_grace_period(provider: FakeIdP, http: httpx.Client) -> None:
    api = provider.issuer + "/api/me"
    provider.protect(api)
    client = provider.add_client()
    old = token(http, provider, client, grant_type="client_credentials").json()["access_token"]
    old_kid = provider.keys.kid
    new_kid = provider.rotate_keys(grace=600)
    assert new_kid != old_kid
    jwks = http.get(provider.url_for("jwks")).json()
    assert [key["kid"] for key in jwks["keys"]] == [new_kid, old_kid]
    new = token(http, provider, client, grant_type="client_credentials").json()["access_token"]
    assert (_header_kid(old), _header_kid(new)) == (old_kid, new_kid)
    assert _verifies(old, jwks)
    assert _verifies(new, jwks)
    assert http.get(api, headers=bearer(old)).status_code == 200
    provider.clock.advance(600)
    jwks = http.get(provider.url_for("jwks")).json()
    assert [key["kid"] for key in jwks["keys"]] == [new_kid]
    refused = http.get(api, headers=bearer(old))
    assert refused.status_code == 401
    assert "no longer publishes" in refused.json()["error_description"]
    assert http.get(api, headers=bearer(new)).status_code == 200


def test_rotation_dropping_the_old_key_at_once(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    old = token(http, provider, client, grant_type="client_credentials").json()["access_token"]
    provider.rotate_keys(grace=0)
    jwks = http.get(provider.url_for("jwks")).json()
    assert len(jwks["keys"]) == 1
    assert not _verifies(old, jwks)
    assert provider.check_bearer(f"Bearer {old}").status_code == 401
    introspected = http.post(
        provider.url_for("introspection"),
        data={"token": old},
        auth=(client.client_id, str(client.client_secret)),
    ).json()
    assert introspected == {"active": False}


def test_rotation_keeps_old_keys_by_default_and_names_keys(idp: FakeIdP) -> None:
    first = idp.keys.kid
    idp.rotate_keys(kid="2030-01")
    idp.rotate_keys(kid="2030-02", grace=60)
    assert idp.keys.kids() == ("2030-02", "2030-01", first)
    idp.clock.advance(60)
    assert idp.keys.kids() == ("2030-02",)
    with pytest.raises(ValueError, match="already used"):
        idp.rotate_keys(kid="2030-02")
    with pytest.raises(ValueError, match="grace must be"):
        idp.rotate_keys(grace=-1)
    idp.reset()
    assert idp.keys.kids() == (first,)


def test_custom_kid(provider: FakeIdP, http: httpx.Client) -> None:
    provider.use_kid("tenant-a-signing")
    client = provider.add_client()
    user = provider.add_user()
    body = login(http, provider, client, user, scope="openid")
    jwks = http.get(provider.url_for("jwks")).json()
    assert [key["kid"] for key in jwks["keys"]] == ["tenant-a-signing"]
    assert _header_kid(body["access_token"]) == _header_kid(body["id_token"]) == "tenant-a-signing"
    assert _verifies(body["access_token"], jwks)
    with pytest.raises(ValueError, match="kid must be"):
        provider.use_kid("")


def test_disable_user_mid_test(provider: FakeIdP, http: httpx.Client) -> None:
    api = provider.issuer + "/api/me"
    provider.protect(api)
    client = provider.add_client()
    user = provider.add_user()
    body = login(http, provider, client, user)
    assert http.get(api, headers=bearer(body["access_token"])).status_code == 200
    provider.disable_user(user)
    assert http.get(api, headers=bearer(body["access_token"])).status_code == 401
    refreshed = token(
        http, provider, client, grant_type="refresh_token", refresh_token=body["refresh_token"]
    )
    assert (refreshed.status_code, refreshed.json()["error"]) == (400, "invalid_grant")
    again = token(
        http,
        provider,
        client,
        grant_type="password",
        username=user.username,
        password=user.password,
    )
    assert again.json()["error"] == "invalid_grant"
    provider.enable_user(user.username)
    assert http.get(api, headers=bearer(body["access_token"])).status_code == 200


def test_disable_client_mid_test(provider: FakeIdP, http: httpx.Client) -> None:
    api = provider.issuer + "/api/me"
    provider.protect(api)
    client = provider.add_client()
    user = provider.add_user()
    body = login(http, provider, client, user)
    provider.disable_client(client.client_id)
    assert http.get(api, headers=bearer(body["access_token"])).status_code == 401
    refreshed = token(
        http, provider, client, grant_type="refresh_token", refresh_token=body["refresh_token"]
    )
    # RFC 6749 §5.2: a client that cannot authenticate gets invalid_client.
    assert (refreshed.status_code, refreshed.json()["error"]) == (401, "invalid_client")
    provider.enable_client(client)
    assert http.get(api, headers=bearer(body["access_token"])).status_code == 200
    with pytest.raises(LookupError, match="no client 'nobody'"):
        provider.disable_client("nobody")
    with pytest.raises(LookupError, match="no user 'nobody'"):
        provider.disable_user("nobody")


def test_claims_per_client_user_and_request(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client(claims={"tenant": "acme", "tier": "free"})
    user = provider.add_user(claims={"role": "admin"})
    seen: list[ClaimsRequest] = []

    @provider.claims_hook
    def per_request(request: ClaimsRequest) -> dict[str, Any]:
        seen.append(request)
        return {"tier": "gold", "requested_scope": list(request.scope), "via": request.grant_type}

    body = login(http, provider, client, user, scope="openid profile")
    jwks = http.get(provider.url_for("jwks")).json()
    claims = jwt.decode(
        body["access_token"], KeySet.import_key_set(jwks), algorithms=["RS256"]
    ).claims
    assert claims["tenant"] == "acme"
    assert claims["role"] == "admin"
    assert claims["tier"] == "gold"
    assert claims["requested_scope"] == ["openid", "profile"]
    assert claims["via"] == "password"
    id_claims = jwt.decode(
        body["id_token"], KeySet.import_key_set(jwks), algorithms=["RS256"]
    ).claims
    assert id_claims["tier"] == "gold"
    request = seen[0]
    assert (request.client_id, request.username) == (client.client_id, user.username)
    assert "password" not in request.params
    assert "client_secret" not in request.params
    assert request.params["grant_type"] == "password"


def test_claims_hook_returning_none_and_on_client_credentials(
    provider: FakeIdP, http: httpx.Client
) -> None:
    provider.claims_hook(lambda request: None)
    provider.claims_hook(lambda request: {"aud_hint": request.params.get("resource")})
    client = provider.add_client(token_format="opaque")
    value = token(
        http, provider, client, grant_type="client_credentials", resource="https://api.test"
    ).json()["access_token"]
    check = provider.check_bearer(f"Bearer {value}")
    assert check.token is not None
    assert check.token.claims["aud_hint"] == "https://api.test"


@pytest.mark.authmock(teardown_check=False)
def test_claims_hook_errors_are_reported(idp: FakeIdP) -> None:
    client = idp.add_client()

    @idp.claims_hook
    def broken(request: ClaimsRequest) -> dict[str, Any]:
        return {"sub": "someone-else"}

    response = httpx.post(
        idp.url_for("token"),
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, str(client.client_secret)),
    )
    assert response.status_code == 500
    assert response.json()["error"] == "server_error"
    (problem,) = idp.check()
    assert "registered claim(s) sub" in problem
    with pytest.raises(TypeError, match="takes a callable"):
        idp.claims_hook("not callable")  # type: ignore[arg-type]


@pytest.mark.authmock(teardown_check=False)
def test_claims_hook_exception_is_reported_with_its_traceback(idp: FakeIdP) -> None:
    client = idp.add_client()

    def explode(request: ClaimsRequest) -> dict[str, Any]:
        raise KeyError("tenant")

    idp.claims_hook(explode)
    response = httpx.post(
        idp.url_for("token"),
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, str(client.client_secret)),
    )
    assert response.status_code == 500
    (problem,) = idp.check()
    assert "explode raised" in problem
    assert "KeyError: 'tenant'" in problem


def test_opaque_and_jwt_per_client(provider: FakeIdP, http: httpx.Client) -> None:
    opaque_client = provider.add_client(token_format="opaque")
    jwt_client = provider.add_client()
    opaque = token(http, provider, opaque_client, grant_type="client_credentials").json()[
        "access_token"
    ]
    signed = token(http, provider, jwt_client, grant_type="client_credentials").json()[
        "access_token"
    ]
    assert opaque.count(".") == 0
    assert signed.count(".") == 2
    for client, value in ((opaque_client, opaque), (jwt_client, signed)):
        info = http.post(
            provider.url_for("introspection"),
            data={"token": value},
            auth=(client.client_id, str(client.client_secret)),
        ).json()
        assert info["active"] is True
        assert info["client_id"] == client.client_id


@pytest.mark.authmock(clock_skew=-300)
def test_clock_skew_from_the_marker(idp: FakeIdP) -> None:
    assert idp.clock.skew == -300
    client = idp.add_client(access_token_ttl=600)
    value = idp.issue_token(client)
    claims = jwt.decode(value, KeySet.import_key_set(idp.jwks()), algorithms=["RS256"]).claims
    # The provider is five minutes behind the test: its iat is in the test's past.
    assert abs(claims["iat"] - (time.time() - 300)) < 5


def test_clock_skew_makes_tokens_not_yet_valid_for_a_strict_resource(
    provider: FakeIdP, http: httpx.Client
) -> None:
    api = provider.issuer + "/api/me"
    provider.protect(api, leeway=30)
    value = provider.issue_token()
    provider.clock.skew = -60  # the resource's clock (the provider's) is now a minute behind
    assert "not valid before" in http.get(api, headers=bearer(value)).json()["error_description"]
    provider.clock.skew = -20  # within the leeway
    assert http.get(api, headers=bearer(value)).status_code == 200


def test_each_issuer_has_its_own_keys() -> None:
    a = FakeIdP(issuer="https://a.tenant.test")
    b = FakeIdP(issuer="https://b.tenant.test")
    again = FakeIdP(issuer="https://a.tenant.test")
    assert a.keys.kid != b.keys.kid
    assert a.jwks() != b.jwks()
    assert a.jwks() == again.jwks()  # the same issuer keeps its keys, like a real one
    value = a.issue_token()
    assert not _verifies(value, b.jwks())
    assert "issued by 'https://a.tenant.test'" in str(b.check_bearer(f"Bearer {value}").description)


@pytest.mark.parametrize(
    "variant", ["unauthorized_client", "invalid_grant", "unsupported_grant_type", "invalid_client"]
)
def test_the_error_for_a_disallowed_grant_is_switchable(variant: str) -> None:
    idp = FakeIdP(unauthorized_grant_error=variant)
    client = idp.add_client(grant_types=["client_credentials"])
    with httpx.Client(transport=httpx.MockTransport(idp.handler)) as http:
        response = token(http, idp, client, grant_type="password", username="a", password="b")
    assert response.json()["error"] == variant
    assert response.status_code == (401 if variant == "invalid_client" else 400)
    with pytest.raises(ValueError, match="unauthorized_grant_error must be one of"):
        FakeIdP(unauthorized_grant_error="nope")
