"""``idp.protocol_settings`` and ``idp.dpop_settings`` from the setup file's ``[protocol]``
and ``[dpop]`` tables and from the marker's ``protocol=`` and ``dpop=``: one set of
keys (the dataclasses' fields), one check, the same messages, and each value's effect."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_authmock import FakeIdP, config_file, config_schema, setting_groups
from pytest_authmock.provider.dpop import DPoPSettings
from pytest_authmock.provider.limits import MAX_LIFETIME
from pytest_authmock.provider.protocol_state import ProtocolSettings
from tests import settings_effects as probe

pytest_plugins = ["pytester"]

TOKEN = "initial-Access-token_1"
APP = ("app", "app-secret")


def _app(idp: FakeIdP) -> None:
    idp.add_client(
        client_id=APP[0],
        client_secret=APP[1],
        redirect_uris=[probe.REDIRECT_URI],
        grant_types=["authorization_code", "client_credentials"],
    )


@pytest.fixture
def http_to() -> Iterator[Any]:
    clients: list[httpx.Client] = []

    def make(idp: FakeIdP) -> httpx.Client:
        clients.append(httpx.Client(transport=httpx.MockTransport(idp.handler)))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


# -- the keys ------------------------------------------------------------------------------


def test_the_keys_are_the_dataclass_fields_and_the_token_is_the_secret() -> None:
    assert setting_groups.keys("protocol") == tuple(
        f.name for f in dataclasses.fields(ProtocolSettings)
    )
    assert setting_groups.keys("dpop") == tuple(f.name for f in dataclasses.fields(DPoPSettings))
    assert setting_groups.secrets_of("protocol") == ("initial_access_token",)
    assert setting_groups.secrets_of("dpop") == ()
    assert TOKEN not in repr(ProtocolSettings(initial_access_token=TOKEN))
    for group in setting_groups.GROUPS:
        for key in setting_groups.keys(group):
            setting_groups.kind(group, key)  # every field's type has a kind


def test_a_new_field_without_a_description_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(setting_groups.DESCRIPTIONS, "dpop", {"require_nonce": "x"})
    with pytest.raises(LookupError, match="out of step"):
        setting_groups.keys("dpop")


# -- the setup file --------------------------------------------------------------------------


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "setup.toml"
    path.write_text(text)
    return path


def test_the_file_tables_take_effect(tmp_path: Path, http_to: Any) -> None:
    path = _file(
        tmp_path,
        f"""
        [protocol]
        initial_access_token = "{TOKEN}"
        require_pushed_authorization_requests = true
        request_uri_ttl = 30
        resources = ["https://api.example/"]

        [dpop]
        require_nonce = true
        proof_window = 20
        """,
    )
    declaration = config_file.check(path)
    assert declaration.settings["dpop"] == {"require_nonce": True, "proof_window": 20}
    idp = FakeIdP()
    _app(idp)
    declaration.apply(idp)
    assert idp.protocol_settings.request_uri_ttl == 30
    assert idp.protocol_settings.resources == ("https://api.example/",)
    assert idp.dpop_settings.proof_window == 20
    http = http_to(idp)
    refused = probe.register(http, idp.issuer)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_token"
    assert probe.register(http, idp.issuer, token="wrong").status_code == 401
    assert probe.register(http, idp.issuer, token=TOKEN).status_code == 201
    assert probe.refuses_plain_requests(http, idp.issuer, APP[0])
    assert probe.demands_dpop_nonce(http, idp.issuer, APP)


def test_without_the_tables_the_defaults_hold(tmp_path: Path, http_to: Any) -> None:
    idp = FakeIdP()
    _app(idp)
    config_file.check(_file(tmp_path, 'kid = "k1"\n')).apply(idp)
    http = http_to(idp)
    assert probe.register(http, idp.issuer).status_code == 201
    assert not probe.refuses_plain_requests(http, idp.issuer, APP[0])
    assert not probe.demands_dpop_nonce(http, idp.issuer, APP)


def test_switches_off_hide_the_endpoints(tmp_path: Path, http_to: Any) -> None:
    path = _file(
        tmp_path,
        "[protocol]\ndynamic_registration = false\npushed_authorization_requests = false\n"
        "end_session = false\n",
    )
    idp = FakeIdP()
    config_file.check(path).apply(idp)
    found = probe.metadata(http_to(idp), idp.issuer)
    for member in (
        "registration_endpoint",
        "pushed_authorization_request_endpoint",
        "end_session_endpoint",
    ):
        assert member not in found


BAD_TABLES = [
    (
        "[protocol]\nrequire_pushed_authorization_requests = 'yes'\n",
        "protocol.require_pushed_authorization_requests must be true or false; got 'yes'",
    ),
    ("[dpop]\nrequire_nonces = true\n", "dpop has unknown key 'require_nonces'; known keys: "),
    ("protocol = 5\n", "protocol must be a table of settings; got 5"),
    ("[[dpop]]\nrequire_nonce = true\n", "dpop must be a table of settings; got [{"),
    (
        "[dpop]\nproof_window = 0\n",
        "dpop.proof_window must be a positive whole number of seconds from 1 to",
    ),
    (
        f"[protocol]\nrequest_uri_ttl = {MAX_LIFETIME + 1}\n",
        "protocol.request_uri_ttl must be a positive whole number of seconds",
    ),
    ("[dpop]\nnonce_lifetime = 1.5\n", "dpop.nonce_lifetime must be a positive whole number"),
    (
        "[protocol]\nresources = ['https://api.example/', 'relative']\n",
        "protocol.resources[1] is refused: resource 'relative' must be an absolute URI",
    ),
    (
        "[protocol]\nresources = 'https://api.example/'\n",
        "protocol.resources must be a list of absolute URIs",
    ),
    ("[protocol]\ninitial_access_token = 42\n", "protocol.initial_access_token must be a string"),
]


@pytest.mark.parametrize(("text", "message"), BAD_TABLES)
def test_a_bad_table_names_the_file_the_table_and_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(config_file.ConfigError) as caught:
        config_file.load(_file(tmp_path, text))
    assert str(caught.value).startswith(f"config file setup.toml: {message}")


def test_a_bad_token_is_refused_without_being_shown(tmp_path: Path) -> None:
    secret = "has spaces and a SECRET"
    path = _file(tmp_path, f'[protocol]\ninitial_access_token = "{secret}"\n')
    with pytest.raises(config_file.ConfigError) as caught:
        config_file.load(path)
    assert "protocol.initial_access_token may only hold letters, digits" in str(caught.value)
    assert "SECRET" not in str(caught.value)


def test_the_schema_types_the_tables_from_the_same_fields(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = config_schema.schema()
    for group in setting_groups.GROUPS:
        table = schema["properties"][group]
        assert list(table["properties"]) == list(setting_groups.keys(group))
        assert table["additionalProperties"] is False
    validator = jsonschema.Draft202012Validator(schema)
    good = {"protocol": {"initial_access_token": TOKEN, "request_uri_ttl": 5}, "dpop": {}}
    assert not list(validator.iter_errors(good))
    for bad in (
        {"dpop": {"require_nonce": "yes"}},
        {"dpop": {"unknown": 1}},
        {"protocol": {"request_uri_ttl": 0}},
        {"protocol": {"initial_access_token": "has space"}},
    ):
        assert list(validator.iter_errors(bad)), bad


# -- the marker -----------------------------------------------------------------------------


@pytest.mark.authmock(
    protocol={"initial_access_token": TOKEN, "require_pushed_authorization_requests": True},
    dpop={"require_nonce": True},
)
def test_the_marker_settings_take_effect(provider: Any, http: httpx.Client) -> None:
    # Over both transports: the in-process idp and the loopback idp_server.
    _app(provider)
    assert probe.register(http, provider.issuer).status_code == 401
    assert probe.register(http, provider.issuer, token=TOKEN).status_code == 201
    assert probe.refuses_plain_requests(http, provider.issuer, APP[0])
    assert probe.demands_dpop_nonce(http, provider.issuer, APP)


@pytest.mark.authmock(dpop={"require_nonce": True}, protocol={"end_session": False})
def test_factory_providers_follow_the_marker(idp_factory: Any) -> None:
    made = idp_factory("https://tenant-b.idp.test")
    assert made.dpop_settings.require_nonce is True
    assert made.protocol_settings.end_session is False


@pytest.mark.authmock(protocol={"end_session": False, "request_uri_ttl": 10})
class TestMarkersMergePerKey:
    @pytest.mark.authmock(protocol={"request_uri_ttl": 20})
    def test_the_closest_marker_wins_per_key(self, idp: FakeIdP) -> None:
        assert idp.protocol_settings.end_session is False  # the class's key stays
        assert idp.protocol_settings.request_uri_ttl == 20  # the test's own wins
        assert idp.dpop_settings == DPoPSettings()

    def test_the_class_marker_alone(self, idp: FakeIdP) -> None:
        assert idp.protocol_settings.request_uri_ttl == 10


def test_the_marker_wins_over_the_file_per_key(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", setup="[dpop]\nproof_window = 30\nnonce_lifetime = 90\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.authmock(config="setup.toml", dpop={"proof_window": 5})
        def test_both(idp):
            assert idp.dpop_settings.proof_window == 5
            assert idp.dpop_settings.nonce_lifetime == 90

        def test_ini_file(idp):
            assert idp.dpop_settings.proof_window == 30
        """
    )
    pytester.makeini("[pytest]\nauthmock_config = setup.toml\n")
    pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly").assert_outcomes(passed=2)


def test_a_bad_marker_value_fails_with_the_files_message(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.authmock(dpop={"require_nonce": "yes"})
        def test_type(idp):
            pass

        @pytest.mark.authmock(protocol={"end_sessions": False})
        def test_key(idp):
            pass

        @pytest.mark.authmock(protocol=["end_session"])
        def test_table(idp):
            pass

        @pytest.mark.authmock(protocol={"initial_access_token": "a SECRET b"})
        def test_secret(idp):
            pass

        def test_no_ini_option(pytestconfig):
            with pytest.raises(ValueError):
                pytestconfig.getini("authmock_protocol")
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=4)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.authmock option dpop.require_nonce must be true or false; got 'yes'",
            "*@pytest.mark.authmock option protocol has unknown key 'end_sessions'; known keys: *",
            "*@pytest.mark.authmock option protocol must be a table of settings; got ?'end_session'?",
            "*@pytest.mark.authmock option protocol.initial_access_token may only hold letters*",
        ]
    )
    assert "SECRET" not in result.stdout.str().replace('"a SECRET b"', "")


# -- the docs --------------------------------------------------------------------------------


@pytest.mark.parametrize("group", setting_groups.GROUPS)
def test_the_docs_tables_list_every_key(group: str) -> None:
    docs = Path(__file__).resolve().parent.parent / "docs"
    serve_row = next(
        line
        for line in (docs / "serve.md").read_text().splitlines()
        if line.startswith(f"| `[{group}]` |")
    )
    assert re.findall(r"`(\w+)`", serve_row.split("|")[2]) == list(setting_groups.keys(group))
    marker_row = next(
        line
        for line in (docs / "reference.md").read_text().splitlines()
        if line.startswith(f"| `{group}` |")
    )
    listed = re.findall(r"`(\w+)`", marker_row.split("|")[3].split("(marker only")[0])
    assert listed == list(setting_groups.keys(group))
