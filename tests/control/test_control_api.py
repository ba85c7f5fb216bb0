"""Each control route over a real socket: what it answers, and that the provider follows."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.control.conftest import DEMO_CLIENT, DEMO_USER, ControlServer

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _claims(jwt: str) -> dict[str, Any]:
    payload = jwt.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def _header(jwt: str) -> dict[str, Any]:
    part = jwt.split(".")[0]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


# -- users ------------------------------------------------------------------------------


def test_add_a_user_then_sign_in_with_it(control: ControlServer) -> None:
    created = control.call("POST", "/users", {"username": "alice", "claims": {"tier": "gold"}})
    assert created.status_code == 201
    body = created.json()
    assert body["username"] == "alice"
    assert body["sub"]
    assert body["password"]
    assert created.headers["location"] == "/_authmock/users/alice"
    token = control.token(
        {"grant_type": "password", "username": "alice", "password": body["password"]}
    )
    assert token.status_code == 200, token.text
    assert _claims(token.json()["access_token"])["tier"] == "gold"
    listed = control.call("GET", "/users").json()["users"]
    assert [u["username"] for u in listed] == [DEMO_USER[0], "alice"]
    assert body["password"] not in json.dumps(listed)


def test_a_user_with_nothing_given_is_generated(control: ControlServer) -> None:
    body = control.call("POST", "/users", {}).json()
    assert body["username"] in control.idp.users
    assert control.idp.users[body["username"]].password == body["password"]


def test_a_duplicate_user_is_a_conflict(control: ControlServer) -> None:
    answer = control.call("POST", "/users", {"username": DEMO_USER[0]})
    assert answer.status_code == 409
    assert answer.json() == {
        "error": "conflict",
        "error_description": f"username: user {DEMO_USER[0]!r} already exists",
    }


def test_disable_and_enable_a_user(control: ControlServer) -> None:
    form = {"grant_type": "password", "username": DEMO_USER[0], "password": DEMO_USER[1]}
    disabled = control.call("PATCH", "/users/demo", {"disabled": True})
    assert disabled.json()["disabled"] is True
    assert control.token(form).json()["error"] == "invalid_grant"
    control.call("PATCH", "/users/demo", {"disabled": False})
    assert control.token(form).status_code == 200
    assert control.call("PATCH", "/users/nobody", {"disabled": True}).status_code == 404


# -- clients ----------------------------------------------------------------------------


def test_add_a_client_with_claims_grants_scopes_and_ttls(control: ControlServer) -> None:
    created = control.call(
        "POST",
        "/clients",
        {
            "client_id": "ci-bot",
            "client_secret": "ci-bot-secret",
            "grant_types": ["client_credentials"],
            "scopes": ["deploy", "read"],
            "claims": {"tenant": "acme"},
            "access_token_ttl": 120,
        },
    )
    assert created.status_code == 201
    assert created.json() == {"client_id": "ci-bot", "client_secret": "ci-bot-secret"}
    bot = ("ci-bot", "ci-bot-secret")
    token = control.token({"grant_type": "client_credentials", "scope": "deploy"}, auth=bot)
    assert token.json()["expires_in"] == 120
    assert _claims(token.json()["access_token"])["tenant"] == "acme"
    refused = control.token({"grant_type": "client_credentials", "scope": "admin"}, auth=bot)
    assert refused.json()["error"] == "invalid_scope"
    password = control.token(
        {"grant_type": "password", "username": DEMO_USER[0], "password": DEMO_USER[1]}, auth=bot
    )
    assert password.json()["error"] == "unauthorized_client"


def test_a_client_whose_tokens_never_expire(control: ControlServer) -> None:
    control.call(
        "POST",
        "/clients",
        {"client_id": "forever", "client_secret": "s" * 12, "access_token_ttl": None},
    )
    token = control.token({"grant_type": "client_credentials"}, auth=("forever", "s" * 12))
    assert "expires_in" not in token.json()
    assert "exp" not in _claims(token.json()["access_token"])


def test_a_generated_client_secret_is_returned(control: ControlServer) -> None:
    body = control.call("POST", "/clients", {}).json()
    token = control.token(
        {"grant_type": "client_credentials"}, auth=(body["client_id"], body["client_secret"])
    )
    assert token.status_code == 200


def test_a_public_client_with_a_loopback_redirect_uri_on_any_port(control: ControlServer) -> None:
    created = control.call(
        "POST",
        "/clients",
        {"client_id": "native", "public": True, "redirect_uris": ["http://127.0.0.1/cb"]},
    )
    assert created.json() == {"client_id": "native", "client_secret": None}
    control.call("PATCH", "/settings", {"auto_approve": DEMO_USER[0]})
    verifier = secrets.token_urlsafe(40)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    redirect = "http://127.0.0.1:51234/cb"  # RFC 8252 §7.3: any port
    answer = control.http.get(
        "/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": "native",
            "redirect_uri": redirect,
            "code_challenge": challenge.decode(),
            "code_challenge_method": "S256",
            "state": "xyz",
        },
    )
    assert answer.status_code in (302, 303), answer.text
    location = answer.headers["location"]
    assert location.startswith(redirect)
    code = parse_qs(urlsplit(location).query)["code"][0]
    token = control.http.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
            "client_id": "native",
            "code_verifier": verifier,
        },
    )
    assert token.status_code == 200, token.text
    assert _claims(token.json()["access_token"])["sub"] == control.idp.users["demo"].sub


def test_disable_a_client(control: ControlServer) -> None:
    assert control.call("PATCH", "/clients/demo-client", {"disabled": True}).status_code == 200
    assert control.token({"grant_type": "client_credentials"}).json()["error"] == "invalid_client"
    assert control.call("PATCH", "/clients/nobody", {"disabled": True}).status_code == 404


def test_list_clients_shows_no_secret(control: ControlServer) -> None:
    clients = control.call("GET", "/clients").json()["clients"]
    assert [c["client_id"] for c in clients] == ["demo-client", "demo-cli"]
    assert DEMO_CLIENT[1] not in json.dumps(clients)
    assert clients[1]["public"] is True
    assert clients[1]["redirect_uris"] == ["http://127.0.0.1/callback"]


def test_provider_messages_become_400s_naming_the_argument(control: ControlServer) -> None:
    answer = control.call(
        "POST", "/clients", {"client_id": "x", "public": True, "client_secret": "s"}
    )
    assert answer.status_code == 400
    assert "public, so it cannot have a client_secret" in answer.json()["error_description"]
    answer = control.call("POST", "/clients", {"grant_types": ["implicit"]})
    assert answer.json()["error_description"].startswith("grant_types[0] must be one of")


# -- tokens -----------------------------------------------------------------------------


def test_issue_then_revoke_a_token(control: ControlServer) -> None:
    issued = control.call(
        "POST", "/tokens", {"client_id": "demo-client", "username": "demo", "scopes": ["read"]}
    )
    assert issued.status_code == 201
    token = issued.json()["access_token"]
    assert _claims(token)["scope"] == "read"
    bearer = {"Authorization": f"Bearer {token}"}
    assert control.http.get("/api/me", headers=bearer).json()["username"] == "demo"
    assert control.call("POST", "/tokens/revoke", {"token": token}).json() == {"revoked": True}
    assert control.http.get("/api/me", headers=bearer).status_code == 401
    unknown = control.call("POST", "/tokens/revoke", {"token": "never-issued"})
    assert unknown.status_code == 404


def test_issue_a_token_for_unknown_things(control: ControlServer) -> None:
    assert control.call("POST", "/tokens", {"client_id": "nobody"}).status_code == 404
    answer = control.call("POST", "/tokens", {"client_id": "demo-client", "username": "nobody"})
    assert answer.json()["error_description"] == "username: no user 'nobody'"
    assert control.call("POST", "/tokens", {}).json()["error_description"] == "client_id is missing"


# -- clock ------------------------------------------------------------------------------


def test_advancing_the_clock_expires_tokens(control: ControlServer) -> None:
    token = control.token({"grant_type": "client_credentials"}).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    before = control.call("GET", "/clock").json()["now"]
    moved = control.call("POST", "/clock", {"advance": 3601}).json()
    assert moved["now"] >= before + 3601
    assert control.http.get("/api/me", headers=bearer).status_code == 401


def test_skew(control: ControlServer) -> None:
    assert control.call("POST", "/clock", {"skew": -30}).json()["skew"] == -30
    assert control.idp.clock.skew == -30
    assert (
        control.call("POST", "/clock", {}).json()["error_description"]
        == "send advance or skew (seconds)"
    )


# -- device decisions -------------------------------------------------------------------


def _device_start(control: ControlServer, scope: str = "openid") -> dict[str, Any]:
    answer = control.http.post(
        "/oauth2/device_authorization", data={"client_id": "demo-cli", "scope": scope}
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _device_poll(control: ControlServer, device_code: str) -> dict[str, Any]:
    answer = control.http.post(
        "/oauth2/token",
        data={"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": "demo-cli"},
    )
    body: dict[str, Any] = answer.json()
    return body


def test_approve_a_pending_device_code_as_a_user(control: ControlServer) -> None:
    started = _device_start(control, "openid profile")
    pending = control.call("GET", "/device").json()["pending"]
    assert [(p["user_code"], p["client_id"], p["scope"]) for p in pending] == [
        (started["user_code"], "demo-cli", "openid profile")
    ]
    assert 0 < pending[0]["expires_in"] <= 300
    assert _device_poll(control, started["device_code"])["error"] == "authorization_pending"
    # What a person types: lower case, no dash.
    typed = started["user_code"].replace("-", "").lower()
    decided = control.call("POST", f"/device/{typed}", {"decision": "approve", "username": "demo"})
    assert decided.json() == {"user_code": started["user_code"], "status": "approved"}
    control.call("POST", "/clock", {"advance": 10})  # past the polling interval
    token = _device_poll(control, started["device_code"])
    assert _claims(token["access_token"])["sub"] == control.idp.users["demo"].sub
    assert control.call("GET", "/device").json()["pending"] == []


def test_deny_a_device_code(control: ControlServer) -> None:
    started = _device_start(control)
    assert (
        control.call("POST", f"/device/{started['user_code']}", {"decision": "deny"}).status_code
        == 200
    )
    assert _device_poll(control, started["device_code"])["error"] == "access_denied"
    again = control.call("POST", f"/device/{started['user_code']}", {"decision": "deny"})
    assert (again.status_code, again.json()["error"]) == (409, "conflict")
    assert "already denied" in again.json()["error_description"]


def test_device_decision_errors(control: ControlServer) -> None:
    code = _device_start(control)["user_code"]
    no_user = control.call("POST", f"/device/{code}", {"decision": "approve"})
    assert no_user.status_code == 400
    assert no_user.json()["error_description"].startswith("username is missing")
    unknown_user = control.call("POST", f"/device/{code}", {"decision": "approve", "username": "x"})
    assert unknown_user.json()["error_description"] == "username: no user 'x'"
    assert control.call("POST", "/device/BBBB-BBBB", {"decision": "deny"}).status_code == 404
    bad = control.call("POST", f"/device/{code}", {"decision": "maybe"})
    assert bad.json()["error_description"] == "decision must be one of approve, deny; got 'maybe'"
    control.call("POST", "/clock", {"advance": 301})
    expired = control.call("POST", f"/device/{code}", {"decision": "deny"})
    assert expired.status_code == 409
    assert "expired" in expired.json()["error_description"]


# -- settings ---------------------------------------------------------------------------


def test_device_settings_apply_to_new_codes(control: ControlServer) -> None:
    changed = control.call("PATCH", "/settings", {"device_interval": 1, "device_code_ttl": 60})
    assert changed.json()["device_interval"] == 1
    started = _device_start(control)
    assert (started["interval"], started["expires_in"]) == (1, 60)


def test_auto_approve_as_a_user(control: ControlServer) -> None:
    control.call("PATCH", "/settings", {"auto_approve": "demo"})
    started = _device_start(control)
    assert "access_token" in _device_poll(control, started["device_code"])
    unknown = control.call("PATCH", "/settings", {"auto_approve": "nobody"})
    assert unknown.json()["error_description"] == "auto_approve: no user 'nobody'"
    assert control.call("PATCH", "/settings", {"auto_approve": None}).json()["auto_approve"] is None


# -- faults -----------------------------------------------------------------------------


def test_a_fault_from_a_toml_table(control: ControlServer) -> None:
    planned = control.call(
        "POST", "/faults", {"kind": "fail", "status": 503, "endpoint": "token", "times": 2}
    )
    assert planned.status_code == 201
    assert planned.json() == {
        "call": "fail(503, endpoint='token', times=2)",
        "fired": 0,
        "exhausted": False,
    }
    statuses = [control.token({"grant_type": "client_credentials"}).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert control.call("GET", "/faults").json()["faults"][0]["fired"] == 2


def test_rate_limit_always_then_clear(control: ControlServer) -> None:
    control.call(
        "POST",
        "/faults",
        {"kind": "rate_limit", "retry_after": 7, "endpoint": "token", "times": "always"},
    )
    for _ in range(2):
        answer = control.token({"grant_type": "client_credentials"})
        assert (answer.status_code, answer.headers["retry-after"]) == (429, "7")
    assert control.call("DELETE", "/faults").status_code == 204
    assert control.token({"grant_type": "client_credentials"}).status_code == 200


@pytest.mark.parametrize(
    "table",
    [
        {"kind": "malformed_json", "endpoint": "discovery"},
        {"kind": "truncated_json", "endpoint": "discovery"},
        {"kind": "wrong_content_type", "content_type": "text/plain", "endpoint": "discovery"},
        {"kind": "delay", "seconds": 0.05, "endpoint": "discovery"},
    ],
)
def test_body_and_delay_faults(control: ControlServer, table: dict[str, Any]) -> None:
    assert control.call("POST", "/faults", table).status_code == 201
    answer = control.http.get("/.well-known/openid-configuration")
    assert answer.status_code == 200
    if table["kind"] == "delay":
        assert answer.json()["issuer"] == control.url
    elif table["kind"] == "wrong_content_type":
        assert answer.headers["content-type"] == "text/plain"
    else:
        with pytest.raises(json.JSONDecodeError):
            json.loads(answer.text)


def test_a_fault_keyword_of_another_kind_is_named(control: ControlServer) -> None:
    answer = control.call("POST", "/faults", {"kind": "disconnect", "status": 500})
    assert answer.json()["error_description"] == (
        "status does not apply to kind 'disconnect'; it takes endpoint, times, fraction, grant_type"
    )
    assert (
        control.call("POST", "/faults", {"kind": "fail", "endpoint": "nowhere"})
        .json()["error_description"]
        .startswith("unknown endpoint 'nowhere' for a fault")
    )


# -- keys -------------------------------------------------------------------------------


def test_rotate_keys_with_grace(control: ControlServer) -> None:
    old = control.token({"grant_type": "client_credentials"}).json()["access_token"]
    rotated = control.call("POST", "/keys/rotate", {"grace": 60, "kid": "next-key"}).json()
    assert rotated == {"kid": "next-key", "published": ["next-key", _header(old)["kid"]]}
    new = control.token({"grant_type": "client_credentials"}).json()["access_token"]
    assert _header(new)["kid"] == "next-key"
    control.call("POST", "/clock", {"advance": 61})
    kids = [key["kid"] for key in control.http.get("/.well-known/jwks.json").json()["keys"]]
    assert kids == ["next-key"]


def test_rotate_keys_without_a_body(control: ControlServer) -> None:
    answer = control.call("POST", "/keys/rotate")
    assert answer.status_code == 200
    assert len(answer.json()["published"]) == 2


# -- journal and expectations -----------------------------------------------------------


def test_read_filter_and_clear_the_journal(control: ControlServer) -> None:
    control.token({"grant_type": "client_credentials"})
    control.token({"grant_type": "password", "username": "demo", "password": "wrong"})
    control.http.get("/.well-known/openid-configuration")
    entries = control.call("GET", "/journal").json()["entries"]
    assert [(e["endpoint"], e["status"], e["error"]) for e in entries] == [
        ("token", 200, None),
        ("token", 400, "invalid_grant"),
        ("discovery", 200, None),
    ]
    assert entries[1]["grant_type"] == "password"
    assert entries[1]["username"] == "demo"
    assert entries[0]["client_id"] == "demo-client"
    failed = control.call("GET", "/journal", params={"endpoint": "token", "status": "400"}).json()
    assert [e["error"] for e in failed["entries"]] == ["invalid_grant"]
    bad = control.call("GET", "/journal", params={"colour": "red"})
    assert bad.json()["error_description"].startswith("unknown field 'colour'")
    assert control.call("DELETE", "/journal").status_code == 204
    assert control.call("GET", "/journal").json()["entries"] == []


def test_expectations_and_check(control: ControlServer) -> None:
    assert control.call("GET", "/check").json() == {"ok": True, "problems": []}
    added = control.call(
        "POST", "/expectations", {"count": 1, "endpoint": "token", "client_id": "demo-client"}
    )
    assert added.status_code == 201
    problems = control.call("GET", "/check").json()
    assert problems["ok"] is False
    assert problems["problems"] == [
        "expected exactly 1 request(s) matching endpoint='token', client_id='demo-client', got 0"
    ]
    control.token({"grant_type": "client_credentials"})
    assert control.call("GET", "/check").json()["ok"] is True
    both = control.call("POST", "/expectations", {"count": 1, "at_least": 1})
    assert both.json()["error_description"] == "give exactly one of count or at_least"


# -- reset ------------------------------------------------------------------------------


def test_reset_brings_back_the_start_up_state(control: ControlServer) -> None:
    control.call("POST", "/users", {"username": "alice"})
    control.call("PATCH", "/users/demo", {"disabled": True})
    control.call("POST", "/faults", {"kind": "fail", "times": "always"})
    control.call("POST", "/keys/rotate", {})
    control.call("PATCH", "/settings", {"device_interval": 0})
    control.call("POST", "/clock", {"advance": 1000, "skew": 5})
    first_kid = control.idp.jwks()["keys"][-1]["kid"]

    assert control.call("POST", "/reset").status_code == 204

    assert list(control.idp.users) == ["demo"]
    assert list(control.idp.clients) == ["demo-client", "demo-cli"]
    assert [k["kid"] for k in control.idp.jwks()["keys"]] == [first_kid]
    assert control.idp.flow_settings.device_interval == 5
    assert control.idp.clock.skew == 0
    assert control.call("GET", "/faults").json() == {"faults": []}
    assert control.idp.internals.faults.problems() == []  # nothing planned any more
    login = control.token(
        {"grant_type": "password", "username": "demo", "password": "demo-password"}
    )
    assert login.status_code == 200
    assert [e.endpoint for e in control.idp.journal] == ["token"]


# -- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "description"),
    [
        (b"", "the request body is empty; send a JSON object"),
        (b"[1, 2]", "the request body must be a JSON object, not an array"),
        (b"{nope", "the request body is not valid JSON: Expecting property name"),
        (b'{"advance": NaN}', "the request body is not valid JSON: NaN is not a JSON number"),
        (b"\xff\xfe", "the request body is not valid JSON:"),
        (b"[" * 100_000, "the request body is"),
        (b'{"advance": 1e999}', "advance must be between"),
        (b'{"advance": true}', "advance must be a number; got a boolean"),
        (b'{"advance": "10"}', "advance must be a number; got a string"),
        (b'{"advance": 1, "speed": 2}', "unknown field 'speed'; known fields: advance, skew"),
    ],
)
def test_bad_bodies_get_a_400_naming_the_problem(
    control: ControlServer, content: bytes, description: str
) -> None:
    answer = control.call("POST", "/clock", content=content)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"
    assert answer.json()["error_description"].startswith(description)


def test_a_lone_surrogate_is_refused(control: ControlServer) -> None:
    answer = control.call("POST", "/users", content=b'{"username": "a\\ud800"}')
    assert answer.json()["error_description"] == (
        "username must be valid Unicode text (it has a lone surrogate)"
    )


def test_nested_fields_are_named(control: ControlServer) -> None:
    answer = control.call("POST", "/clients", {"redirect_uris": ["http://a/cb", 5]})
    assert answer.json()["error_description"] == "redirect_uris[1] must be a string; got a number"
    answer = control.call("POST", "/faults", {"kind": "fail", "headers": {"X-A": 1}})
    assert answer.json()["error_description"] == "headers['X-A'] must be a string; got a number"
    answer = control.call("POST", "/clients", {"access_token_ttl": -1})
    assert answer.json()["error_description"] == (
        "access_token_ttl must be whole seconds, 'none' or null; got -1"
    )


def test_wrong_method_is_405_with_allow(control: ControlServer) -> None:
    answer = control.call("PUT", "/users")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, POST"
