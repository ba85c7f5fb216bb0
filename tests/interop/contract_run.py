"""Run the shipped contract suite in-process (pytester) and read its outcome per check."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

# Imported here, before any in-process run: pytester drops the modules a run
# imported, and joserfc imported afresh no longer matches cryptography's
# classes ("Expected instance of hashes.HashAlgorithm") in the next run.
import pytest_authmock.contract.conftest
import pytest_authmock.contract.jwts  # noqa: F401

BASE = (
    "--pyargs",
    "pytest_authmock.contract",
    "-p",
    "no:cacheprovider",
    "-p",
    "no:randomly",
    # Faker's plugin re-imports its locales in every in-process run.
    "-p",
    "no:faker",
)


@dataclasses.dataclass
class ContractRun:
    #: "test_file.py::test_name" -> (outcome, the skip reason or failure text)
    outcomes: dict[str, tuple[str, str]]
    choices: dict[str, dict[str, str | None]]

    def named(self, outcome: str) -> dict[str, str]:
        return {name: text for name, (seen, text) in self.outcomes.items() if seen == outcome}

    @property
    def passed(self) -> set[str]:
        return set(self.named("passed"))

    @property
    def skipped(self) -> dict[str, str]:
        return self.named("skipped")

    @property
    def failed(self) -> dict[str, str]:
        return self.named("failed")

    def report(self) -> str:
        """Every check's outcome, for an assertion message."""
        return "\n".join(
            f"{outcome:8} {name}: {_gist(text)}"
            for name, (outcome, text) in sorted(self.outcomes.items())
        )


def _gist(text: str) -> str:
    """The line that says why: a skip reason, or a failure's first ``E`` line."""
    errors = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    return errors[0] if errors else (text.splitlines() or [""])[-1]


def _text(report: Any) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr) if report.longrepr else ""


def run_contract(pytester: pytest.Pytester, *args: str) -> ContractRun:
    """Run ``pytest --pyargs pytest_authmock.contract *args`` and collect each check's outcome."""
    choices_file = pytester.path / "choices.json"
    recorder = pytester.inline_run(
        *BASE, *args, "--authmock-contract-choices-json", str(choices_file)
    )
    outcomes: dict[str, tuple[str, str]] = {}
    for report in recorder.getreports("pytest_runtest_logreport"):
        name = report.nodeid.rpartition("contract/")[2]
        if report.when == "teardown" and report.failed:
            outcomes[name] = ("failed", _text(report))
        elif report.when == "call" or report.outcome != "passed":
            # A setup that skipped or errored is the check's outcome; so is the call.
            outcomes.setdefault(name, (report.outcome, _text(report)))
    for report in recorder.getreports("pytest_collectreport"):
        assert not report.failed, f"the contract suite failed to collect: {report.longrepr}"
    choices = json.loads(choices_file.read_text()) if choices_file.exists() else {}
    return ContractRun(outcomes, choices)


def rfc_cited(text: str) -> bool:
    return "RFC " in text or "OIDC " in text


def known_deviations_only(
    run: ContractRun, deviations: dict[str, str], sometimes: dict[str, str] | None = None
) -> None:
    """The listed checks fail (and ``sometimes`` may), each citing an RFC; every skip has a reason."""
    assert set(deviations) <= set(run.failed) <= set(deviations) | set(sometimes or {}), (
        run.report()
    )
    for name, text in run.failed.items():
        assert rfc_cited(text), f"{name} failed without citing an RFC:\n{text}"
    for name, reason in run.skipped.items():
        assert reason.strip(), f"{name} skipped without a reason"
