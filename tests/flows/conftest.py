"""Fixtures of the interactive-flow tests."""

from __future__ import annotations

import pytest

from pytest_authmock import FakeIdP


@pytest.fixture
def api(provider: FakeIdP) -> str:
    """A protected API URL both transports can route (the loopback server only serves its origin)."""
    url = provider.issuer + "/api/things"
    provider.protect(url, scopes=["read"])
    return url
