"""Several issuers in one test: ``idp_factory`` (in-process) and ``idp_server_factory`` (loopback).

Each provider made has its own issuer URL, its own signing keys (a token of one
issuer never verifies at another) and its own clients, users and journal;
all of them are checked and reset at teardown like ``idp``. The ``authmock``
marker's options are the defaults for every provider made; keywords override
them per issuer.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_authmock import fixture_options

if TYPE_CHECKING:
    import httpx
    from cryptography import x509

    from pytest_authmock.provider.idp import FakeIdP

# The provider, respx and the server are imported when a fixture first runs: the
# plugin loads in every pytest run, most of which never make a second issuer.

__all__ = ["FactoryServers", "idp_factory", "idp_server_factory"]


def _new_provider(
    options: fixture_options.FixtureOptions, issuer: str, **overrides: Any
) -> FakeIdP:
    try:
        config = options.config.replace(issuer=issuer, **overrides)
    except TypeError as error:  # an unknown option, or one of the wrong type
        raise TypeError(f"idp factory: {error}") from None
    except ValueError as error:
        raise ValueError(f"idp factory: {error}") from None
    from pytest_authmock.provider.idp import FakeIdP

    # One seed per issuer, stable for the test: adding an issuer never reshuffles another.
    seed = fixture_options.test_seed(options.seed, issuer)
    provider = FakeIdP.from_config(config, seed=seed)
    provider.profile = options.profile
    provider.internals.faults.assert_all_fired = options.assert_all_faults_fired
    if options.clock_skew:
        provider.clock.skew = options.clock_skew
    options.apply_settings(provider)  # the marker's protocol= and dpop=, like its options
    return provider


def _teardown(options: fixture_options.FixtureOptions, providers: list[FakeIdP]) -> None:
    failures: list[str] = []
    for provider in providers:
        try:
            problems = provider.check()
        finally:
            provider.reset()
        if problems and options.teardown_check:
            failures.append(
                fixture_options.teardown_message(provider.issuer, provider.seed, problems)
            )
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)


@pytest.fixture
def idp_factory(request: pytest.FixtureRequest) -> Iterator[Callable[..., FakeIdP]]:
    """Make in-process providers: ``tenant_a = idp_factory("https://a.idp.test")``.

    Keywords are the provider options (``token_format="opaque"``,
    ``algorithm="ES256"``...). Each provider is mounted with respx like ``idp``,
    and composes with ``idp`` and ``respx_mock`` in the same test.
    """
    options = fixture_options.resolve(request)
    made: list[FakeIdP] = []
    mounts = contextlib.ExitStack()

    def make(issuer: str, **overrides: Any) -> FakeIdP:
        if any(provider.issuer == issuer for provider in made):
            raise ValueError(f"idp_factory already made a provider for {issuer!r} in this test")
        provider = _new_provider(options, issuer, **overrides)
        fixture_options.mount_in_process(request.config, provider, options, mounts)
        made.append(provider)
        return provider

    try:
        yield make
    finally:
        mounts.close()  # in reverse: each patch restores what the one before left
    _teardown(options, made)


class _Slot:
    """A loopback server whose provider changes from test to test."""

    def __init__(self) -> None:
        from pytest_authmock.transport.server import LoopbackServer

        self.providers: dict[str, FakeIdP] = {}
        self.server = LoopbackServer(self.handle, name="authmock-factory")
        self.server.start()

    def handle(self, request: httpx.Request, cert: x509.Certificate | None) -> httpx.Response:
        import httpx

        from pytest_authmock.provider.errors import wire_text
        from pytest_authmock.provider.paths import DISCOVERY_PATHS

        path = request.url.path
        # The longest issuer path that prefixes the request wins (RFC 8414 §3.1
        # well-known URLs put the issuer's path after the well-known segment).
        for prefix, provider in sorted(self.providers.items(), key=lambda kv: -len(kv[0])):
            if (
                not prefix
                or path == prefix
                or path.startswith(prefix + "/")
                or any(path == known + prefix for known in DISCOVERY_PATHS)
            ):
                return provider.handle(request, peer_cert=cert)
        return httpx.Response(
            404,
            json={
                "error": "not_found",
                "error_description": wire_text(f"no issuer serves {path!r} right now"),
            },
        )


class FactoryServers:
    """Session loopback servers for ``idp_server_factory`` (internal)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: list[_Slot] = []

    def slot(self, index: int) -> _Slot:
        with self._lock:
            while len(self._slots) <= index:
                self._slots.append(_Slot())
            return self._slots[index]

    def close(self) -> None:
        with self._lock:
            slots, self._slots = self._slots, []
        for slot in slots:
            slot.server.stop()


# Named with an underscore so `pytest --fixtures` lists it only with -v: it is internal.
@pytest.fixture(scope="session", name="_authmock_factory_servers")
def authmock_factory_servers() -> Iterator[FactoryServers]:
    """The session's loopback servers behind ``idp_server_factory`` (internal)."""
    servers = FactoryServers()
    try:
        yield servers
    finally:
        servers.close()


@pytest.fixture
def idp_server_factory(
    request: pytest.FixtureRequest, _authmock_factory_servers: FactoryServers
) -> Iterator[Callable[..., FakeIdP]]:
    """Make providers behind real loopback servers (plain HTTP), one origin each.

    ``idp_server_factory()`` serves at ``http://127.0.0.1:<port>``;
    ``idp_server_factory(path="/tenants/a")`` puts the issuer under a path, and
    ``same_origin=True`` shares the previous provider's origin (several
    tenants on one host, told apart by path). Keywords are provider options.
    """
    options = fixture_options.resolve(request)
    made: list[FakeIdP] = []
    used: list[_Slot] = []

    def make(path: str = "", *, same_origin: bool = False, **overrides: Any) -> FakeIdP:
        if path and (not path.startswith("/") or path.endswith("/")):
            raise ValueError(f"path must start with '/' and not end with it; got {path!r}")
        if same_origin and used:
            slot = used[-1]
        else:
            slot = _authmock_factory_servers.slot(len(used))
            used.append(slot)
        if path in slot.providers:
            raise ValueError(f"{slot.server.url}{path} already serves an issuer in this test")
        provider = _new_provider(options, slot.server.url + path, **overrides)
        provider.client_certificates = False  # plain HTTP: no TLS client certificates
        slot.providers[path] = provider
        made.append(provider)
        return provider

    try:
        yield make
    finally:
        for slot in used:
            slot.providers.clear()
    _teardown(options, made)
