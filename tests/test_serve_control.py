"""``authmock serve`` for other languages: admin token, control API, start record,
environment variables, JSON logs, banner, device knobs, demo setup and redirect URIs."""

from __future__ import annotations

import io
import json
import re
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests

from examples.serve_process import ServeProcess
from pytest_authmock.serve import DEMO_CLIENT, DEMO_USER, build_parser, main
from pytest_authmock.serve_config import ConfigError
from pytest_authmock.serve_env import env_arguments, variables
from tests import test_serve
from tests.test_serve import PLAIN, Running, _wait_for

CURL = shutil.which("curl")
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


#: ``serve(*argv)``: the service in-process, as ``main`` runs it (test_serve's fixture).
serve = test_serve.serve


def _admin(running: Running) -> str:
    match = re.search(r"^  admin token\s+(\S+)$", running.out.getvalue(), flags=re.M)
    assert match is not None, running.out.getvalue()
    return match.group(1)


def _control(running: Running, method: str, path: str, body: Any = None) -> httpx.Response:
    settings = running.service.settings
    verify: Any = PLAIN
    if settings.uses_tls:
        verify = ssl.create_default_context(cafile=str(running.service._ca_pem()))
    return httpx.request(
        method,
        running.issuer + "/_authmock" + path,
        json=body,
        headers={"Authorization": f"Bearer {_admin(running)}"},
        verify=verify,
        timeout=30,  # generating a user imports Faker, slow on a busy machine
    )


def _error(argv: list[str]) -> str:
    out, err = io.StringIO(), io.StringIO()
    assert main(argv, out=out, err=err) == 2
    return err.getvalue().strip()


# -- the admin token and the control API on the server's own listener ---------------------


def test_the_banner_prints_a_generated_admin_token_that_drives_the_control_api(serve: Any) -> None:
    running = serve()
    token = _admin(running)
    assert token.startswith("amadm_")
    assert len(token) > 40
    assert _control(running, "GET", "/users").json()["users"][0]["username"] == DEMO_USER[0]
    refused = httpx.get(running.issuer + "/_authmock/users", verify=PLAIN)
    assert refused.status_code == 401
    # Control calls are logged like any request, never with the token.
    assert token not in _wait_for(running.err, "/_authmock/users 401")


def test_two_servers_get_different_admin_tokens(serve: Any) -> None:
    assert _admin(serve()) != _admin(serve())


def test_admin_token_flag(serve: Any) -> None:
    running = serve("--admin-token", "s3cret-admin-token")
    assert _admin(running) == "s3cret-admin-token"
    assert _control(running, "GET", "/clock").status_code == 200


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("short", "the admin token must have at least 8 characters"),
        ("has space in it", "may only contain letters, digits"),
    ],
)
def test_bad_admin_token(value: str, message: str) -> None:
    line = _error(["--admin-token", value])
    assert line.startswith("authmock serve: error: --admin-token: ")
    assert message in line
    assert value not in line.replace("--admin-token", "")


def test_reset_brings_back_the_demo_setup(serve: Any) -> None:
    running = serve("--device-interval", "1")
    _control(running, "POST", "/users", {"username": "alice"})
    _control(running, "PATCH", "/settings", {"device_interval": 9})
    assert _control(running, "POST", "/reset").status_code == 204
    idp = running.service.idp
    assert list(idp.users) == [DEMO_USER[0]]
    assert list(idp.clients) == ["demo-client", "demo-cli"]
    assert idp.flow_settings.device_interval == 1  # the flag's value, not the default


def test_reset_replans_the_config_files_faults_and_kid(serve: Any, tmp_path: Path) -> None:
    config = tmp_path / "authmock.toml"
    config.write_text(
        'kid = "tenant-a"\n[[faults]]\nkind = "fail"\nstatus = 503\nendpoint = "token"\n'
        '[[clients]]\nclient_id = "ci-bot"\nclient_secret = "ci-bot-secret"\n'
    )
    running = serve("--config", str(config))
    url = running.issuer + "/oauth2/token"
    form = {"grant_type": "client_credentials"}
    bot = ("ci-bot", "ci-bot-secret")
    assert httpx.post(url, data=form, auth=bot).status_code == 503
    _control(running, "POST", "/keys/rotate", {})
    _control(running, "POST", "/reset")
    assert httpx.post(url, data=form, auth=bot).status_code == 503
    assert httpx.post(url, data=form, auth=bot).status_code == 200
    assert [k["kid"] for k in running.service.idp.jwks()["keys"]] == ["tenant-a"]


def test_control_clients_get_certificates_with_mtls(serve: Any, tmp_path: Path) -> None:
    running = serve("--mtls", "--certs-dir", str(tmp_path), "--client", "ci-bot:s3cret")
    created = _control(running, "POST", "/clients", {"client_id": "late", "p12_password": "pw"})
    assert created.status_code == 201, created.text
    certificate = created.json()["certificate"]
    assert certificate["cert"] == str(tmp_path / "late.pem")
    assert certificate["p12_password"] == "pw"
    assert created.json()["client_secret"] is None  # it authenticates with the certificate
    ca = str(tmp_path / "ca.pem")
    alias = running.service.idp.metadata()["mtls_endpoint_aliases"]["token_endpoint"]
    token = requests.post(
        alias,
        data={"grant_type": "client_credentials", "client_id": "late"},
        cert=(certificate["cert"], certificate["key"]),
        verify=ca,
        timeout=10,
    )
    assert token.status_code == 200, token.text
    # A reset keeps the start-up client's certificate valid (same subject, no new files).
    before = (tmp_path / "ci-bot.pem").read_bytes()
    _control(running, "POST", "/reset")
    assert (tmp_path / "ci-bot.pem").read_bytes() == before
    again = requests.post(
        alias,
        data={"grant_type": "client_credentials", "client_id": "ci-bot"},
        cert=(str(tmp_path / "ci-bot.pem"), str(tmp_path / "ci-bot-key.pem")),
        verify=ca,
        timeout=10,
    )
    assert again.status_code == 200, again.text
    refused = _control(running, "POST", "/clients", {"client_secret": "x" * 10})
    assert refused.json()["error_description"].startswith("client_id is missing")


# -- the banner ---------------------------------------------------------------------------------


def test_the_banner_lists_every_endpoint_of_the_metadata(serve: Any) -> None:
    running = serve()
    summary = running.out.getvalue()
    metadata = running.metadata()
    for key, value in metadata.items():
        if key.endswith(("_endpoint", "_uri")):
            assert value in summary, key
    for url in ("/device", "/.well-known/openid-configuration", "/_authmock/debugger", "/api/me"):
        assert running.issuer + url in summary
    assert re.search(
        r"^  listening\s+127\.0\.0\.1 port \d+ \(picked because --port is 0\)$", summary, re.M
    )


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_the_banners_curl_line_gets_a_token(serve: Any) -> None:
    running = serve()
    line = re.search(r"^  try\s+(curl .*)$", running.out.getvalue(), re.M)
    assert line is not None
    words = shlex.split(line.group(1))  # as a shell would split the pasted line
    result = subprocess.run(words, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["token_type"] == "Bearer"


def test_a_wildcard_host_says_where_it_listens(serve: Any) -> None:
    running = serve("--host", "0.0.0.0")  # noqa: S104 - what is under test
    summary = running.out.getvalue()
    assert "listening on all IPv4 addresses (Ctrl-C to stop)" in summary
    line = re.search(
        r"^  listening\s+all IPv4 addresses \(0\.0\.0\.0\) port (\d+).*: (.*)$", summary, re.M
    )
    assert line is not None
    assert "127.0.0.1" in line.group(2).split(", ")
    assert httpx.get(running.issuer + "/.well-known/jwks.json").status_code == 200


# -- environment variables --------------------------------------------------------------------


def test_every_flag_has_a_variable() -> None:
    parser = build_parser()
    flags = {o for a in parser._actions for o in a.option_strings if o.startswith("--")}
    assert set(variables(parser).values()) == flags - {"--help"}
    assert variables(parser)["AUTHMOCK_ACCESS_TOKEN_TTL"] == "--access-token-ttl"


def test_variables_become_arguments_and_flags_win() -> None:
    parser = build_parser()
    environ = {
        "AUTHMOCK_PORT": "8123",
        "AUTHMOCK_QUIET": "yes",
        "AUTHMOCK_TLS": "0",
        "AUTHMOCK_CLIENT": "a:one b:two",
        "AUTHMOCK_TOKEN_FORMAT": "opaque",
        "AUTHMOCK_HOME": "ignored: not a flag",
    }
    assert env_arguments(parser, [], environ) == [
        "--port=8123",
        "--client=a:one",
        "--client=b:two",
        "--token-format=opaque",
        "--quiet",
    ] or sorted(env_arguments(parser, [], environ)) == sorted(
        ["--port=8123", "--client=a:one", "--client=b:two", "--token-format=opaque", "--quiet"]
    )
    given = ["--port", "9000", "--client", "c:three"]
    assert sorted(env_arguments(parser, given, environ)) == [
        "--quiet",
        "--token-format=opaque",
    ]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"AUTHMOCK_QUIET": "maybe"},
            "AUTHMOCK_QUIET must be 1, true, yes, on, 0, false, no or off",
        ),
        ({"AUTHMOCK_TOKEN_FORMAT": "xml"}, "AUTHMOCK_TOKEN_FORMAT: invalid choice: 'xml'"),
    ],
)
def test_a_bad_variable_is_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        env_arguments(build_parser(), [], environ)


def test_the_command_reads_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHMOCK_PORT", "70000")
    assert _error([]) == (
        "authmock serve: error: --port must be between 0 and 65535 (0 picks a free port); got 70000"
    )
    assert _error(["--port", "nope"]).endswith("--port must be a whole number; got 'nope'")


# -- the real command: start record, env, JSON log, SIGTERM ---------------------------------------


def test_json_start_record_env_admin_token_json_log_and_sigterm() -> None:
    env = {"AUTHMOCK_ADMIN_TOKEN": "from-the-environment", "AUTHMOCK_LOG_FORMAT": "json"}
    with ServeProcess("--device-interval", "1", env=env) as server:
        record = server.record
        assert record["admin_token"] == "from-the-environment"
        assert record["issuer"].startswith("http://127.0.0.1:")
        assert record["port"] == int(record["issuer"].rsplit(":", 1)[1])
        assert record["endpoints"]["token"] == record["issuer"] + "/oauth2/token"
        assert record["demo_client"] == {
            "client_id": DEMO_CLIENT[0],
            "client_secret": DEMO_CLIENT[1],
        }
        assert record["demo_user"] == {"username": DEMO_USER[0], "password": DEMO_USER[1]}
        assert record["demo_cli_client"] == {"client_id": "demo-cli"}
        assert (record["tls"], record["ca_pem"], record["client_certificates"]) == (False, None, {})
        token = server.http.post(
            record["endpoints"]["token"],
            data={"grant_type": "password", "username": "demo", "password": "demo-password"},
            auth=DEMO_CLIENT,
        )
        assert token.status_code == 200
        assert server.control("GET", "/journal").json()["entries"][0]["username"] == "demo"
        assert server.stop() == 0  # SIGTERM
    entries = [json.loads(line) for line in server.log]
    assert entries[0]["method"] == "POST"
    assert entries[0]["target"] == "/oauth2/token"
    assert entries[0]["status"] == 200
    assert entries[0]["grant_type"] == "password"
    assert entries[0]["client_id"] == "demo-client"
    assert entries[0]["username"] == "demo"
    assert entries[1]["target"] == "/_authmock/journal"
    text = "".join(server.log)
    assert "demo-password" not in text
    assert "from-the-environment" not in text


def test_json_start_record_with_tls(tmp_path: Path) -> None:
    with ServeProcess("--mtls", "--certs-dir", str(tmp_path), "--quiet") as server:
        record = server.record
        assert record["ca_pem"] == str(tmp_path / "ca.pem")
        assert record["client_certificates"]["demo-client"]["p12"] == str(
            tmp_path / "demo-client.p12"
        )
        assert record["mtls_endpoint_aliases"]["token_endpoint"].startswith("https://")
        assert server.stop() == 0


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_the_command_stops_cleanly(stop: signal.Signals) -> None:
    server = ServeProcess("--quiet")
    server.process.send_signal(stop)
    assert server.stop() == 0
    assert server.log == []


# -- device knobs, demo setup, redirect URIs --------------------------------------------------


def _device(running: Running) -> dict[str, Any]:
    answer = httpx.post(
        running.issuer + "/oauth2/device_authorization", data={"client_id": "demo-cli"}
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _poll(running: Running, device_code: str) -> dict[str, Any]:
    answer = httpx.post(
        running.issuer + "/oauth2/token",
        data={"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": "demo-cli"},
    )
    body: dict[str, Any] = answer.json()
    return body


def test_device_knobs(serve: Any) -> None:
    running = serve("--device-interval", "0", "--device-code-ttl", "60")
    started = _device(running)
    assert (started["interval"], started["expires_in"]) == (0, 60)
    assert _poll(running, started["device_code"])["error"] == "authorization_pending"
    # No slow_down at interval 0: a non-Python test can poll at once.
    assert _poll(running, started["device_code"])["error"] == "authorization_pending"


def test_auto_approve(serve: Any) -> None:
    running = serve("--auto-approve", "demo")
    token = _poll(running, _device(running)["device_code"])
    assert "access_token" in token, token
    assert _error(["--auto-approve", "nobody"]) == (
        "authmock serve: error: --auto-approve: no user 'nobody'; users: demo"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--device-interval", "soon"],
            "--device-interval must be a whole number of seconds; got 'soon'",
        ),
        (["--device-code-ttl", "0"], "--device-code-ttl must be between 1 and 86400; got 0"),
        (["--log-format", "xml"], "invalid choice: 'xml'"),
        (["--redirect-uri", "not-a-uri"], "redirect URI 'not-a-uri' must be absolute"),
    ],
)
def test_bad_options(argv: list[str], message: str) -> None:
    assert message in _error(argv)


def test_the_demo_cli_client_signs_in_and_may_manage_api_tokens(serve: Any) -> None:
    running = serve("--auto-approve", "demo")
    token = _poll(running, _device(running)["device_code"])
    assert set(token["scope"].split()) >= {"openid", "api_tokens:admin", "offline_access"}
    assert "refresh_token" in token
    created = httpx.post(
        running.issuer + "/api/tokens",
        json={"name": "ci", "scopes": ["read"]},
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert created.status_code == 201, created.text
    password = httpx.post(
        running.issuer + "/oauth2/token",
        data={
            "grant_type": "password",
            "username": "demo",
            "password": "demo-password",
            "client_id": "demo-cli",
        },
    )
    assert password.status_code == 200


def _authorize(running: Running, client: str, redirect: str) -> httpx.Response:
    """An authorization request (RFC 6749 §4.1.1) with PKCE (RFC 7636 Appendix B's pair)."""
    return httpx.get(
        running.issuer + "/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": client,
            "redirect_uri": redirect,
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        },
    )


@pytest.mark.parametrize("client", ["demo-cli", "demo-client"])
def test_demo_clients_redirect_to_loopback_on_any_port(serve: Any, client: str) -> None:
    running = serve("--auto-approve", "demo", "--redirect-uri", "https://app.example.test/cb")
    for redirect in (
        "http://127.0.0.1:49152/callback",
        "http://localhost:8080/callback",
        "https://app.example.test/cb",
    ):
        answer = _authorize(running, client, redirect)
        assert answer.status_code in (302, 303), answer.text
        assert answer.headers["location"].startswith(redirect + "?code=")


def test_redirect_uri_applies_to_client_flags(serve: Any) -> None:
    running = serve("--client", "web:web-secret", "--redirect-uri", "https://web.example.test/cb")
    assert running.service.idp.clients["web"].redirect_uris[-1] == "https://web.example.test/cb"


def test_the_sign_in_pages_say_how_to_sign_in_as_the_demo_user(serve: Any) -> None:
    running = serve()
    hint = "Demo user: sign in as demo with the password demo-password."
    page = _authorize(running, "demo-cli", "http://127.0.0.1:5000/callback")
    assert hint in page.text
    assert hint in httpx.get(running.issuer + "/device").text
    # Not when the users are configured: there is no demo user to talk about.
    other = serve("--user", "ada:lovelace")
    assert "sign-in-hint" not in httpx.get(other.issuer + "/device").text


def test_reading_the_options_does_not_load_the_provider() -> None:
    # The provider's import overlaps with generating the signing key (serve.main);
    # the options of the control API must not pull it in earlier.
    code = (
        "import sys; from pytest_authmock.serve import parse; parse(['--admin-token', 'x' * 12]); "
        "print(sorted(m for m in ('faker', 'joserfc', 'pytest_authmock.provider.idp', "
        "'pytest_authmock.control.api') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
