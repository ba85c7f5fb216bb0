"""Replaying a profile in the fixtures (marker, ini, TOML) and in ``authmock serve --profile``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pytest

from pytest_authmock.serve import Service, main, parse

PROFILE = {
    "profile_version": 1,
    "issuer": "https://login.example.com",
    "recorded_at": "2025-01-01T00:00:00Z",
    "choices": {
        "access_token_format": {"value": "opaque", "evidence": {"status": 200}},
        "expires_in": {"value": 600},
        "token_type": {"value": "bearer"},
        "invalid_client_status": {"value": 400},
        "device_interval": {"observed": False, "reason": "needs --authmock-contract-device"},
    },
}

#: A test module that checks the provider plays the profile above.
CHECKS = """
import httpx
import pytest

def token(idp):
    client = idp.add_client()
    return httpx.post(
        idp.url_for("token"),
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
        verify=getattr(idp, "httpx_verify", True),
    ).json()

{tests}
"""


def checks(tests: str) -> str:
    return CHECKS.replace("{tests}", tests)


def write_profile(directory: Path, name: str = "provider.json", data: object = PROFILE) -> Path:
    path = directory / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_marker_replays_a_profile_relative_to_the_test_file(pytester: pytest.Pytester) -> None:
    profiles = pytester.mkdir("profiles")
    write_profile(profiles)
    pytester.makepyfile(
        checks(
            tests="""
@pytest.fixture(params=["idp", "idp_server"])
def provider(request):
    return request.getfixturevalue(request.param)

@pytest.mark.authmock(profile="profiles/provider.json")
def test_played(provider):
    idp = provider
    body = token(idp)
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 600
    assert body["access_token"].count(".") == 0  # opaque
    assert idp.profile.source.name == "provider.json"
    assert idp.profile.issuer == "https://login.example.com"
    assert idp.profile.adopted["token_format"] == "opaque"
    assert idp.profile.unobserved == {"device_interval": "needs --authmock-contract-device"}

@pytest.mark.authmock(profile="profiles/provider.json", token_format="jwt")
def test_an_explicit_option_wins(idp):
    assert token(idp)["access_token"].count(".") == 2
    override = idp.profile.overridden["token_format"]
    assert (override.profile_value, override.explicit_value) == ("opaque", "jwt")
    assert "token_format" not in idp.profile.adopted

def test_without_a_profile(idp):
    assert idp.profile is None
    assert token(idp)["token_type"] == "Bearer"
"""
        )
    )
    pytester.runpytest("-p", "no:faker").assert_outcomes(passed=4)


def test_a_bad_profile_in_the_marker_fails_the_test_naming_it(pytester: pytest.Pytester) -> None:
    write_profile(pytester.path, data={**PROFILE, "profile_version": 7})
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.authmock(profile="provider.json")
        def test_it(idp):
            pass

        @pytest.mark.authmock(profile=42)
        def test_not_a_path(idp):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:faker")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*pytest-authmock: provider profile provider.json: profile_version 7 is not one this"
            " pytest-authmock reads (1)*",
            "*option profile must be a path to a profile JSON file; got 42*",
        ]
    )


def test_the_ini_option_and_ini_switches(pytester: pytest.Pytester) -> None:
    write_profile(pytester.mkdir("conf"))
    pytester.makeini(
        """
        [pytest]
        authmock_profile = conf/provider.json
        authmock_send_expires_in = false
        authmock_scopes_supported = openid read
        authmock_unknown_scope = ignore
        """
    )
    pytester.makepyfile(
        checks(
            tests="""
def test_played(idp):
    body = token(idp)
    assert body["token_type"] == "bearer"
    assert "expires_in" not in body  # an ini option, beside the profile
    assert idp.config.scopes_supported == ("openid", "read")
    assert idp.profile.adopted["access_token_ttl"] == 600
    assert idp.profile.source.parent.name == "conf"
"""
        )
    )
    pytester.runpytest("-p", "no:faker").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("ini", "message"),
    [
        (
            "authmock_profile = missing.json",
            "*authmock_profile: provider profile 'missing.json' does not exist*",
        ),
        (
            "authmock_invalid_client_status = four-hundred",
            "*authmock_invalid_client_status must be a whole number*",
        ),
        ("authmock_jwks_alg = maybe", "*authmock_jwks_alg must be true or false; got 'maybe'*"),
    ],
)
def test_bad_ini_values_stop_the_run(pytester: pytest.Pytester, ini: str, message: str) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("-p", "no:faker")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [message.replace("'missing.json'", f"'{pytester.path / 'missing.json'}'")]
    )


def test_the_toml_profile_key_relative_to_the_file(pytester: pytest.Pytester) -> None:
    setup = pytester.mkdir("setup")
    write_profile(setup)
    (setup / "idp.toml").write_text('profile = "provider.json"\naccess_token_ttl = 60\n')
    pytester.makepyfile(
        checks(
            tests="""
@pytest.mark.authmock(config="setup/idp.toml")
def test_played(idp):
    body = token(idp)
    assert (body["token_type"], body["expires_in"]) == ("bearer", 60)
    assert idp.profile.overridden["access_token_ttl"].profile_value == 600
"""
        )
    )
    pytester.runpytest("-p", "no:faker").assert_outcomes(passed=1)


def test_a_bad_profile_in_a_toml_file(tmp_path: Path) -> None:
    from pytest_authmock.config_file import ConfigError, load

    write_profile(tmp_path, data={**PROFILE, "choices": {"colour": {"value": 1}}})
    (tmp_path / "idp.toml").write_text('profile = "provider.json"\n')
    with pytest.raises(
        ConfigError,
        match=r"config file idp\.toml: profile: provider profile provider\.json: unknown choice 'colour'",
    ):
        load(tmp_path / "idp.toml")


# -- authmock serve --profile ----------------------------------------------------------------------


def test_serve_replays_a_profile_and_flags_win(tmp_path: Path) -> None:
    path = write_profile(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    service = Service(parse(["--profile", str(path), "--access-token-ttl", "60"]), out=out, err=err)
    service.start()
    try:
        service.announce()
        issuer = out.getvalue().splitlines()[0]
        body = httpx.post(
            issuer + "/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=("demo-client", "demo-secret"),
        ).json()
        assert (body["token_type"], body["expires_in"]) == ("bearer", 60)
        wrong = httpx.post(
            issuer + "/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=("demo-client", "x"),
        )
        assert wrong.status_code == 400
        (row,) = [
            line for line in out.getvalue().splitlines() if line.strip().startswith("profile")
        ]
        assert row.split() == ["profile", str(path), "(from", "https://login.example.com)"]
        assert service.idp.profile.overridden["access_token_ttl"].explicit_value == 60
    finally:
        service.stop()


def test_serve_reads_the_profile_key_of_its_config(tmp_path: Path) -> None:
    write_profile(tmp_path)
    (tmp_path / "serve.toml").write_text('profile = "provider.json"\n')
    settings = parse(["--config", str(tmp_path / "serve.toml")])
    assert settings.profile is not None
    assert settings.profile.options["token_format"] == "opaque"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {**PROFILE, "profile_version": 0},
            "profile_version 0 is not one this pytest-authmock reads",
        ),
        (
            {**PROFILE, "choices": {"expires_in": {"value": -1}}},
            "choice 'expires_in' must be seconds",
        ),
    ],
)
def test_serve_refuses_a_bad_profile_in_one_line(
    tmp_path: Path, data: object, message: str
) -> None:
    path = write_profile(tmp_path, data=data)
    out, err = io.StringIO(), io.StringIO()
    assert main(["--profile", str(path)], out=out, err=err) == 2
    (line,) = err.getvalue().splitlines()
    assert line.startswith("authmock serve: error: provider profile provider.json: ")
    assert message in line
