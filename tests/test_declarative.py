"""Declarative setup from TOML: the loader, the marker's config=, the ini option, serve's format."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pytest_authmock import FakeIdP
from pytest_authmock.config_file import ConfigError, load

SETUP = """
token_format = "opaque"
access_token_ttl = 600
kid = "tenant-a-2030"
clock_skew = 90
# serve-only keys are allowed and ignored by the fixtures
port = 0
quiet = true

[[clients]]
client_id = "ci-bot"
client_secret = "ci-bot-secret"
grant_types = ["client_credentials"]
claims = { tenant = "acme" }

[[clients]]
client_id = "cli"
client_secret = "cli-secret"
token_format = "jwt"
p12_password = "only-for-serve"

[[users]]
username = "alice"
password = "wonderland"
claims = { role = "admin" }

[[resources]]
url = "/api/me"
scopes = ["read"]

[[faults]]
kind = "fail"
status = 503
endpoint = "token"
times = 1
"""


def _write(tmp_path: Path, text: str, name: str = "setup.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_and_apply(tmp_path: Path) -> None:
    declaration = load(_write(tmp_path, SETUP))
    assert declaration.options == {"token_format": "opaque", "access_token_ttl": 600}
    idp = FakeIdP(**declaration.options)
    declaration.apply(idp)
    assert set(idp.clients) == {"ci-bot", "cli"}
    assert idp.clients["ci-bot"].claims == {"tenant": "acme"}
    assert idp.users["alice"].claims == {"role": "admin"}
    assert [str(r.url) for r in idp.resources] == [idp.issuer + "/api/me"]
    assert idp.keys.kid == "tenant-a-2030"
    assert idp.clock.skew == 90
    assert [f.describe() for f in idp.internals.faults] == ["fail(503, endpoint='token', times=1)"]
    with httpx.Client(transport=httpx.MockTransport(idp.handler)) as http:
        data = {"grant_type": "client_credentials"}
        assert (
            http.post(idp.url_for("token"), data=data, auth=("ci-bot", "ci-bot-secret")).status_code
            == 503
        )
        ok = http.post(idp.url_for("token"), data=data, auth=("cli", "cli-secret"))
        assert ok.json()["access_token"].count(".") == 2  # per-client format wins
        assert ok.json()["expires_in"] == 600


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nonsense = 1", "unknown key 'nonsense'"),
        ("token_format = 'xml'", "token_format must be one of jwt, opaque"),
        ("access_token_ttl = -5", "access_token_ttl must be a whole number"),
        ("kid = 3", "kid must be a non-empty string"),
        ("clock_skew = 'soon'", "clock_skew must be a number"),
        ("[[clients]]\nclient_id = 'x'\ncolour = 'red'", "clients[0] has unknown key 'colour'"),
        ("[[faults]]\nkind = 'explode'", "faults[0].kind must be one of fail, rate_limit"),
        ("clients = 3", "clients must be an array of tables"),
        ("token_format = ", "is not valid TOML"),
    ],
)
def test_bad_files_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(_write(tmp_path, text))
    assert message in str(info.value)


def test_bad_values_fail_when_applied_with_the_table_named(tmp_path: Path) -> None:
    declaration = load(_write(tmp_path, "[[faults]]\nkind = 'fail'\nendpoint = 'nowhere'"))
    with pytest.raises(ConfigError, match=r"setup.toml: faults\[0\]: unknown endpoint 'nowhere'"):
        declaration.apply(FakeIdP())


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load(tmp_path / "absent.toml")


def test_the_marker_and_ini_option_load_the_file(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".toml", setup=SETUP.replace("times = 1", 'times = 1\ngrant_type = "password"')
    )
    pytester.makefile(
        ".toml", other='token_format = "jwt"\n[[users]]\nusername = "bob"\npassword = "pw"\n'
    )
    pytester.makeini("[pytest]\nauthmock_config = other.toml\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.authmock(config="setup.toml", assert_all_faults_fired=False)
        def test_marker(idp):
            assert set(idp.clients) == {"ci-bot", "cli"}
            assert idp.config.token_format == "opaque"
            assert idp.clock.skew == 90

        @pytest.mark.authmock(config="setup.toml", token_format="jwt", assert_all_faults_fired=False)
        def test_marker_options_win_over_the_file(idp_server):
            assert idp_server.config.token_format == "jwt"
            assert idp_server.keys.kid == "tenant-a-2030"
            assert [str(r.url) for r in idp_server.resources] == [idp_server.issuer + "/api/me"]

        def test_ini(idp):
            assert set(idp.users) == {"bob"}
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=3)


def test_a_bad_marker_file_stops_the_run_once(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", broken="colour = 'red'\n")
    pytester.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.authmock(config="broken.toml")

        def test_one(idp):
            pass

        def test_two(idp):
            pass
        """
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    lines = [line for line in result.stderr.lines if "pytest-authmock" in line]
    assert len(lines) == 1, result.stderr.str()
    assert "config file broken.toml: unknown key 'colour'" in lines[0]
    assert "test_one" in lines[0]  # which test's marker names the file


def test_authmock_serve_reads_the_same_file(tmp_path: Path) -> None:
    from pytest_authmock import serve_config

    settings = serve_config.Settings()
    plain = SETUP.split("kid =")[0] + "\n[[clients]]\nclient_id = 'a'\nclient_secret = 'b'\n"
    serve_config.load_config(_write(tmp_path, plain, "plain.toml"), settings)
    assert settings.provider == load(tmp_path / "plain.toml").options


def test_a_bad_ini_config_stops_the_run(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nauthmock_config = missing.toml\n")
    pytester.makepyfile("def test_it(idp):\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*authmock_config: config file *missing.toml' does not exist*"])


# -- the file format and the Python API cannot drift apart -------------------------------


def _keywords(function: object) -> list[str]:
    import inspect

    return [
        name
        for name, parameter in inspect.signature(function).parameters.items()  # type: ignore[arg-type]
        if name != "self" and parameter.kind is not inspect.Parameter.VAR_KEYWORD
    ]


def test_client_keys_are_add_client_arguments() -> None:
    from pytest_authmock import config_file
    from pytest_authmock.provider.registration import ClientOptions

    python = [*_keywords(FakeIdP.add_client), *ClientOptions.__annotations__]
    file_only = {"p12_password"}  # authmock serve's PKCS#12 files
    python_only = set(config_file.PYTHON_ONLY_CLIENT_OPTIONS)
    assert set(config_file.CLIENT_KEYS) - file_only == set(python) - python_only


def test_user_and_resource_keys_are_the_method_arguments() -> None:
    from pytest_authmock import config_file

    assert list(config_file.USER_KEYS) == _keywords(FakeIdP.add_user)
    python_only = {"respond"}  # a Python callable
    assert set(config_file.RESOURCE_KEYS) == set(_keywords(FakeIdP.protect)) - python_only


def test_fault_keys_are_the_fault_methods_arguments() -> None:
    from pytest_authmock import config_file
    from pytest_authmock.provider.faults import FAULT_METHODS
    from pytest_authmock.provider.faults_api import FaultTarget

    methods = set(FAULT_METHODS.values())
    assert set(config_file.FAULT_KINDS) == methods | set(FAULT_METHODS)
    keywords = {name for method in methods for name in _keywords(getattr(FakeIdP, method))}
    keywords |= set(FaultTarget.__annotations__)
    assert set(config_file.FAULT_KEYS) - {"kind"} == keywords


def test_top_level_keys_are_the_provider_options() -> None:
    from pytest_authmock import config_file
    from pytest_authmock.provider.config import ProviderConfig

    provider = set(config_file.TOP_LEVEL_KEYS) - set(config_file.SERVER_KEYS)
    scenario = {"seed", "kid", "clock_skew", "clients", "users", "resources", "faults", "profile"}
    scenario |= {"protocol", "dpop"}  # the provider's setting groups (setting_groups.GROUPS)
    scenario |= {"trusted_issuers"}  # idp.trust_issuer() (config_trust)
    assert provider - scenario == set(ProviderConfig.option_names())
    assert set(ProviderConfig.option_names()) <= set(_keywords(FakeIdP.__init__))


def test_a_fault_kind_may_be_the_journal_name(tmp_path: Path) -> None:
    declaration = load(_write(tmp_path, "[[faults]]\nkind = 'status'\nstatus = 502\ntimes = 1"))
    idp = FakeIdP()
    declaration.apply(idp)
    assert [f.describe() for f in idp.internals.faults] == ["fail(502, times=1)"]
