"""``authmock serve``: options, config file, TLS/mTLS files, the log, errors and signals.

Most tests drive :class:`pytest_authmock.serve.Service` in-process (what ``main``
runs); a few start the real command in a subprocess for what only a process
shows: the first stdout line, Ctrl-C, SIGTERM and the exit status.
"""

from __future__ import annotations

import io
import json
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests

from pytest_authmock.serve import (
    DEMO_CLIENT,
    DEMO_USER,
    P12_PASSWORD,
    Service,
    main,
    parse,
    redact_target,
)
from pytest_authmock.serve_config import ConfigError

CURL = shutil.which("curl")
COMMAND = [sys.executable, "-m", "pytest_authmock.cli", "serve"]
# Plain HTTP never uses it; sharing one spares loading the CA bundle per request.
PLAIN = ssl.create_default_context()


class Running:
    def __init__(self, service: Service, out: io.StringIO, err: io.StringIO) -> None:
        self.service = service
        self.out = out
        self.err = err

    @property
    def issuer(self) -> str:
        return self.out.getvalue().splitlines()[0]

    def metadata(self, **kwargs: Any) -> dict[str, Any]:
        body: dict[str, Any] = httpx.get(
            self.issuer + "/.well-known/openid-configuration", **{"verify": PLAIN, **kwargs}
        ).json()
        return body


@pytest.fixture
def serve() -> Iterator[Any]:
    started: list[Service] = []

    def start(*argv: str) -> Running:
        out, err = io.StringIO(), io.StringIO()
        service = Service(parse(argv), out=out, err=err)
        started.append(service)
        service.start()
        service.announce()
        return Running(service, out, err)

    yield start
    for service in started:
        service.stop()


def _error(argv: list[str]) -> str:
    out, err = io.StringIO(), io.StringIO()
    assert main(argv, out=out, err=err) == 2
    assert out.getvalue() == ""
    lines = err.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("authmock serve: error: ")
    return lines[0]


# -- the demo configuration ---------------------------------------------------------------


def test_demo_configuration_works_at_once(serve: Any) -> None:
    running = serve()
    lines = running.out.getvalue().splitlines()
    assert lines[0].startswith("http://127.0.0.1:")
    summary = "\n".join(lines[1:])
    assert f"{DEMO_CLIENT[0]} / {DEMO_CLIENT[1]}" in summary
    assert f"{DEMO_USER[0]} / {DEMO_USER[1]}" in summary
    assert running.issuer + "/oauth2/token" in summary
    metadata = running.metadata()
    with httpx.Client(verify=PLAIN) as http:
        token = http.post(
            metadata["token_endpoint"],
            data={"grant_type": "password", "username": DEMO_USER[0], "password": DEMO_USER[1]},
            auth=DEMO_CLIENT,
        )
        assert token.status_code == 200, token.text
        me = http.get(
            running.issuer + "/api/me",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
    assert me.status_code == 200
    assert me.json()["username"] == DEMO_USER[0]
    log = _wait_for(running.err, "user=demo")
    assert "POST /oauth2/token 200 grant=password client=demo-client user=demo" in log
    assert DEMO_USER[1] not in log
    assert DEMO_CLIENT[1] not in log


def test_request_log_redacts_secrets(serve: Any) -> None:
    running = serve()
    httpx.post(
        running.issuer + "/oauth2/token?client_secret=hunter2&scope=read",
        data={"grant_type": "client_credentials"},
        auth=("demo-client", "wrong-secret"),
        verify=PLAIN,
    )
    log = _wait_for(running.err, "/oauth2/token")
    line = next(line for line in log.splitlines() if "/oauth2/token" in line)
    assert (
        "POST /oauth2/token?client_secret=***&scope=read 401 invalid_client "
        "grant=client_credentials client=demo-client" in line
    )
    assert "hunter2" not in log
    assert "wrong-secret" not in log


def test_quiet_prints_only_the_issuer(serve: Any) -> None:
    running = serve("--quiet")
    assert running.out.getvalue().splitlines() == [running.issuer]
    running.metadata()
    time.sleep(0.05)  # the log line, if any, follows the response
    assert running.err.getvalue() == ""


# -- options ---------------------------------------------------------------------------------


def test_clients_users_token_format_and_ttl(serve: Any) -> None:
    running = serve(
        "--client",
        "ci-bot:s3cr:et",
        "--user",
        "ada:pw",
        "--token-format",
        "opaque",
        "--access-token-ttl",
        "none",
    )
    summary = running.out.getvalue()
    assert "ci-bot" in summary
    assert "s3cr:et" not in summary
    assert "demo-client" not in summary
    response = httpx.post(
        running.issuer + "/oauth2/token",
        data={"grant_type": "password", "username": "ada", "password": "pw"},
        auth=("ci-bot", "s3cr:et"),
        verify=PLAIN,
    )
    body = response.json()
    assert response.status_code == 200, body
    assert body["access_token"].count(".") == 0
    assert "expires_in" not in body


def test_fixed_port(serve: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    running = serve("--port", str(port))
    assert running.issuer == f"http://127.0.0.1:{port}"


def test_public_issuer_behind_a_proxy(serve: Any) -> None:
    running = serve("--issuer", "https://login.example.test/realms/demo", "--quiet")
    assert running.issuer == "https://login.example.test/realms/demo"
    server = running.service.servers[0]
    # A proxy forwards https://login.example.test/... to the loopback socket.
    metadata = httpx.get(
        server.url + "/.well-known/openid-configuration/realms/demo", verify=PLAIN
    ).json()
    assert metadata["issuer"] == "https://login.example.test/realms/demo"
    assert metadata["token_endpoint"] == "https://login.example.test/realms/demo/oauth2/token"
    token = httpx.post(
        server.url + "/realms/demo/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=DEMO_CLIENT,
        verify=PLAIN,
    )
    assert token.status_code == 200, token.text


def test_tls_serves_https_with_the_written_ca(serve: Any, tmp_path: Path) -> None:
    running = serve("--tls", "--certs-dir", str(tmp_path))
    assert running.issuer.startswith("https://127.0.0.1:")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ca.pem",
        "demo-client-key.pem",
        "demo-client.p12",
        "demo-client.pem",
    ]
    assert str(tmp_path / "ca.pem") in running.out.getvalue()
    response = requests.get(
        running.issuer + "/.well-known/openid-configuration",
        verify=str(tmp_path / "ca.pem"),
        timeout=10,
    )
    assert response.json()["issuer"] == running.issuer


def test_mtls_writes_client_files_and_accepts_them(serve: Any, tmp_path: Path) -> None:
    running = serve("--mtls", "--certs-dir", str(tmp_path), "--client", "ci-bot:s3cret")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ca.pem",
        "ci-bot-key.pem",
        "ci-bot.p12",
        "ci-bot.pem",
    ]
    assert f"password {P12_PASSWORD}" in running.out.getvalue()
    ca = str(tmp_path / "ca.pem")
    cert = (str(tmp_path / "ci-bot.pem"), str(tmp_path / "ci-bot-key.pem"))
    metadata = running.metadata(verify=_context(ca))
    alias = metadata["mtls_endpoint_aliases"]["token_endpoint"]
    # tls_client_auth on the alias (no secret), bound token used with the same certificate.
    token = requests.post(
        alias,
        data={"grant_type": "client_credentials", "client_id": "ci-bot"},
        cert=cert,
        verify=ca,
        timeout=10,
    )
    assert token.status_code == 200, token.text
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert requests.get(
        running.issuer + "/api/me", headers=bearer, cert=cert, verify=ca, timeout=10
    ).ok
    refused = requests.get(running.issuer + "/api/me", headers=bearer, verify=ca, timeout=10)
    assert refused.status_code == 401
    # The secret still works too.
    basic = requests.post(
        metadata["token_endpoint"],
        data={"grant_type": "client_credentials"},
        auth=("ci-bot", "s3cret"),
        verify=ca,
        timeout=10,
    )
    assert basic.status_code == 200
    assert "cert=O=pytest-authmock,OU=clients,CN=ci-bot" in _wait_for(running.err, "cert=")


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_mtls_with_curl_and_pkcs12(serve: Any, tmp_path: Path) -> None:
    running = serve("--mtls", "--certs-dir", str(tmp_path), "--client", "ci-bot:s3cret", "--quiet")
    alias = running.service.idp.metadata()["mtls_endpoint_aliases"]["token_endpoint"]
    assert CURL is not None
    result = subprocess.run(
        [
            CURL,
            "--silent",
            "--show-error",
            "--cacert",
            str(tmp_path / "ca.pem"),
            "--cert-type",
            "P12",
            "--cert",
            f"{tmp_path / 'ci-bot.p12'}:{P12_PASSWORD}",
            "--data",
            "grant_type=client_credentials&client_id=ci-bot",
            alias,
        ],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "access_token" in json.loads(result.stdout)


def test_temporary_certs_dir_is_removed_at_stop(serve: Any) -> None:
    running = serve("--mtls")
    ca_line = next(line for line in running.out.getvalue().splitlines() if "CA certificate" in line)
    ca = Path(ca_line.split()[-1])
    assert ca.exists()
    running.service.stop()
    assert not ca.parent.exists()


def test_mtls_handshake_failure_is_logged(serve: Any, tmp_path: Path) -> None:
    running = serve("--mtls", "--certs-dir", str(tmp_path))
    alias = running.service.servers[1].url
    with pytest.raises((httpx.ConnectError, httpx.ReadError)):
        httpx.get(alias + "/oauth2/token", verify=_context(str(tmp_path / "ca.pem")))
    assert "TLS handshake failed" in _wait_for(running.err, "TLS handshake failed")


# -- the config file --------------------------------------------------------------------------


def test_config_file(serve: Any, tmp_path: Path) -> None:
    config = tmp_path / "authmock.toml"
    config.write_text(
        textwrap.dedent(
            """
            token_format = "jwt"
            algorithm = "ES256"
            access_token_ttl = 600

            [[clients]]
            client_id = "ci-bot"
            client_secret = "s3cret"
            grant_types = ["client_credentials"]
            scopes = ["read", "write"]
            claims = { tenant = "acme" }

            [[users]]
            username = "ada"
            password = "lovelace"
            profile = { name = "Ada Lovelace" }

            [[resources]]
            url = "/api/reports"
            scopes = ["read"]
            """
        )
    )
    running = serve("--config", str(config), "--access-token-ttl", "120")
    token = httpx.post(
        running.issuer + "/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "read"},
        auth=("ci-bot", "s3cret"),
        verify=PLAIN,
    ).json()
    assert token["expires_in"] == 120  # the flag wins over the file
    assert running.service.idp.config.algorithm == "ES256"
    api = httpx.get(
        running.issuer + "/api/reports",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        verify=PLAIN,
    )
    assert api.status_code == 200
    assert "ada" in running.service.idp.users


def test_settings_precedence(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('port = 1234\ntoken_format = "opaque"\nquiet = true\n')
    settings = parse(["--config", str(config), "--port", "0", "--token-format", "jwt"])
    assert settings.port == 0
    assert settings.provider["token_format"] == "jwt"
    assert settings.quiet is True


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "http"], "--port must be a whole number; got 'http'"),
        (["--port", "70000"], "--port must be between 0 and 65535"),
        (["--client", "no-colon-here"], "--client expects ID:SECRET"),
        (["--client", ":secret"], "the ID part is empty"),
        (["--user", "ada:"], "the PASSWORD part for 'ada' is empty"),
        (["--token-format", "xml"], "argument --token-format: invalid choice: 'xml'"),
        (["--access-token-ttl", "soon"], "--access-token-ttl must be a whole number of seconds"),
        (["--issuer", "ftp://x"], "issuer must be an http(s) URL"),
        (["--issuer", "https://x/"], "must not end with '/'"),
        (["--certs-dir", "certs"], "--certs-dir needs --tls or --mtls"),
        (["--seed", "abc"], "--seed must be a whole number"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--config", "/nonexistent/authmock.toml"], "does not exist"),
    ],
)
def test_bad_options_fail_with_one_line(argv: list[str], message: str) -> None:
    assert message in _error(argv)


def test_secrets_are_not_echoed_in_errors() -> None:
    assert "hunter2" not in _error(["--client", "hunter2"])


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("port = [", "is not valid TOML"),
        ("colour = 'blue'", "unknown key 'colour'; known keys: host, port"),
        ("[[clients]]\nclient_id = 'a'\nsecret = 'x'", "clients[0] has unknown key 'secret'"),
        ("[[clients]]\nclient_id = 'a'", "clients[0]: give client_secret"),
        (
            "[[clients]]\nclient_id = 'a'\nclient_secret = 's'\ngrant_types = ['magic']",
            "clients[0]:",
        ),
        ("[[users]]\nusername = 'ada'", "users[0]: a user needs username and password"),
        ("[[resources]]\nscopes = ['x']", "resources[0]: a resource needs url"),
        ("access_token_ttl = -5", "access_token_ttl must be a whole number of seconds"),
        ("tls = 'yes'", "tls must be true or false"),
        ("clients = 3", "clients must be an array of tables"),
    ],
)
def test_bad_config_fails_with_one_line(tmp_path: Path, toml: str, message: str) -> None:
    config = tmp_path / "authmock.toml"
    config.write_text(toml)
    assert message in _error(["--config", str(config)])


def test_port_in_use_fails_with_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = _error(["--port", str(port)])
    assert f"cannot listen on 127.0.0.1:{port}" in line


def test_redact_target() -> None:
    assert redact_target("/oauth2/token") == "/oauth2/token"
    assert (
        redact_target("/authorize?client_id=a&code=xyz&state=s&scope=openid")
        == "/authorize?client_id=a&code=***&state=***&scope=openid"
    )


def test_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)


def _wait_for(stream: io.StringIO, text: str) -> str:
    """The log line of a request is written just after its response: wait for it."""
    deadline = time.monotonic() + 5
    while text not in stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.005)
    return stream.getvalue()


def _context(ca: str) -> Any:
    return ssl.create_default_context(cafile=ca)


# -- the real command -------------------------------------------------------------------------------


def _start(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*COMMAND, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_command_prints_issuer_first_and_exits_0_on_signal(stop: signal.Signals) -> None:
    process = _start()
    try:
        assert process.stdout is not None
        issuer = process.stdout.readline().strip()
        assert issuer.startswith("http://127.0.0.1:")
        # Printed only once accepting: the very first request succeeds.
        assert (
            httpx.get(issuer + "/.well-known/openid-configuration", verify=PLAIN).status_code == 200
        )
        assert "listening on" in process.stdout.readline()
        process.send_signal(stop)
        _, err = process.communicate(timeout=10)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0
    assert "Traceback" not in err
    assert "GET /.well-known/openid-configuration 200" in err


@pytest.mark.parametrize(
    ("first", "delay"),
    [(signal.SIGINT, 0.0), (signal.SIGTERM, 0.0), (signal.SIGINT, 0.05), (signal.SIGTERM, 0.05)],
)
def test_a_second_signal_during_shutdown_still_exits_0(first: signal.Signals, delay: float) -> None:
    # docker stop and test harnesses repeat SIGTERM; it may land while the
    # service stops or while the interpreter exits.
    process = _start("--quiet")
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("http://")
        process.send_signal(first)
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=15)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0
    assert "Traceback" not in err


def test_command_bad_option_exit_2_without_traceback() -> None:
    result = subprocess.run(
        [*COMMAND, "--port", "nope"], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "authmock serve: error: --port must be a whole number; got 'nope'\n"


def test_help_lists_every_option() -> None:
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        parse(["--help"])
    assert exit_info.value.code == 0
    del out
    from pytest_authmock.serve import build_parser

    text = build_parser().format_help()
    for option in (
        "--host",
        "--port",
        "--client",
        "--user",
        "--tls",
        "--mtls",
        "--certs-dir",
        "--token-format",
        "--access-token-ttl",
        "--issuer",
        "--config",
        "--seed",
        "--quiet",
    ):
        assert option in text


def test_config_file_faults_kid_and_skew_are_shared_with_the_fixtures(
    serve: Any, tmp_path: Path
) -> None:
    config = tmp_path / "authmock.toml"
    config.write_text(
        textwrap.dedent(
            """
            kid = "tenant-a-2024"
            clock_skew = 120

            [[faults]]
            kind = "fail"
            status = 503
            endpoint = "token"
            times = 1
            """
        )
    )
    running = serve("--config", str(config))
    url = running.issuer + "/oauth2/token"
    form = {"grant_type": "client_credentials"}
    assert httpx.post(url, data=form, auth=DEMO_CLIENT, verify=PLAIN).status_code == 503
    assert httpx.post(url, data=form, auth=DEMO_CLIENT, verify=PLAIN).status_code == 200
    assert running.service.idp.clock.skew == 120
    jwks = httpx.get(running.issuer + "/.well-known/jwks.json", verify=PLAIN).json()
    assert "tenant-a-2024" in [key["kid"] for key in jwks["keys"]]


def test_ipv6_loopback(serve: Any) -> None:
    try:
        running = serve("--host", "::1", "--tls", "--quiet")
    except ConfigError as error:
        pytest.skip(f"::1 is not available here: {error}")
    assert running.issuer.startswith("https://[::1]:")
    assert running.service.servers[0].url == running.issuer
    # The server certificate names ::1, so a client that trusts the CA connects.
    ca = next(
        Path(line.split()[-1])
        for line in running.service.summary().splitlines()
        if "CA certificate" in line
    )
    metadata = running.metadata(verify=_context(str(ca)))
    assert metadata["issuer"] == running.issuer


def test_public_issuer_with_mtls_advertises_the_alias_at_its_address(serve: Any) -> None:
    running = serve("--issuer", "https://login.example.test", "--mtls", "--quiet")
    aliases = running.service.idp.metadata()["mtls_endpoint_aliases"]
    alias_server = running.service.servers[1]
    assert aliases["token_endpoint"] == alias_server.url + "/oauth2/token"
    assert running.service.idp.metadata()["token_endpoint"] == (
        "https://login.example.test/oauth2/token"
    )
