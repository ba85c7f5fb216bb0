"""The admin token guards every control route, and is worth nothing anywhere else."""

from __future__ import annotations

import pytest

from pytest_authmock.control import ROUTES
from tests.control.conftest import ADMIN_TOKEN, DEMO_CLIENT, ControlServer


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_every_route_needs_the_admin_token(control: ControlServer, route: object) -> None:
    method, path = route.method, route.path.replace("{", "").replace("}", "")  # type: ignore[attr-defined]
    answer = control.http.request(method, path)
    assert answer.status_code == 401
    # RFC 6750 §3.1: no credentials, so no error code in the challenge.
    assert answer.headers["www-authenticate"] == 'Bearer realm="authmock-control"'
    assert answer.json()["error"] == "invalid_token"


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer wrong-token",
        f"Bearer {ADMIN_TOKEN}x",
        f"Bearer {ADMIN_TOKEN[:-1]}",
        "Bearer",
        f"Basic {ADMIN_TOKEN}",
        ADMIN_TOKEN,
    ],
)
def test_a_wrong_token_is_refused(control: ControlServer, authorization: str) -> None:
    answer = control.http.get("/_authmock/users", headers={"Authorization": authorization})
    assert answer.status_code == 401
    challenge = answer.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="authmock-control"')
    if authorization.startswith("Bearer") and authorization.strip() != "Bearer":
        assert 'error="invalid_token"' in challenge
    assert ADMIN_TOKEN not in answer.text


def test_the_scheme_is_case_insensitive(control: ControlServer) -> None:
    # RFC 9110 §11.1: auth schemes compare case-insensitively.
    answer = control.http.get(
        "/_authmock/users", headers={"Authorization": f"bearer {ADMIN_TOKEN}"}
    )
    assert answer.status_code == 200


def test_unknown_control_paths_ask_for_the_token_before_saying_404(control: ControlServer) -> None:
    assert control.http.get("/_authmock/nothing-here").status_code == 401
    answer = control.call("GET", "/nothing-here")
    assert answer.status_code == 404
    assert "openapi.json" in answer.json()["error_description"]


def test_the_admin_token_is_not_valid_at_any_oauth_endpoint(control: ControlServer) -> None:
    bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert control.http.get("/oauth2/userinfo", headers=bearer).status_code == 401
    assert control.http.get("/api/me", headers=bearer).status_code == 401
    assert control.http.get("/api/tokens", headers=bearer).status_code == 401
    introspection = control.http.post(
        "/oauth2/introspect", data={"token": ADMIN_TOKEN}, auth=DEMO_CLIENT
    )
    assert introspection.json() == {"active": False}
    as_secret = control.token(
        {"grant_type": "client_credentials"}, auth=("demo-client", ADMIN_TOKEN)
    )
    assert as_secret.status_code == 401
    assert (
        control.token({"grant_type": "client_credentials"}, auth=("admin", ADMIN_TOKEN)).status_code
        == 401
    )
    as_password = control.token(
        {"grant_type": "password", "username": "demo", "password": ADMIN_TOKEN}
    )
    assert as_password.json()["error"] == "invalid_grant"
    # The provider never saw the admin token: only OAuth traffic is journaled.
    assert all(entry.path.startswith("/_authmock") is False for entry in control.idp.journal)


def test_control_calls_are_not_journaled(control: ControlServer) -> None:
    control.call("GET", "/users")
    control.call("POST", "/clock", {"advance": 1})
    assert len(control.idp.journal) == 0
