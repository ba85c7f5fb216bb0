"""The setup file is checked once, at start-up, and its JSON Schema cannot drift from it."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import pytest

from pytest_authmock import config_file, config_schema
from pytest_authmock.config_file import ConfigError, check

jsonschema = pytest.importorskip("jsonschema")

EXAMPLES = Path(__file__).parent.parent / "examples"
BAD_GRANTS = (
    '[[clients]]\nclient_id = "ci-bot"\nclient_secret = "s"\ngrant_types = "client_credentials"\n'
)


def test_check_applies_the_tables_values(tmp_path: Path) -> None:
    path = tmp_path / "setup.toml"
    path.write_text(BAD_GRANTS)
    config_file.load(path)  # the keys are fine; the value is what the call refuses
    with pytest.raises(ConfigError, match=r"setup.toml: clients\[0\]: grant_types must be a list"):
        check(path)


def test_a_bad_value_in_the_ini_file_is_one_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", setup=BAD_GRANTS)
    pytester.makeini("[pytest]\nauthmock_config = setup.toml\n")
    pytester.makepyfile(
        "\n".join(f"def test_{n}(idp):\n    pass\n" for n in ("one", "two", "three"))
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR")]
    assert errors == [
        "ERROR: pytest-authmock ini option authmock_config: config file setup.toml: "
        "clients[0]: grant_types must be a list of names, not the string 'client_credentials'"
    ]
    assert "test_one" not in result.stdout.str()


def test_a_good_marker_file_runs_the_tests(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".toml", setup=BAD_GRANTS.replace('"client_credentials"', '["client_credentials"]')
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.authmock(config="setup.toml")
        def test_it(idp):
            assert idp.clients["ci-bot"].grant_types == {"client_credentials"}
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


# -- the JSON Schema --------------------------------------------------------------------


def test_the_published_schema_is_the_generated_one() -> None:
    assert config_schema.SCHEMA_PATH.read_text(encoding="utf-8") == config_schema.render(), (
        "regenerate it: python -m pytest_authmock.config_schema"
    )


def test_the_schema_names_exactly_the_keys_config_file_accepts() -> None:
    schema = config_schema.schema()
    tables = {"clients", "users", "resources", "faults"}
    assert set(schema["properties"]) == set(config_file.TOP_LEVEL_KEYS)
    for table, keys in {
        "clients": config_file.CLIENT_KEYS,
        "users": config_file.USER_KEYS,
        "resources": config_file.RESOURCE_KEYS,
        "faults": config_file.FAULT_KEYS,
    }.items():
        assert table in tables
        assert set(schema["properties"][table]["items"]["properties"]) == set(keys)
    assert schema["additionalProperties"] is False


def test_a_key_without_a_type_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(config_schema.ACCEPTED_KEYS, "users", (*config_file.USER_KEYS, "new_key"))
    with pytest.raises(LookupError, match=r"\[users\].*keys without a type \['new_key'\]"):
        config_schema.schema()


SETUP_FILES = sorted(p for p in EXAMPLES.rglob("*.toml") if p.name != "taplo.toml")


@pytest.mark.parametrize("path", SETUP_FILES, ids=lambda p: p.name)
def test_the_example_files_pass_the_schema_and_the_check(path: Path) -> None:
    data = config_file.read_toml(path)
    jsonschema.Draft202012Validator(config_schema.schema()).validate(data)
    check(path)
    first = path.read_text(encoding="utf-8").splitlines()[0]
    if first.startswith("#:schema"):
        assert first == f"#:schema {config_schema.SCHEMA_URL}"


def test_the_taplo_recipe_maps_the_example_files_to_the_schema() -> None:
    recipe = config_file.read_toml(EXAMPLES / "multi_tenant" / "taplo.toml")
    (rule,) = recipe["rule"]
    assert rule["schema"]["path"] == config_schema.SCHEMA_URL
    names = {p.relative_to(EXAMPLES.parent).as_posix() for p in SETUP_FILES}
    matched = {n for n in names if any(fnmatch.fnmatch(n, g) for g in rule["include"])}
    assert "examples/multi_tenant/tenant-a.toml" in matched
    assert "examples/subprocess_cli/authmock.toml" in matched


@pytest.mark.parametrize(
    "text",
    [BAD_GRANTS, "colour = 'red'\n", "token_format = 'paseto'\n", "[[faults]]\nkind = 'explode'\n"],
)
def test_what_the_check_refuses_the_schema_refuses(tmp_path: Path, text: str) -> None:
    path = tmp_path / "setup.toml"
    path.write_text(text)
    with pytest.raises(ConfigError):
        check(path)
    errors = list(
        jsonschema.Draft202012Validator(config_schema.schema()).iter_errors(
            config_file.read_toml(path)
        )
    )
    assert errors


def test_the_schema_is_json() -> None:
    assert json.loads(config_schema.SCHEMA_PATH.read_text(encoding="utf-8"))["title"]
