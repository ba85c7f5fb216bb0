"""``docs/serve.md`` walks every scenario against a bare ``authmock serve``; its
sessions are run here and must print what the page shows.

After a deliberate change, regenerate the outputs with
``AUTHMOCK_WRITE_DOCS=1 python -m pytest tests/test_serve_walkthrough.py``.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from tests.walkthrough import ROOT, rewrite, run_page

PAGE = ROOT / "docs" / "serve.md"


@pytest.mark.skipif(shutil.which("curl") is None, reason="the page's sessions use curl")
@pytest.mark.skipif(shutil.which("bash") is None, reason="the page's sessions run in bash")
def test_the_page_prints_what_it_shows(tmp_path: Path) -> None:
    page = PAGE.read_text()
    if os.environ.get("AUTHMOCK_WRITE_DOCS"):
        PAGE.write_text(rewrite(page, tmp_path))
        pytest.skip("docs/serve.md rewritten from a fresh run")
    problems = []
    for step, output in run_page(page, tmp_path):
        expected = step.expected.rstrip("\n")
        if output != expected:
            diff = "\n".join(
                difflib.unified_diff(
                    expected.splitlines(), output.splitlines(), "page", "now", lineterm=""
                )
            )
            problems.append(f"docs/serve.md:{step.line}: $ {step.command}\n{diff}")
    assert not problems, "\n\n".join(problems)
