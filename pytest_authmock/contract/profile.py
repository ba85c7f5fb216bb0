"""Writing a provider profile: the run's choices as a versioned JSON document.

``--authmock-contract-profile PATH`` writes, at the end of the run, every choice
the suite knows: its value and the evidence (request, status, error code,
field) where the run observed it, ``"observed": false`` and the reason where it
did not. Nothing is guessed: an unobserved choice leaves the fake's own answer
in place when the profile is replayed (``@pytest.mark.authmock(profile=...)``,
``authmock serve --profile``). The format is ``profile.schema.json`` in
``pytest_authmock/provider/``.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from pytest_authmock._version import __version__
from pytest_authmock.contract.choices import SPECS, Choices

__all__ = ["PROFILE_VERSION", "profile_document", "write_profile"]

#: Must match pytest_authmock.provider.profile.PROFILE_VERSION (a test checks it).
PROFILE_VERSION = 1


def profile_document(
    choices: Choices, issuer: str, *, now: datetime.datetime | None = None
) -> dict[str, Any]:
    """The profile of the provider at ``issuer``, from this run's ``choices``."""
    when = (now or datetime.datetime.now(datetime.timezone.utc)).astimezone(datetime.timezone.utc)
    entries: dict[str, Any] = {}
    for key in SPECS:
        recorded = choices.items.get(key)
        if recorded is not None:
            entries[key] = {"value": recorded.value, "evidence": recorded.evidence}
        else:
            entries[key] = {"observed": False, "reason": choices.reason(key)}
    return {
        "profile_version": PROFILE_VERSION,
        "issuer": issuer,
        "recorded_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "recorded_with": f"pytest-authmock {__version__}",
        "choices": entries,
    }


def write_profile(path: Path, document: dict[str, Any]) -> None:
    """Write ``document`` with one line per choice, so that a diff of two recordings names them."""
    head = {name: value for name, value in document.items() if name != "choices"}
    lines = [
        f"  {json.dumps(name)}: {json.dumps(value, ensure_ascii=False)},"
        for name, value in head.items()
    ]
    entries = [
        f"    {json.dumps(key)}: {json.dumps(entry, ensure_ascii=False)}"
        for key, entry in document["choices"].items()
    ]
    text = "{\n" + "\n".join(lines) + '\n  "choices": {\n' + ",\n".join(entries) + "\n  }\n}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
