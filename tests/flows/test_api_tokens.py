"""API tokens: the management API (create, list, revoke), expiry, binding, and the test API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_authmock import FakeIdP
from tests.helpers import bearer, login

ADMIN = "api_tokens:admin"


@pytest.fixture
def session(provider: FakeIdP, http: httpx.Client) -> dict[str, Any]:
    """A user session allowed to manage API tokens."""
    client = provider.add_client("cli")
    user = provider.add_user("ada")
    return login(http, provider, client, user, scope=f"read write {ADMIN}")


def tokens_url(idp: FakeIdP) -> str:
    url: str = idp.metadata()["api_tokens_endpoint"]
    return url


def create(http: httpx.Client, idp: FakeIdP, access: str, **body: Any) -> httpx.Response:
    body.setdefault("name", "ci")
    return http.post(tokens_url(idp), json=body, headers=bearer(access))


def test_create_use_list_revoke(
    provider: FakeIdP, http: httpx.Client, session: dict[str, Any], api: str
) -> None:
    admin = session["access_token"]
    created = create(http, provider, admin, name="deploy", scopes=["read"], expires_in=3600)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["token"].startswith("amk_")
    assert created.headers["location"] == f"{tokens_url(provider)}/{body['id']}"
    assert (body["name"], body["scopes"], body["expired"], body["last_used_at"]) == (
        "deploy",
        ["read"],
        False,
        None,
    )
    secret = body["token"]
    assert http.get(api, headers=bearer(secret)).json()["username"] == "ada"
    listed = http.get(tokens_url(provider), headers=bearer(admin)).json()["tokens"]
    assert [t["id"] for t in listed] == [body["id"]]
    assert "token" not in listed[0]
    assert secret not in http.get(tokens_url(provider), headers=bearer(admin)).text
    assert listed[0]["last_used_at"] is not None
    one = http.get(f"{tokens_url(provider)}/{body['id']}", headers=bearer(admin))
    assert one.json()["id"] == body["id"]
    revoked = http.delete(f"{tokens_url(provider)}/{body['id']}", headers=bearer(admin))
    assert revoked.status_code == 204
    refused = http.get(api, headers=bearer(secret))
    assert refused.status_code == 401
    assert "revoked" in refused.headers["www-authenticate"]
    assert http.get(tokens_url(provider), headers=bearer(admin)).json() == {"tokens": []}
    again = http.delete(f"{tokens_url(provider)}/{body['id']}", headers=bearer(admin))
    assert (again.status_code, again.json()["error"]) == (404, "not_found")
    entry = provider.journal.last(endpoint="api_tokens", method="DELETE", status_code=204)
    assert entry.username == "ada"


def test_expiry(provider: FakeIdP, http: httpx.Client, session: dict[str, Any], api: str) -> None:
    provider.clock.advance(0)
    body = create(http, provider, session["access_token"], expires_in=600).json()
    provider.clock.advance(601)
    assert http.get(api, headers=bearer(body["token"])).status_code == 401
    introspected = http.post(
        provider.url_for("introspection"),
        data={"token": body["token"]},
        auth=_client_auth(provider),
    )
    assert introspected.json() == {"active": False}


def test_never_expires_and_outlives_the_session(
    provider: FakeIdP, http: httpx.Client, session: dict[str, Any], api: str
) -> None:
    body = create(http, provider, session["access_token"], scopes=["read"]).json()
    assert body["expires_at"] is None
    provider.revoke_token(session["refresh_token"])  # logout ends the session...
    provider.clock.advance(10 * 365 * 24 * 3600)
    assert http.get(api, headers=bearer(body["token"])).status_code == 200  # ...not the token
    introspected = http.post(
        provider.url_for("introspection"),
        data={"token": body["token"]},
        auth=_client_auth(provider),
    ).json()
    assert introspected["active"] is True
    assert "exp" not in introspected
    assert introspected["username"] == "ada"


def _client_auth(idp: FakeIdP) -> tuple[str, str]:
    client = idp.clients["cli"]
    assert client.client_secret is not None
    return client.client_id, client.client_secret


def test_default_scopes_leave_out_the_admin_scope(
    provider: FakeIdP, http: httpx.Client, session: dict[str, Any]
) -> None:
    body = create(http, provider, session["access_token"]).json()
    assert body["scopes"] == ["read", "write"]


def test_no_escalation(provider: FakeIdP, http: httpx.Client, session: dict[str, Any]) -> None:
    response = create(http, provider, session["access_token"], scopes=["read", "delete"])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert "cannot grant scope 'delete'" in response.json()["error_description"]


def test_admin_scope_is_required(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client("cli")
    plain = login(http, provider, client, provider.add_user(), scope="read")["access_token"]
    response = http.get(tokens_url(provider), headers=bearer(plain))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    anonymous = http.get(tokens_url(provider))
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == f'Bearer realm="{provider.issuer}"'
    assert provider.journal.last(endpoint="api_tokens").error is None


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"{", "application/json", "not valid JSON"),
        (b"[]", "application/json", "must be a JSON object"),
        (b"name=ci", "application/x-www-form-urlencoded", "application/json object"),
        (b'{"name": "ci", "colour": "red"}', "application/json", "unknown field 'colour'"),
        (b"{}", "application/json", "the name field is missing"),
        (b'{"name": ""}', "application/json", "non-empty string"),
        (b'{"name": "ci", "expires_in": 0}', "application/json", "positive whole number"),
        (b'{"name": "ci", "expires_in": true}', "application/json", "positive whole number"),
        (b'{"name": "ci", "scopes": "read"}', "application/json", "list of scope names"),
        (b'{"name": "ci", "scopes": ["a b"]}', "application/json", "single RFC 6749"),
        (b'{"name": "ci", "bind_to_session": "yes"}', "application/json", "true or false"),
    ],
)
def test_bad_requests(
    provider: FakeIdP,
    http: httpx.Client,
    session: dict[str, Any],
    body: bytes,
    content_type: str,
    message: str,
) -> None:
    response = http.post(
        tokens_url(provider),
        content=body,
        headers={**bearer(session["access_token"]), "Content-Type": content_type},
    )
    assert response.status_code == 400
    assert message in response.json()["error_description"]


def test_methods(provider: FakeIdP, http: httpx.Client, session: dict[str, Any]) -> None:
    admin = bearer(session["access_token"])
    assert http.put(tokens_url(provider), headers=admin).headers["allow"] == "GET, POST"
    assert (
        http.post(tokens_url(provider) + "/tok_1", headers=admin).headers["allow"] == "GET, DELETE"
    )
    assert http.get(tokens_url(provider) + "/a/b", headers=admin).status_code == 404


def test_tokens_are_private_to_their_owner(
    provider: FakeIdP, http: httpx.Client, session: dict[str, Any]
) -> None:
    mine = create(http, provider, session["access_token"]).json()
    bob = provider.add_user("bob")
    other = login(http, provider, provider.clients["cli"], bob, scope=ADMIN)["access_token"]
    assert http.get(tokens_url(provider), headers=bearer(other)).json() == {"tokens": []}
    url = f"{tokens_url(provider)}/{mine['id']}"
    assert http.get(url, headers=bearer(other)).status_code == 404
    assert http.delete(url, headers=bearer(other)).status_code == 404
    assert [t.id for t in provider.api_tokens("ada")] == [mine["id"]]


def test_bound_token_is_revoked_only_from_its_session(
    provider: FakeIdP, http: httpx.Client, session: dict[str, Any]
) -> None:
    body = create(http, provider, session["access_token"], bind_to_session=True).json()
    assert body["bound_to_session"] is True
    other_device = login(
        http, provider, provider.clients["cli"], provider.users["ada"], scope=ADMIN
    )
    url = f"{tokens_url(provider)}/{body['id']}"
    refused = http.delete(url, headers=bearer(other_device["access_token"]))
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "access_denied",
        "error_description": f"API token {body['id']!r} is bound to the session (device) that "
        "created it; revoke it from that device",
    }
    # The same device after a refresh is still the same session.
    client = provider.clients["cli"]
    assert client.client_secret is not None
    refreshed = http.post(
        provider.url_for("token"),
        data={"grant_type": "refresh_token", "refresh_token": session["refresh_token"]},
        auth=(client.client_id, client.client_secret),
    ).json()
    assert http.delete(url, headers=bearer(refreshed["access_token"])).status_code == 204


def test_binding_needs_a_session(provider: FakeIdP, http: httpx.Client) -> None:
    service = provider.issue_token(scopes=[ADMIN])
    response = create(http, provider, service, bind_to_session=True)
    assert "needs a user session token" in response.json()["error_description"]
    created = create(http, provider, service)  # a service account's own token is fine
    assert created.status_code == 201
    assert created.json()["username"] is None


def test_openapi_document(provider: FakeIdP, http: httpx.Client) -> None:
    doc = http.get(provider.metadata()["api_tokens_openapi_uri"]).json()
    assert doc["openapi"] == "3.1.0"
    assert doc["servers"] == [{"url": provider.issuer}]
    assert set(doc["paths"]) == {"/api/tokens", "/api/tokens/{id}"}
    assert set(doc["paths"]["/api/tokens/{id}"]) == {"parameters", "get", "delete"}


def test_test_api(provider: FakeIdP, http: httpx.Client, api: str) -> None:
    ada = provider.add_user("ada")
    token = provider.create_api_token(ada, name="laptop", scopes=["read"], expires_in=60)
    assert token.token not in repr(token)
    assert http.get(api, headers=bearer(token.token)).status_code == 200
    assert token.last_used_at is not None
    assert provider.api_tokens() == [token]
    provider.revoke_api_token(token)
    assert token.revoked
    assert http.get(api, headers=bearer(token.token)).status_code == 401
    with pytest.raises(LookupError, match="no live API token"):
        provider.revoke_api_token(token.id)
    service = provider.add_client("robot")
    robot = provider.create_api_token(client=service, scopes=["read"])
    assert http.get(api, headers=bearer(robot.token)).json()["client_id"] == "robot"
    with pytest.raises(TypeError, match="needs a user, a client"):
        provider.create_api_token()
    with pytest.raises(ValueError, match="positive whole number"):
        provider.create_api_token(ada, expires_in=-1)
    with pytest.raises(TypeError, match="not the string"):
        provider.create_api_token(ada, scopes="read")
    with pytest.raises(ValueError, match="from a user login"):
        provider.create_api_token(ada, session="nope")


def test_revoked_at_the_revocation_endpoint(
    provider: FakeIdP, http: httpx.Client, session: dict[str, Any], api: str
) -> None:
    body = create(http, provider, session["access_token"]).json()
    response = http.post(
        provider.url_for("revocation"), data={"token": body["token"]}, auth=_client_auth(provider)
    )
    assert response.status_code == 200
    assert http.get(api, headers=bearer(body["token"])).status_code == 401
    assert http.get(tokens_url(provider), headers=bearer(session["access_token"])).json() == {
        "tokens": []
    }
    assert provider.api_tokens() == []
