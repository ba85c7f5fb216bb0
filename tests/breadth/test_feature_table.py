"""The feature table of docs/index.md and the provider's metadata say the same thing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from pytest_authmock import FakeIdP

INDEX = Path(__file__).resolve().parents[2] / "docs" / "index.md"
#: Members whose every element must have its own row entry (``member: element``).
ENUMERATED = (
    "grant_types_supported",
    "token_endpoint_auth_methods_supported",
    "response_types_supported",
    "response_modes_supported",
    "code_challenge_methods_supported",
    "subject_types_supported",
)


def table_spans() -> list[str]:
    text = INDEX.read_text(encoding="utf-8")
    section = text.split("## What the fake supports", 1)[1]
    rows = [
        line
        for line in section.splitlines()
        if line.startswith("| ") and not line.startswith("| Standard")
    ]
    spans = []
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 3, f"a feature row has three cells: {row}"
        spans += re.findall(r"`([^`]+)`", cells[2])
    return spans


@pytest.fixture(scope="module")
def metadata() -> dict[str, Any]:
    # Everything the provider can advertise: in-process, with an mTLS alias listener.
    found: dict[str, Any] = FakeIdP(mtls_base_url="https://127.0.0.1:8443").metadata()
    return found


def test_every_entry_is_in_the_metadata(metadata: dict[str, Any]) -> None:
    wrong = []
    for span in table_spans():
        member, _, element = span.partition(": ")
        if member not in metadata:
            wrong.append(f"{span}: no member {member!r}")
        elif element and element not in metadata[member]:
            wrong.append(f"{span}: {member} is {metadata[member]!r}")
    assert not wrong, "docs/index.md names what the metadata does not:\n" + "\n".join(wrong)


def test_everything_advertised_is_in_the_table(metadata: dict[str, Any]) -> None:
    spans = table_spans()
    members = {span.partition(": ")[0] for span in spans}
    missing = sorted(set(metadata) - members)
    for member in ENUMERATED:
        missing += [
            f"{member}: {value}" for value in metadata[member] if f"{member}: {value}" not in spans
        ]
    assert not missing, "the metadata advertises what docs/index.md's table lacks:\n" + "\n".join(
        missing
    )
