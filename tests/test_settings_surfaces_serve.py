"""``idp.protocol_settings`` and ``idp.dpop_settings`` from ``authmock serve``: the
``--initial-access-token``, ``--require-par`` and ``--dpop-nonce`` flags and their
``AUTHMOCK_*`` variables, the ``--config`` file's tables, the start record and the
banner, and ``/_authmock/settings/<group>`` of the control API."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest

from examples.serve_process import ServeProcess
from pytest_authmock.serve import DEMO_CLIENT, main
from pytest_authmock.serve_demo import DEMO_CLI
from tests import settings_effects as probe
from tests import test_serve
from tests.test_serve import Running

TOKEN = "served-initial-token"

serve = test_serve.serve


def _error(argv: list[str], env: dict[str, str] | None = None) -> str:
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        assert main(argv, out=out, err=err) == 2
    assert out.getvalue() == ""
    return err.getvalue().strip()


def _control(running: Running, method: str, group: str, body: Any = None) -> httpx.Response:
    return httpx.request(
        method,
        f"{running.issuer}/_authmock/settings/{group}",
        json=body,
        headers={"Authorization": f"Bearer {running.service.control.admin_token}"},
        timeout=30,
    )


# -- a real server: the flags, the variables, the file and the control API ------------------


def test_flags_and_variables_take_effect_and_the_token_is_never_shown() -> None:
    env = {"AUTHMOCK_INITIAL_ACCESS_TOKEN": TOKEN, "AUTHMOCK_REQUIRE_PAR": "yes"}
    with ServeProcess("--dpop-nonce", env=env) as server:
        record, http, issuer = server.record, server.http, server.issuer
        assert record["protocol"]["initial_access_token_set"] is True
        assert "initial_access_token" not in record["protocol"]
        assert record["protocol"]["require_pushed_authorization_requests"] is True
        assert record["dpop"] == {"require_nonce": True, "proof_window": 60, "nonce_lifetime": 300}
        refused = probe.register(http, issuer)
        assert (refused.status_code, refused.json()["error"]) == (401, "invalid_token")
        assert probe.register(http, issuer, token=TOKEN).status_code == 201
        assert probe.refuses_plain_requests(http, issuer, DEMO_CLI)
        assert probe.demands_dpop_nonce(http, issuer, DEMO_CLIENT)
        shown = server.control("GET", "/settings/protocol")
        assert shown.json()["initial_access_token_set"] is True
        assert TOKEN not in shown.text

        # The control API switches them off; a reset brings back the start-up values.
        changed = server.control(
            "PATCH",
            "/settings/protocol",
            {"initial_access_token": None, "require_pushed_authorization_requests": False},
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["initial_access_token_set"] is False
        assert server.control("PATCH", "/settings/dpop", {"require_nonce": False}).is_success
        assert probe.register(http, issuer).status_code == 201
        assert not probe.refuses_plain_requests(http, issuer, DEMO_CLI)
        assert not probe.demands_dpop_nonce(http, issuer, DEMO_CLIENT)
        assert server.control("POST", "/reset").status_code == 204
        assert probe.register(http, issuer).status_code == 401
        assert probe.register(http, issuer, token=TOKEN).status_code == 201
        assert probe.refuses_plain_requests(http, issuer, DEMO_CLI)
        assert probe.demands_dpop_nonce(http, issuer, DEMO_CLIENT)
        journal = server.control("GET", "/journal").text
        assert server.stop() == 0
    assert TOKEN not in "".join(server.log) + journal


def test_the_config_files_tables_with_a_flag_over_them(tmp_path: Path) -> None:
    config = tmp_path / "setup.toml"
    config.write_text(
        f'[protocol]\ninitial_access_token = "{TOKEN}"\nend_session = false\n\n'
        "[dpop]\nrequire_nonce = false\nproof_window = 30\n"
    )
    with ServeProcess("--config", str(config), "--dpop-nonce") as server:
        record, http, issuer = server.record, server.http, server.issuer
        assert record["dpop"] == {"require_nonce": True, "proof_window": 30, "nonce_lifetime": 300}
        assert record["protocol"]["end_session"] is False
        assert "end_session_endpoint" not in probe.metadata(http, issuer)
        assert probe.register(http, issuer).status_code == 401
        assert probe.register(http, issuer, token=TOKEN).status_code == 201
        assert probe.demands_dpop_nonce(http, issuer, DEMO_CLIENT)
        assert server.stop() == 0
    assert TOKEN not in "".join(server.log)


# -- the flags' errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (
            ["--initial-access-token", "has a SECRET space"],
            {},
            "--initial-access-token: may only hold letters, digits and - . _ ~ + / with = at "
            "the end (RFC 6750 §2.1)",
        ),
        (
            [],
            {"AUTHMOCK_INITIAL_ACCESS_TOKEN": "SECRET with space"},
            "--initial-access-token: may only hold letters",
        ),
        (
            [],
            {"AUTHMOCK_DPOP_NONCE": "maybe"},
            "AUTHMOCK_DPOP_NONCE must be 1, true, yes, on, 0, false, no or off; got 'maybe'",
        ),
        (
            [],
            {"AUTHMOCK_REQUIRE_PAR": "2"},
            "AUTHMOCK_REQUIRE_PAR must be 1, true, yes, on, 0, false, no or off; got '2'",
        ),
        (["--initial-access-token", ""], {}, "--initial-access-token: must have 1 to 4096"),
    ],
)
def test_a_bad_flag_or_variable_is_named_and_the_token_not_shown(
    argv: list[str], env: dict[str, str], message: str
) -> None:
    error = _error(argv, env)
    assert error.startswith(f"authmock serve: error: {message}"), error
    assert "SECRET" not in error


def test_a_bad_config_table_stops_the_start(tmp_path: Path) -> None:
    config = tmp_path / "setup.toml"
    config.write_text("[dpop]\nproof_window = -1\n")
    assert _error(["--config", str(config)]).startswith(
        "authmock serve: error: config file setup.toml: dpop.proof_window must be a positive "
        "whole number of seconds from 1 to"
    )


# -- in-process: the banner and the control API's answers -------------------------------------


def test_the_banner_lists_changed_settings_without_the_token(serve: Any) -> None:
    running = serve("--initial-access-token", TOKEN, "--require-par")
    text = running.out.getvalue()
    assert (
        "protocol settings             initial_access_token=(set, not shown), "
        "require_pushed_authorization_requests=true" in text
    )
    assert "dpop settings" not in text
    assert TOKEN not in text + running.err.getvalue()
    assert "protocol settings" not in serve().out.getvalue()  # defaults: no row


def test_the_control_api_reads_and_changes_each_group(serve: Any) -> None:
    running = serve()
    assert _control(running, "GET", "dpop").json() == {
        "require_nonce": False,
        "proof_window": 60,
        "nonce_lifetime": 300,
    }
    answer = _control(
        running,
        "PATCH",
        "protocol",
        {
            "initial_access_token": TOKEN,
            "resources": ["https://api.example/"],
            "request_uri_ttl": 15,
            "browser_sessions": False,
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["resources"] == ["https://api.example/"]
    assert answer.json()["initial_access_token_set"] is True
    assert TOKEN not in answer.text
    settings = running.service.idp.protocol_settings
    assert (settings.initial_access_token, settings.request_uri_ttl) == (TOKEN, 15)
    assert settings.resources == ("https://api.example/",)
    assert settings.browser_sessions is False


@pytest.mark.parametrize(
    ("group", "body", "message"),
    [
        ("dpop", {"require_nonce": "yes"}, "require_nonce must be true or false; got 'yes'"),
        ("dpop", {"require_nonce": None}, "require_nonce must be true or false; got None"),
        ("dpop", {"proof_window": 0}, "proof_window must be a positive whole number of seconds"),
        ("dpop", {"nonces": True}, "unknown field 'nonces'; known fields: require_nonce, "),
        ("protocol", {"resources": ["x"]}, "resources[0] is refused: resource 'x' must be an"),
        (
            "protocol",
            {"initial_access_token": "a SECRET b"},
            "initial_access_token may only hold letters",
        ),
    ],
)
def test_a_bad_field_is_a_400_naming_it(
    serve: Any, group: str, body: dict[str, Any], message: str
) -> None:
    running = serve()
    before = _control(running, "GET", group).json()
    answer = _control(running, "PATCH", group, body)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"
    assert answer.json()["error_description"].startswith(message)
    assert "SECRET" not in answer.text
    assert _control(running, "GET", group).json() == before  # nothing changed


def test_the_openapi_document_types_the_routes_from_the_fields(serve: Any) -> None:
    running = serve()
    document = httpx.get(
        running.issuer + "/_authmock/openapi.json",
        headers={"Authorization": f"Bearer {running.service.control.admin_token}"},
    ).json()
    dpop = document["paths"]["/_authmock/settings/dpop"]
    assert set(dpop) == {"get", "patch"}
    body = dpop["patch"]["requestBody"]["content"]["application/json"]["schema"]
    assert list(body["properties"]) == ["require_nonce", "proof_window", "nonce_lifetime"]
    protocol = document["paths"]["/_authmock/settings/protocol"]["get"]
    answer = protocol["responses"]["200"]["content"]["application/json"]["schema"]
    assert "initial_access_token_set" in answer["properties"]
    assert "initial_access_token" not in answer["properties"]
    assert "400" in document["paths"]["/_authmock/settings/protocol"]["patch"]["responses"]
