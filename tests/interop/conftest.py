"""Fixtures of the interop tests: real providers on loopback (see providers.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.interop.breadth_keys import public_jwks_json
from tests.interop.providers import (
    HERE,
    OIDC_PROVIDER_MOCK,
    PYTEST_IAM,
    RunningProvider,
    install_oidc_provider,
    peer_venv,
    python_at_least,
    start,
)

#: The oidc-provider server's test account, clients and API (server.mjs).
USER = ("alice", "alice-password")
REDIRECT_URI = "http://127.0.0.1/interop/callback"
API = "https://api.interop.test"


def secret(client_id: str) -> str:
    return f"{client_id}-secret"


@dataclasses.dataclass
class NodeProvider:
    """oidc-provider, with server.mjs's test-only endpoints."""

    running: RunningProvider

    @property
    def issuer(self) -> str:
        return self.running.issuer

    def counts(self) -> dict[str, dict[str, int]]:
        """Token requests seen on the wire, and how each grant ended."""
        response = httpx.get(f"{self.issuer}/_test/counts")
        response.raise_for_status()
        counts: dict[str, dict[str, int]] = response.json()
        return counts

    def reset_counts(self) -> None:
        httpx.post(f"{self.issuer}/_test/counts/reset").raise_for_status()

    def require_dpop_nonce(self, required: bool) -> None:
        """Demand a DPoP server nonce in every proof (RFC 9449 §8), or stop."""
        httpx.post(
            f"{self.issuer}/_test/dpop-nonce", params={"required": int(required)}
        ).raise_for_status()

    def token_delay(self, milliseconds: int) -> None:
        httpx.post(
            f"{self.issuer}/_test/token-delay", params={"ms": milliseconds}
        ).raise_for_status()


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProvider]:
    """panva oidc-provider on 127.0.0.1 (one per xdist worker)."""
    package = install_oidc_provider()
    log = tmp_path_factory.mktemp("oidc-provider") / "server.log"
    running = start(
        "oidc-provider",
        ["node", str(HERE / "oidc_provider" / "server.mjs")],
        log,
        env={"OIDC_PROVIDER_DIR": str(package), "INTEROP_PKJWT_JWKS": public_jwks_json()},
    )
    yield NodeProvider(running)
    running.stop()


@pytest.fixture
def node(oidc_provider: NodeProvider) -> Iterator[NodeProvider]:
    """The session's oidc-provider with fresh counters and no delay."""
    oidc_provider.reset_counts()
    yield oidc_provider
    oidc_provider.token_delay(0)
    oidc_provider.require_dpop_nonce(False)


def _peer(name: str, interpreter: Path, script: str, log: Path) -> Iterator[RunningProvider]:
    running = start(name, [str(interpreter), str(HERE / "peers" / script)], log)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def iam_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningProvider]:
    """pytest-iam's canaille, in its own venv."""
    interpreter = peer_venv(PYTEST_IAM, python_at_least(11, PYTEST_IAM))
    yield from _peer(
        "pytest-iam", interpreter, "pytest_iam_server.py", tmp_path_factory.mktemp("iam") / "log"
    )


@pytest.fixture(scope="module")
def mock_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningProvider]:
    """oidc-provider-mock, in a Python 3.12 venv."""
    interpreter = peer_venv(OIDC_PROVIDER_MOCK, python_at_least(12, OIDC_PROVIDER_MOCK))
    yield from _peer(
        "oidc-provider-mock",
        interpreter,
        "oidc_provider_mock_server.py",
        tmp_path_factory.mktemp("mock") / "log",
    )
