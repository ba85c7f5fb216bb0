"""The listeners that serve one provider: the issuer's, and with mutual TLS its
RFC 8705 alias. Built here for the fixtures' ``ServerPool`` and for
``authmock serve`` alike.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable

from pytest_authmock.transport.server import (
    AccessRecord,
    ContextFactory,
    LoopbackServer,
    RequestHandler,
)

__all__ = ["MODES", "TLSContexts", "open_listeners"]

#: Plain HTTP, HTTPS, and HTTPS that asks for client certificates.
MODES = ("http", "tls", "mtls")

#: The server-side TLS context for a client-certificate policy: ``"none"``,
#: ``"optional"`` or ``"required"`` (see ``TLSMaterial.server_context``). A
#: factory instead of a context is asked again for every connection.
TLSContexts = Callable[[str], "ssl.SSLContext | ContextFactory"]


def open_listeners(
    handler: RequestHandler,
    mode: str,
    tls: TLSContexts | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    public_url: str | None = None,
    on_access: Callable[[AccessRecord], None] | None = None,
    name: str = "authmock",
) -> list[LoopbackServer]:
    """Bind the listeners for ``mode`` (not started): the issuer's first.

    With ``"mtls"`` the issuer's listener asks for a client certificate and lets
    the endpoints decide whether they need one; a second listener on a free port
    of the same host, advertised as ``mtls_endpoint_aliases`` (RFC 8705 §5),
    refuses the handshake without a valid certificate. ``public_url`` is the
    issuer listener's only. If a listener cannot bind, those already bound are
    closed and the ``OSError`` propagates.
    """
    if mode not in MODES:
        raise ValueError(f"listener mode must be one of {', '.join(MODES)}; got {mode!r}")
    if mode != "http" and tls is None:
        raise ValueError(f"{mode} listeners need TLS contexts")
    policy = {"http": None, "tls": "none", "mtls": "optional"}[mode]
    servers: list[LoopbackServer] = []
    try:
        servers.append(
            LoopbackServer(
                handler,
                host=host,
                port=port,
                tls=tls(policy) if tls is not None and policy is not None else None,
                public_url=public_url,
                on_access=on_access,
                name=name,
            )
        )
        if mode == "mtls" and tls is not None:
            servers.append(
                LoopbackServer(
                    handler,
                    host=host,
                    tls=tls("required"),
                    on_access=on_access,
                    name=f"{name}-alias",
                )
            )
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers
