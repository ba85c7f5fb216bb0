"""Documentation that cannot rot: README samples are the tested example files."""

from __future__ import annotations

import re
from pathlib import Path

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
    for page in (ROOT / "docs").rglob("*.md"):
        for target in re.findall(r'--8<-- "([^"]+)"', page.read_text()):
            assert (ROOT / target.split(":")[0]).is_file(), f"{page.name} embeds missing {target}"
