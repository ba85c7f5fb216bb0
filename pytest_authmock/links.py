"""Where the project lives online: the pages that messages and ``pytest --help`` point to.

The same addresses are the ``[project.urls]`` of ``pyproject.toml`` (a test keeps
the two in step), so a message's link and the package index's link never disagree.
"""

from __future__ import annotations

DOCUMENTATION = "https://pytest-authmock.readthedocs.io/en/latest/"
SOURCE = "https://github.com/pytest-authmock/pytest-authmock"
ISSUES = f"{SOURCE}/issues"


def docs(page: str, anchor: str = "") -> str:
    """The published address of ``docs/<page>.md`` (mkdocs' directory URLs), at ``#anchor``."""
    return f"{DOCUMENTATION}{page}/" + (f"#{anchor}" if anchor else "")


#: The marker, the ini options and the fixtures.
REFERENCE = docs("reference")
#: What the teardown check reports and how to opt out of each part.
TEARDOWN = docs("faults", "the-teardown-check")
#: What ``idp`` takes over, and what happens to every other request.
UNROUTED = docs("other-mocks", "what-idp-takes-over")

__all__ = ["DOCUMENTATION", "ISSUES", "REFERENCE", "SOURCE", "TEARDOWN", "UNROUTED", "docs"]
