"""Documentation that cannot rot: README samples are the tested example files."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_readme_quickstart_is_the_tested_example() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    example = (ROOT / "examples/quickstart/test_quickstart.py").read_text()
    assert example in blocks


def test_readme_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```sh\n(.*?)```", readme, flags=re.S)
    assert first_block is not None
    commands = [
        line for line in first_block.group(1).splitlines() if line and not line.startswith("#")
    ]
    assert len(commands) == 2
    assert commands[0].endswith("authmock serve")
    ci = (ROOT / ".ci/run").read_text()
    assert commands[1] in ci


def test_every_snippet_in_the_docs_exists() -> None:
    for page in [*(ROOT / "docs").rglob("*.md"), ROOT / "README.md"]:
        for target in re.findall(r'--8<-- "([^"]+)"', page.read_text()):
            path, *section = target.split(":")
            assert (ROOT / path).is_file(), f"{page.name} embeds missing {target}"
            if not section:
                continue
            text = (ROOT / path).read_text()
            if all(part.isdigit() for part in section):  # a line range
                assert int(section[-1]) <= len(text.splitlines()), f"{page.name}: {target}"
                continue
            (name,) = section
            for marker in (f"--8<-- [start:{name}]", f"--8<-- [end:{name}]"):
                assert text.count(marker) == 1, f"{page.name} embeds {target}: {marker!r}"
            start = text.index(f"--8<-- [start:{name}]")
            assert start < text.index(f"--8<-- [end:{name}]"), f"{page.name}: {target}"


# -- reference.md states what the code does ----------------------------------------------


def _reference() -> str:
    return (ROOT / "docs/reference.md").read_text()


def test_the_marker_table_lists_every_option() -> None:
    from pytest_authmock.fixture_options import MARKER_OPTIONS, SERVER_OPTIONS

    listed = re.findall(r"^\| `(\w+)` \|", _reference().split("## Seeds")[0], flags=re.M)
    assert set(listed) == {*MARKER_OPTIONS, *SERVER_OPTIONS}


def test_the_endpoint_table_and_url_for_name_every_endpoint() -> None:
    from pytest_authmock.provider.routes import FAULT_ENDPOINTS

    text = _reference()
    table = text.split("## Endpoints")[1].split("##")[0]
    names = [name for name in FAULT_ENDPOINTS if name != "resource"]
    assert re.findall(r"^\| `(\w+)` \|", table, flags=re.M) == names
    url_for_row = next(line for line in text.splitlines() if line.startswith("| `url_for("))
    assert re.findall(r"`(\w+)`", url_for_row.split("|")[2]) == names


def test_the_quoted_grant_error_is_the_real_one() -> None:
    from pytest_authmock.provider.idp import FakeIdP

    with pytest.raises(ValueError, match="unknown grant type") as raised:
        FakeIdP().add_client(grant_types=["implicit"])
    assert f"`ValueError: {raised.value}`" in " ".join(_reference().split())


# -- inline fragments: what is not embedded from examples/ must still be true -------------

PAGES = [*(ROOT / "docs").rglob("*.md"), ROOT / "README.md"]


def _inline_blocks(language: str) -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        text = page.read_text()
        for match in re.finditer(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M):
            if "--8<--" not in match.group(1):
                line = text[: match.start()].count("\n") + 1
                found.append((f"{page.relative_to(ROOT)}:{line}", match.group(1)))
    return found


def _parse_fragment(code: str) -> ast.AST:
    # Fragments may be bodies of a test (a bare ``await``), or entries of a dict
    # literal shown in place; parse them as what they stand for.
    body = "\n".join("    " + line for line in code.splitlines())
    try:
        return ast.parse(f"async def fragment():\n{body}")
    except SyntaxError:
        return ast.parse(f"{{\n{body}\n}}")


@pytest.mark.parametrize(
    ("where", "code"), _inline_blocks("python"), ids=[w for w, _ in _inline_blocks("python")]
)
def test_inline_python_fragments_parse_and_name_real_idp_members(where: str, code: str) -> None:
    from pytest_authmock import FakeIdP

    used = {
        node.attr
        for node in ast.walk(_parse_fragment(code))
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in ("idp", "idp_server")
    }
    idp = FakeIdP()
    missing = sorted(name for name in used if not hasattr(idp, name))
    assert not missing, f"{where} uses idp.{missing[0]}, which FakeIdP does not have"


@pytest.mark.parametrize(
    ("where", "code"), _inline_blocks("toml"), ids=[w for w, _ in _inline_blocks("toml")]
)
def test_inline_toml_fragments_are_valid_setup_files(where: str, code: str, tmp_path: Path) -> None:
    from pytest_authmock.config_file import check

    path = tmp_path / "fragment.toml"
    path.write_text(code)
    check(path)


def test_the_serve_page_lists_every_table_key() -> None:
    from pytest_authmock import config_file

    text = (ROOT / "docs/serve.md").read_text()
    tables = {
        "clients": config_file.CLIENT_KEYS,
        "users": config_file.USER_KEYS,
        "resources": config_file.RESOURCE_KEYS,
    }
    for table, keys in tables.items():
        row = next(line for line in text.splitlines() if line.startswith(f"| `[[{table}]]` |"))
        listed = re.findall(r"`(\w+)`", row.split("|")[2])
        assert listed == list(keys), f"serve.md's [[{table}]] row"
    fault_row = next(line for line in text.splitlines() if line.startswith("| `[[faults]]` |"))
    methods = {kind for kind in config_file.FAULT_KINDS if kind.isidentifier()}
    assert set(re.findall(r"`(\w+)`", fault_row.split("|")[2])) - {"kind"} <= methods
