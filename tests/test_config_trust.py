"""The setup file's ``[[trusted_issuers]]`` tables: each bad table's one error, the JWKS
file beside the setup file, the JSON Schema agreeing, and the tables applied."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from pytest_authmock import config_schema
from pytest_authmock.config_file import ConfigError, check, load, read_toml
from pytest_authmock.provider.idp import FakeIdP

KEY = ECKey.generate_key("P-256", parameters={"kid": "ci-1"}, private=True)
PUBLIC = json.dumps(KEY.as_dict(private=False))
PRIVATE = KEY.as_dict(private=True)
HEAD = "[[trusted_issuers]]\nissuer = 'https://ci.example'\n"


def _inline(key: dict[str, Any]) -> str:
    members = ", ".join(f"{name} = {json.dumps(value)}" for name, value in key.items())
    return f"jwks = {{ keys = [{{ {members} }}] }}\n"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "setup.toml"
    path.write_text(text)
    return path


def _schema_errors(path: Path) -> list[Any]:
    validator = jsonschema.Draft202012Validator(config_schema.schema())
    return list(validator.iter_errors(read_toml(path)))


W = "config file setup.toml: trusted_issuers[0]"
#: (table text, the error, whether the JSON Schema sees it too)
BAD_TABLES = [
    ("[[trusted_issuers]]\njwks_uri = 'https://ci.example/jwks'\n",
     f"{W} needs issuer (the URL its tokens carry in 'iss')", True),
    ("[[trusted_issuers]]\nissuer = 'ci'\njwks_uri = 'https://ci.example/jwks'\n",
     f"{W}.issuer must be an http(s) URL; got 'ci'", True),
    (HEAD, f"{W} needs exactly one of jwks (its public JWKS: inline, or a JSON file relative "
     "to the setup file) and jwks_uri (where its JWKS is served)", True),
    (HEAD + "jwks_uri = 'https://ci.example/jwks'\njwks = 'ci.json'\n",
     f"{W} needs exactly one of jwks", True),
    (HEAD + "jwks_uri = 'ftp://ci.example/jwks'\n",
     f"{W}.jwks_uri must be an http(s) URL; got 'ftp://ci.example/jwks'", True),
    (HEAD + "jwks = 5\n", f"{W}.jwks must be a JWKS table, or a JSON file name; got 5", True),
    (HEAD + "jwks = { keys = [] }\n",
     f"{W}.jwks must be a JWKS: an object with a non-empty 'keys' list", True),
    (HEAD + "jwks = { keys = [3] }\n", f"{W}.jwks: keys[0] must be a JWK (an object)", True),
    (HEAD + _inline(PRIVATE),
     f"{W}.jwks: keys[0] (kid 'ci-1') is a private or symmetric key (it has 'd'); a trusted "
     "issuer's keys are public: give the JWKS it publishes", True),
    (HEAD + "jwks = { keys = [{ kty = 'oct', k = 'c2VjcmV0' }] }\n",
     f"{W}.jwks: keys[0] is a private or symmetric key (it has 'k')", True),
    (HEAD + "jwks = { keys = [{ kty = 'EC', crv = 'P-256', x = 'bad' }] }\n",
     f"{W}.jwks holds a key joserfc cannot import", False),
    (HEAD + "jwks = 'missing.jwks.json'\n",
     f"{W}.jwks: the JWKS file '{{tmp}}/missing.jwks.json' does not exist (a name is relative "
     "to the setup file)", False),
    (HEAD + "jwks = 'not-json.txt'\n", f"{W}.jwks: '{{tmp}}/not-json.txt' is not JSON", False),
    (HEAD + "jwks = 'huge.json'\n", f"{W}.jwks: '{{tmp}}/huge.json' is over 1048576 bytes", False),
    (HEAD + "jwks = 'a-dir'\n", f"{W}.jwks: cannot read '{{tmp}}/a-dir': Is a directory", False),
    (HEAD + "jwks_uri = 'https://ci.example/jwks'\naudience = 3\n",
     f"{W}.audience must be a non-empty string; got 3", True),
    (HEAD + "jwks_uri = 'https://ci.example/jwks'\ncopy_claims = 'repository'\n",
     f"{W}.copy_claims must be a list of claim names; got 'repository'", True),
    (HEAD + "jwks_uri = 'https://ci.example/jwks'\ncopy_claims = ['sub', '']\n",
     f"{W}.copy_claims[1] must be a non-empty string; got ''", True),
    (HEAD + "jwks_uri = 'https://ci.example/jwks'\nkeys = 1\n",
     f"{W} has unknown key 'keys'; known keys: issuer, jwks, jwks_uri, audience, copy_claims",
     True),
    ("[trusted_issuers]\nissuer = 'https://ci.example'\n",
     "config file setup.toml: trusted_issuers must be an array of tables ([[trusted_issuers]])",
     True),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message", "schema_sees_it"), BAD_TABLES)
def test_each_bad_table_is_one_error_naming_file_index_and_key(
    tmp_path: Path, text: str, message: str, schema_sees_it: bool
) -> None:
    (tmp_path / "not-json.txt").write_text("{not json")
    (tmp_path / "huge.json").write_text(" " * (1 << 20) + "{}")
    (tmp_path / "a-dir").mkdir()
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert str(caught.value).startswith(message.replace("{tmp}", str(tmp_path)))
    assert PRIVATE["d"] not in str(caught.value)
    assert bool(_schema_errors(path)) is schema_sees_it


def test_the_index_names_the_table(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        HEAD + "jwks_uri = 'https://ci.example/jwks'\n\n"
        "[[trusted_issuers]]\nissuer = 'https://sa.example'\njwks_uri = 'jwks'\n",
    )
    with pytest.raises(ConfigError, match=r"trusted_issuers\[1\]\.jwks_uri must be an http"):
        load(path)


def _assertion(issuer: str = "https://ci.example", **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": issuer, "sub": "runner", "iat": now, "exp": now + 60, **claims}
    return jwt.encode({"alg": "ES256", "kid": "ci-1"}, payload, KEY)


def _jwt_bearer(idp: FakeIdP, assertion: str) -> Any:
    import httpx

    client = idp.add_client(grant_types=["urn:ietf:params:oauth:grant-type:jwt-bearer"])
    with httpx.Client(transport=httpx.MockTransport(idp.handler)) as http:
        return http.post(
            idp.url_for("token"),
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": assertion,
            },
            auth=(client.client_id, client.client_secret or ""),
        )


def test_a_jwks_file_and_an_inline_jwks_are_applied(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    keys_dir.mkdir()
    (keys_dir / "ci.jwks.json").write_text(f'{{"keys": [{PUBLIC}]}}')
    path = _write(
        tmp_path,
        HEAD + "jwks = 'keys/ci.jwks.json'\naudience = 'https://platform.example'\n"
        "copy_claims = ['repository']\n\n"
        "[[trusted_issuers]]\nissuer = 'https://sa.example'\n" + _inline(KEY.as_dict()),
    )
    assert not _schema_errors(path)
    declaration = check(path)
    idp = FakeIdP()
    declaration.apply(idp)
    trusted = idp.trusted_issuers
    assert list(trusted) == ["https://ci.example", "https://sa.example"]
    assert trusted["https://ci.example"].audience == "https://platform.example"
    assert trusted["https://ci.example"].copy_claims == ("repository",)
    assert [key.kid for key in trusted["https://sa.example"].jwks] == ["ci-1"]

    answer = _jwt_bearer(idp, _assertion(aud="https://platform.example", repository="acme/app"))
    assert answer.status_code == 200, answer.text
    check_ = idp.check_bearer(f"Bearer {answer.json()['access_token']}")
    assert check_.token is not None
    assert (check_.token.sub, check_.token.claims["repository"]) == ("runner", "acme/app")
    # Without audience=, the audience is this provider.
    refused = _jwt_bearer(idp, _assertion("https://sa.example", aud="https://platform.example"))
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")
    accepted = _jwt_bearer(idp, _assertion("https://sa.example", aud=idp.issuer))
    assert accepted.status_code == 200, accepted.text


def test_the_marker_config_and_the_ini_option_apply_the_tables(pytester: pytest.Pytester) -> None:
    (pytester.path / "ci.jwks.json").write_text(f'{{"keys": [{PUBLIC}]}}')
    pytester.makefile(".toml", setup=HEAD + "jwks = 'ci.jwks.json'\n")
    pytester.makeini("[pytest]\nauthmock_config = setup.toml\n")
    pytester.makepyfile(
        """
        import pytest

        def test_from_ini(idp):
            assert list(idp.trusted_issuers) == ["https://ci.example"]

        @pytest.mark.authmock(config="setup.toml")
        def test_from_marker(idp_server):
            assert list(idp_server.trusted_issuers) == ["https://ci.example"]
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_a_bad_table_in_the_marker_stops_the_run_with_the_message(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".toml", setup=HEAD + _inline(PRIVATE))
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.authmock(config="setup.toml")
        def test_it(idp):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    assert result.ret != 0
    result.stderr.fnmatch_lines(
        ["*config file setup.toml: trusted_issuers[[]0[]].jwks: keys[[]0[]] (kid 'ci-1') is a "
         "private or symmetric key (it has 'd'); a trusted issuer's keys are public*"]
    )  # fmt: skip
    assert PRIVATE["d"] not in result.stdout.str() + result.stderr.str()


def test_the_docs_list_every_key() -> None:
    import re

    from pytest_authmock import config_trust

    docs = Path(__file__).resolve().parent.parent / "docs"
    row = next(
        line
        for line in (docs / "serve.md").read_text().splitlines()
        if line.startswith("| `[[trusted_issuers]]` |")
    )
    assert re.findall(r"`(\w+)`", row.split("|")[2]) == list(config_trust.KEYS)
    page = (docs / "token-exchange.md").read_text()
    section = page.split("## From a setup file", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"^\| `(\w+)` \|", section, re.M) == list(config_trust.KEYS)
