"""The ``idp_server`` fixture: the provider behind a real loopback HTTP(S) server.

Sockets, TLS material and server threads are expensive, so they live for the
whole session (each xdist worker has its own, on its own ports); the provider
behind them is a fresh :class:`IdPServer` per test, so state never leaks from one
test to the next.

Three server flavours start lazily, the first time a test asks for one:

* plain HTTP (the default);
* HTTPS (``@pytest.mark.authmock(tls=True)``), trusting a session trustme CA;
* HTTPS with mutual TLS (``@pytest.mark.authmock(mtls=True)``): the issuer's
  listener asks for a client certificate but lets endpoints decide whether they
  need one (``ssl.CERT_OPTIONAL``), and a second listener, advertised in the
  metadata as ``mtls_endpoint_aliases`` (RFC 8705 §5), refuses the handshake
  without a valid one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from pytest_authmock import fixture_options

if TYPE_CHECKING:
    from pytest_authmock.transport.idp_server import IdPServer, ServerPool
    from pytest_authmock.transport.tls import TLSMaterial


def __getattr__(name: str) -> object:
    # ``from pytest_authmock.server_fixtures import IdPServer`` keeps working,
    # without importing the server when the plugin loads.
    if name in ("IdPServer", "ServerPool"):
        from pytest_authmock.transport import idp_server

        return getattr(idp_server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Named with an underscore so `pytest --fixtures` lists it only with -v: it is internal.
@pytest.fixture(scope="session", name="_authmock_server_pool")
def authmock_server_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPool]:
    """The session's loopback servers (internal; use ``idp_server``)."""
    from pytest_authmock.transport.idp_server import ServerPool

    pool = ServerPool(tmp_path_factory.mktemp("authmock-pki"))
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="session")
def authmock_pki(_authmock_server_pool: ServerPool) -> TLSMaterial:
    """The session's test CA (the one ``idp_server`` trusts), to issue certificates.

    ``authmock_pki.issue_client_cert("ci-bot")`` works without a server too: the
    in-process ``idp`` takes the certificate in an RFC 9440 ``Client-Cert``
    header (``cert.header_value()``), a documented simulation of mTLS.
    """
    return _authmock_server_pool.tls


@pytest.fixture
def idp_server(
    request: pytest.FixtureRequest, _authmock_server_pool: ServerPool
) -> Iterator[IdPServer]:
    """The fake provider behind a real loopback HTTP(S) server, fresh for each test.

    ``@pytest.mark.authmock(tls=True)`` serves HTTPS, ``mtls=True`` HTTPS with
    client certificates; the other marker keywords and ``authmock_*`` ini options
    configure the provider as for ``idp``. The server itself starts once per
    session (per xdist worker) and is reused.
    """
    options = fixture_options.resolve(request)
    mode = server_mode(request)
    pool = _authmock_server_pool
    provider = pool.provider(mode, options.config, options.seed)
    try:
        options.apply(provider)  # clock skew, config= set-up, the unfired-fault check
        yield provider
        problems = provider.check()
        problems.extend(
            f"the loopback server's handler raised {type(exc).__name__}: {exc}"
            for exc in pool.errors(mode)
        )
    finally:
        pool.release(mode)
        provider.reset()
    if problems and options.teardown_check:
        pytest.fail(
            fixture_options.teardown_message(provider.issuer, options.seed, problems),
            pytrace=False,
        )


def server_mode(request: pytest.FixtureRequest) -> str:
    """``"mtls"``, ``"tls"`` or ``"http"``, from the test's ``authmock`` markers (merged)."""
    kwargs = fixture_options.marker_options(request.node)
    for name in fixture_options.SERVER_OPTIONS:
        if name in kwargs and not isinstance(kwargs[name], bool):
            pytest.fail(
                f"@pytest.mark.authmock option {name} must be True or False; got {kwargs[name]!r}",
                pytrace=False,
            )
    if kwargs.get("mtls"):
        return "mtls"
    return "tls" if kwargs.get("tls") else "http"
