"""Trusted issuers in ``authmock serve``: ``--trust-issuer`` and ``AUTHMOCK_TRUST_ISSUER``,
``[[trusted_issuers]]`` in ``--config``, a reset back to them, and the CI issuer's key
rotation followed across two real server processes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc.jwk import ECKey

from examples.serve_process import ServeProcess
from pytest_authmock.serve import DEMO_CLIENT
from tests.test_settings_surfaces_serve import _error

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt"


USAGE = (
    "--trust-issuer expects ISSUER=JWKS_URI, two http(s) URLs (e.g. --trust-issuer "
    "https://ci.example=https://ci.example/.well-known/jwks.json)"
)


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--trust-issuer", "https://ci.example"], {}, f"{USAGE}; got 'https://ci.example'"),
        (["--trust-issuer", "ci=https://ci.example/jwks"], {}, USAGE),
        (["--trust-issuer", "https://ci.example=/jwks"], {}, USAGE),
        ([], {"AUTHMOCK_TRUST_ISSUER": "https://ci.example=jwks"}, USAGE),
    ],
)
def test_a_bad_flag_or_variable_is_one_line(
    argv: list[str], env: dict[str, str], message: str
) -> None:
    assert _error(argv, env).startswith(f"authmock serve: error: {message}")


def test_a_bad_config_table_stops_the_start(tmp_path: Path) -> None:
    config = tmp_path / "setup.toml"
    key = ECKey.generate_key("P-256", parameters={"kid": "k"}, private=True)
    members = ", ".join(f"{k} = {json.dumps(v)}" for k, v in key.as_dict(private=True).items())
    config.write_text(
        f"[[trusted_issuers]]\nissuer = 'https://ci.example'\njwks = {{ keys = [{{ {members} }}] }}\n"
    )
    error = _error(["--config", str(config)])
    assert error == (
        "authmock serve: error: config file setup.toml: trusted_issuers[0].jwks: keys[0] "
        "(kid 'k') is a private or symmetric key (it has 'd'); a trusted issuer's keys are "
        "public: give the JWKS it publishes"
    )
    assert str(key.as_dict(private=True)["d"]) not in error


def _workflow(ci: ServeProcess, audience: str) -> None:
    """The CI issuer's workflow client: its tokens are identity tokens for ``audience``."""
    workflow = {"client_id": "workflow", "audience": audience, "client_secret": "wf-secret"}
    assert ci.control("POST", "/clients", workflow).status_code == 201


def _ci_token(ci: ServeProcess) -> str:
    answer = ci.control("POST", "/tokens", {"client_id": "workflow"})
    token: str = answer.json()["access_token"]
    return token


def _exchange(platform: ServeProcess, ci_token: str) -> httpx.Response:
    form = {"grant_type": TOKEN_EXCHANGE, "subject_token": ci_token, "subject_token_type": JWT_TYPE}
    return platform.http.post(f"{platform.issuer}/oauth2/token", data=form, auth=DEMO_CLIENT)


def _kid(token: str) -> Any:
    import base64

    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"]


def _jwks_fetches(ci: ServeProcess) -> int:
    entries = ci.control("GET", "/journal").json()["entries"]
    return sum(1 for entry in entries if entry["endpoint"] == "jwks")


def test_the_variable_trusts_the_ci_issuer_and_its_key_rotation_is_followed() -> None:
    with ServeProcess() as ci:
        jwks_uri = f"{ci.issuer}/.well-known/jwks.json"
        env = {
            "AUTHMOCK_TRUST_ISSUER": f"{ci.issuer}={jwks_uri} https://b.example=https://b.example/k"
        }
        with ServeProcess(env=env) as platform:
            assert platform.record["trusted_issuers"] == [ci.issuer, "https://b.example"]
            _workflow(ci, platform.issuer)
            first = _ci_token(ci)
            assert _exchange(platform, first).status_code == 200
            assert _exchange(platform, _ci_token(ci)).status_code == 200
            assert _jwks_fetches(ci) == 1  # fetched once, then cached

            rotated = ci.control("POST", "/keys/rotate", {"grace": 0})
            assert rotated.status_code == 200, rotated.text
            second = _ci_token(ci)
            assert _kid(second) == rotated.json()["kid"] != _kid(first)
            answer = _exchange(platform, second)
            assert answer.status_code == 200, answer.text
            assert _jwks_fetches(ci) == 2  # an unknown kid: fetched again


def test_a_reset_brings_back_the_flags_and_the_files_issuers(tmp_path: Path) -> None:
    key = ECKey.generate_key("P-256", parameters={"kid": "sa"}, private=True)
    (tmp_path / "sa.jwks.json").write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    config = tmp_path / "setup.toml"
    config.write_text("[[trusted_issuers]]\nissuer = 'https://sa.example'\njwks = 'sa.jwks.json'\n")
    argv = ("--config", str(config), "--trust-issuer", "https://ci.example=https://ci.example/k")
    with ServeProcess(*argv) as platform:
        start = platform.control("GET", "/trusted-issuers").json()["trusted_issuers"]
        assert [(e["issuer"], e["keys_from"]) for e in start] == [
            ("https://sa.example", "jwks"),
            ("https://ci.example", "jwks_uri"),
        ]
        assert start[0]["jwks"] == {"keys": [key.as_dict(private=False)]}
        query = httpx.QueryParams({"issuer": "https://sa.example"})
        assert platform.control("DELETE", f"/trusted-issuers?{query}").status_code == 204
        added = {"issuer": "https://new.example", "jwks_uri": "https://new.example/k"}
        assert platform.control("POST", "/trusted-issuers", added).status_code == 201
        assert platform.control("POST", "/reset").status_code == 204
        assert platform.control("GET", "/trusted-issuers").json()["trusted_issuers"] == start
        shown = platform.control("GET", "/trusted-issuers").text + "".join(platform.log)
    assert str(key.as_dict(private=True)["d"]) not in shown


def test_an_unreachable_jwks_uri_is_an_rfc_error_not_a_crash() -> None:
    with ServeProcess() as ci:
        unreachable = "http://127.0.0.1:9/.well-known/jwks.json"  # discard: nothing listens
        with ServeProcess("--trust-issuer", f"{ci.issuer}={unreachable}") as platform:
            _workflow(ci, platform.issuer)
            answer = _exchange(platform, _ci_token(ci))
            assert answer.status_code == 400
            assert answer.json()["error"] == "invalid_request"
            assert f"cannot fetch the JWKS at {unreachable}" in answer.json()["error_description"]
