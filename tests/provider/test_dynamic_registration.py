"""Dynamic client registration (RFC 7591) and management (RFC 7592), over both transports."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_authmock import FakeIdP
from tests.flows.helpers import VERIFIER, challenge
from tests.helpers import bearer

CLI = {
    "client_name": "Acme CLI",
    "redirect_uris": ["http://127.0.0.1/callback"],
    "token_endpoint_auth_method": "none",
    "grant_types": ["authorization_code", "refresh_token"],
}


def register(http: httpx.Client, idp: FakeIdP, document: Any, **kwargs: Any) -> httpx.Response:
    return http.post(idp.metadata()["registration_endpoint"], json=document, **kwargs)


def registered(http: httpx.Client, idp: FakeIdP, document: Any) -> dict[str, Any]:
    response = register(http, idp, document)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def refused(response: httpx.Response, error: str, status: int = 400) -> str:
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == error, body
    return str(body["error_description"])


def test_the_metadata_names_the_endpoint(provider: FakeIdP) -> None:
    assert provider.metadata()["registration_endpoint"] == provider.issuer + "/oauth2/register"


def test_a_public_cli_registers_and_signs_in(provider: FakeIdP, http: httpx.Client) -> None:
    response = register(http, provider, CLI)
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    client_id = body["client_id"]
    assert body["registration_client_uri"] == f"{provider.issuer}/oauth2/register/{client_id}"
    assert response.headers["location"] == body["registration_client_uri"]
    assert body["registration_access_token"]
    assert "client_secret" not in body
    assert isinstance(body["client_id_issued_at"], int)
    assert body["client_name"] == "Acme CLI"
    assert body["response_types"] == ["code"]
    client = provider.clients[client_id]
    assert client.public
    assert client.redirect_uris == ("http://127.0.0.1/callback",)
    provider.journal.assert_count(1, endpoint="registration", client_id=client_id)
    provider.auto_approve = provider.add_user()
    redirect = "http://127.0.0.1:5000/callback"
    authorized = http.get(
        provider.url_for("authorization"),
        params={
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect,
            "code_challenge": challenge(),
            "code_challenge_method": "S256",
        },
    )
    code = httpx.URL(authorized.headers["location"]).params["code"]
    tokens = http.post(
        provider.url_for("token"),
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": code,
            "redirect_uri": redirect,
            "code_verifier": VERIFIER,
        },
    ).json()
    assert tokens["refresh_token"]  # it registered the refresh_token grant


def test_defaults_of_a_confidential_client(provider: FakeIdP, http: httpx.Client) -> None:
    body = registered(http, provider, {"redirect_uris": ["https://app.example/cb"]})
    assert body["token_endpoint_auth_method"] == "client_secret_basic"  # RFC 7591 §2
    assert body["grant_types"] == ["authorization_code"]
    assert body["client_secret_expires_at"] == 0
    secret = body["client_secret"]
    assert provider.clients[body["client_id"]].client_secret == secret
    # Only the grants it registered: no client credentials.
    answer = http.post(
        provider.url_for("token"),
        data={"grant_type": "client_credentials"},
        auth=(body["client_id"], secret),
    )
    assert refused(answer, "unauthorized_client")


def test_a_service_client_gets_tokens_for_its_scopes(provider: FakeIdP, http: httpx.Client) -> None:
    body = registered(
        http, provider, {"grant_types": ["client_credentials"], "scope": "reports:read"}
    )
    assert body["scope"] == "reports:read"
    assert body["response_types"] == []
    auth = (body["client_id"], body["client_secret"])
    ok = http.post(provider.url_for("token"), data={"grant_type": "client_credentials"}, auth=auth)
    assert ok.json()["scope"] == "reports:read"
    wider = http.post(
        provider.url_for("token"),
        data={"grant_type": "client_credentials", "scope": "reports:write"},
        auth=auth,
    )
    assert refused(wider, "invalid_scope")


def test_unknown_fields_are_ignored(provider: FakeIdP, http: httpx.Client) -> None:
    body = registered(http, provider, {**CLI, "x_vendor_flag": True, "logo_uri": "https://a/l.png"})
    assert "x_vendor_flag" not in body
    assert body["logo_uri"] == "https://a/l.png"


@pytest.mark.parametrize(
    ("document", "error", "words"),
    [
        ({"redirect_uris": ["https://app.example/cb#frag"]}, "invalid_redirect_uri", "fragment"),
        ({"redirect_uris": ["/relative"]}, "invalid_redirect_uri", "absolute"),
        ({"redirect_uris": "https://app.example/cb"}, "invalid_redirect_uri", "array"),
        ({"client_name": "no redirect"}, "invalid_redirect_uri", "required"),
        ({"grant_types": ["implicit"]}, "invalid_client_metadata", "'implicit' not supported"),
        (
            {"grant_types": ["client_credentials"], "response_types": ["code"]},
            "invalid_client_metadata",
            "disagree",
        ),
        ({**CLI, "response_types": ["token"]}, "invalid_client_metadata", "only 'code'"),
        ({**CLI, "token_endpoint_auth_method": "magic"}, "invalid_client_metadata", "'magic'"),
        ({**CLI, "client_name": 7}, "invalid_client_metadata", "client_name"),
        ({**CLI, "scope": "bad\\scope"}, "invalid_client_metadata", "scope"),
        (
            {"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"},
            "invalid_client_metadata",
            "client_credentials",
        ),
        ({**CLI, "software_statement": "eyJ..."}, "unapproved_software_statement", "software"),
        ([1, 2], "invalid_client_metadata", "JSON object"),
    ],
)
def test_bad_metadata(
    provider: FakeIdP, http: httpx.Client, document: Any, error: str, words: str
) -> None:
    assert words in refused(register(http, provider, document), error)
    assert not provider.clients  # nothing was registered


def test_a_body_that_is_not_json(provider: FakeIdP, http: httpx.Client) -> None:
    url = provider.metadata()["registration_endpoint"]
    as_form = http.post(url, data={"redirect_uris": "x"})
    assert "application/json" in refused(as_form, "invalid_client_metadata")
    broken = http.post(url, content=b"{", headers={"Content-Type": "application/json"})
    assert "not valid JSON" in refused(broken, "invalid_client_metadata")
    deep = http.post(url, content=b"[" * 20000, headers={"Content-Type": "application/json"})
    assert refused(deep, "invalid_client_metadata")


def test_an_initial_access_token(provider: FakeIdP, http: httpx.Client) -> None:
    provider.protocol_settings.initial_access_token = "let-me-in"
    bare = register(http, provider, CLI)
    assert bare.status_code == 401
    assert bare.headers["www-authenticate"] == f'Bearer realm="{provider.issuer}"'
    wrong = register(http, provider, CLI, headers=bearer("guess"))
    assert refused(wrong, "invalid_token", 401)
    assert 'error="invalid_token"' in wrong.headers["www-authenticate"]
    ok = register(http, provider, CLI, headers=bearer("let-me-in"))
    assert ok.status_code == 201


def test_switched_off(provider: FakeIdP, http: httpx.Client) -> None:
    url = provider.metadata()["registration_endpoint"]
    provider.protocol_settings.dynamic_registration = False
    assert "registration_endpoint" not in provider.metadata()
    assert refused(http.post(url, json=CLI), "not_found", 404)


# -- RFC 7592: reading, replacing and deleting a registration -------------------------


def test_read_update_delete(provider: FakeIdP, http: httpx.Client) -> None:
    body = registered(http, provider, {**CLI, "token_endpoint_auth_method": "client_secret_post"})
    uri, token = body["registration_client_uri"], body["registration_access_token"]
    read = http.get(uri, headers=bearer(token))
    assert read.status_code == 200
    assert read.json() == {k: v for k, v in body.items() if k != "registration_access_token"}
    assert http.get(uri).status_code == 401
    assert refused(http.get(uri, headers=bearer("guess")), "invalid_token", 401)

    replacement = {
        "client_id": body["client_id"],
        "client_secret": body["client_secret"],
        "redirect_uris": ["http://127.0.0.1/other"],
        "token_endpoint_auth_method": "client_secret_post",
        "grant_types": ["authorization_code"],
    }
    updated = http.put(uri, json=replacement, headers=bearer(token))
    assert updated.status_code == 200, updated.text
    assert updated.json()["redirect_uris"] == ["http://127.0.0.1/other"]
    assert "client_name" not in updated.json()  # omitted fields are removed (RFC 7592 §2.2)
    assert updated.json()["client_secret"] == body["client_secret"]  # the secret is kept
    assert provider.clients[body["client_id"]].redirect_uris == ("http://127.0.0.1/other",)

    other = {**replacement, "client_id": "someone-else"}
    assert "client_id" in refused(
        http.put(uri, json=other, headers=bearer(token)), "invalid_client_metadata"
    )
    guessed = {**replacement, "client_secret": "my-choice"}
    assert "secret" in refused(
        http.put(uri, json=guessed, headers=bearer(token)), "invalid_client_metadata"
    )

    deleted = http.delete(uri, headers=bearer(token))
    assert deleted.status_code == 204
    assert body["client_id"] not in provider.clients
    assert refused(http.get(uri, headers=bearer(token)), "invalid_token", 401)


def test_a_deleted_client_loses_its_tokens(provider: FakeIdP, http: httpx.Client) -> None:
    body = registered(http, provider, {"grant_types": ["client_credentials"]})
    auth = (body["client_id"], body["client_secret"])
    token = http.post(
        provider.url_for("token"), data={"grant_type": "client_credentials"}, auth=auth
    ).json()["access_token"]
    api = provider.issuer + "/api/things"
    provider.protect(api)
    assert http.get(api, headers=bearer(token)).status_code == 200
    http.delete(body["registration_client_uri"], headers=bearer(body["registration_access_token"]))
    assert http.get(api, headers=bearer(token)).status_code == 401
    again = http.post(
        provider.url_for("token"), data={"grant_type": "client_credentials"}, auth=auth
    )
    assert refused(again, "invalid_client", 401)


def test_a_client_added_by_the_test_has_no_registration(
    provider: FakeIdP, http: httpx.Client
) -> None:
    client = provider.add_client()
    answer = http.get(provider.issuer + f"/oauth2/register/{client.client_id}", headers=bearer("x"))
    assert refused(answer, "invalid_token", 401)


def test_management_methods(provider: FakeIdP, http: httpx.Client) -> None:
    body = registered(http, provider, CLI)
    answer = http.post(body["registration_client_uri"], json=CLI)
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, PUT, DELETE"
    assert http.get(provider.metadata()["registration_endpoint"]).status_code == 405
