"""The public surface: every exported name resolves, and importing the client stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import pytest_authmock


def test_every_exported_name_resolves() -> None:
    for name in pytest_authmock.__all__:
        assert getattr(pytest_authmock, name) is not None
    assert set(pytest_authmock.__all__) <= set(dir(pytest_authmock))


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        pytest_authmock.Nope  # type: ignore[attr-defined]  # noqa: B018


def test_client_import_does_not_load_the_fake() -> None:
    code = (
        "import sys, pytest_authmock.client; "
        "print(sorted(m for m in ('respx', 'faker', 'joserfc', 'pytest_authmock.provider') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_loading_the_plugin_stays_light() -> None:
    # The plugin loads in every pytest run of a project that installs it; the fake
    # provider, respx, JOSE and TLS load only when a fixture first needs them.
    code = (
        "import sys, pytest_authmock.plugin; "
        "print(sorted(m for m in ('respx', 'faker', 'joserfc', 'trustme', "
        "'pytest_authmock.provider.idp', 'pytest_authmock.transport.server') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_fakeidp_method_is_in_the_grouped_reference() -> None:
    from pathlib import Path

    reference = (Path(__file__).parent.parent / "docs" / "reference.md").read_text()
    section = reference.split("## `FakeIdP` methods", 1)[1].split("\n## ", 1)[0]
    public = sorted(name for name in dir(pytest_authmock.FakeIdP) if not name.startswith("_"))
    missing = [name for name in public if f"`{name}" not in section]
    assert missing == []
    for group in ("setup", "tokens", "keys", "faults", "flows", "lifecycle", "transports"):
        assert f"{{: #{group} }}" in section
