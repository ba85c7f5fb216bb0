"""What every group of ``FakeIdP`` methods stands on: the context, the lock, the lookups.

``FakeIdP`` is assembled from groups of test verbs (setup, tokens, keys, faults,
flows), each a mixin in its own module; they all derive from :class:`FacadeBase`,
so each declares nothing about the others and finds clients and users one way.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from typing import Any

from pytest_authmock.provider.clock import Clock
from pytest_authmock.provider.context import ProviderContext
from pytest_authmock.provider.faults import FaultPlan
from pytest_authmock.provider.identities import IdentityFactory
from pytest_authmock.provider.journal import Journal
from pytest_authmock.provider.keys import SigningKeys
from pytest_authmock.provider.models import Client, User
from pytest_authmock.provider.registration import build_client
from pytest_authmock.provider.store import Store
from pytest_authmock.provider.tokens import TokenMinter


@dataclasses.dataclass(frozen=True)
class Internals:
    """The provider's plumbing, for tests that need to look underneath (``idp.internals``).

    Not a stable API: the objects may change shape between releases.
    """

    #: Clients, users, issued tokens and flow state (``store.tokens``: value -> record).
    store: Store
    minter: TokenMinter
    #: The planned faults (``assert_all_fired`` turns the never-fired check off).
    faults: FaultPlan
    keys: SigningKeys
    #: What the endpoints and grants are given for each request.
    context: ProviderContext


class FacadeBase:
    """The state the method groups share; :class:`~.idp.FakeIdP` sets it up."""

    _lock: threading.RLock
    _ctx: ProviderContext
    _faults: FaultPlan
    _identities: IdentityFactory
    #: The provider's time; ``idp.clock.advance(s)`` moves it, freezegun too.
    clock: Clock
    #: Every request served since the last reset.
    journal: Journal

    @property
    def keys(self) -> SigningKeys:
        """The signing keys: ``kid`` (active), ``kids()`` (published), ``jwks()``."""
        return self._ctx.keys

    @property
    def store(self) -> Store:
        """Same as ``idp.internals.store``: clients, users and every issued token."""
        return self._ctx.store

    @property
    def internals(self) -> Internals:
        """The plumbing underneath: store, minter, fault plan, keys, handler context."""
        ctx = self._ctx
        return Internals(ctx.store, ctx.minter, self._faults, ctx.keys, ctx)

    def _client(self, client: Client | str) -> Client:
        client_id = client if isinstance(client, str) else client.client_id
        try:
            return self._ctx.store.clients[client_id]
        except KeyError:
            raise LookupError(f"no client {client_id!r}; add it with add_client()") from None

    def _user(self, user: User | str) -> User:
        username = user if isinstance(user, str) else user.username
        try:
            return self._ctx.store.users[username]
        except KeyError:
            raise LookupError(f"no user {username!r}; add it with add_user()") from None

    def _register_client(
        self, client_id: str | None, client_secret: str | None, options: Mapping[str, Any]
    ) -> Client:
        """``add_client()``: Faker fills the id and, when nothing else authenticates, a secret."""
        ctx = self._ctx
        with self._lock:
            clients = ctx.store.clients
            if client_id is None:
                client_id = self._identities.client_id(clients)
            if client_secret is None and not options.get("public") and _wants_secret(options):
                client_secret = self._identities.secret()
            client = build_client(
                client_id,
                client_secret,
                options,
                default_access_ttl=ctx.config.access_token_ttl,
                default_refresh_ttl=ctx.config.refresh_token_ttl,
                supported_grants=tuple(ctx.grants),
                existing=clients,
                secret_methods=ctx.config.client_secret_methods,
            )
            clients[client.client_id] = client
            return client


def _wants_secret(options: Mapping[str, Any]) -> bool:
    """Does a new confidential client need a generated secret?

    Yes when its methods use one, or when none are given and it has no other
    credential (certificate subject, self-signed certificate, keys).
    """
    methods = options.get("token_endpoint_auth_method")
    if methods is None:
        return not any(
            options.get(name)
            for name in (
                "tls_client_auth_subject_dn",
                "tls_client_auth_san_dns",
                "self_signed_certificates",
                "jwks",
                "jwks_uri",
            )
        )
    chosen = (methods,) if isinstance(methods, str) else tuple(methods)
    return any(
        m in ("client_secret_basic", "client_secret_post", "client_secret_jwt") for m in chosen
    )
