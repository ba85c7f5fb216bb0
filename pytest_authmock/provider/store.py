"""In-memory state of one provider: clients, users, tokens and refresh-token families."""

from __future__ import annotations

from collections import defaultdict

from pytest_authmock.provider.dpop import DPoPState
from pytest_authmock.provider.flow_state import FlowState
from pytest_authmock.provider.models import Client, TokenRecord, User
from pytest_authmock.provider.replay import ReplayCache
from pytest_authmock.provider.trust import TrustState


class Store:
    """Plain containers; the provider serialises access to them with its lock."""

    def __init__(self) -> None:
        self.clients: dict[str, Client] = {}
        self.users: dict[str, User] = {}
        self.tokens: dict[str, TokenRecord] = {}  # token value -> record (access and refresh)
        self.families: defaultdict[str, list[TokenRecord]] = defaultdict(list)
        #: Device codes, authorization codes, API tokens and CSRF tokens.
        self.flows = FlowState()
        #: Used jti of client assertions, DPoP proofs and JWT grants.
        self.replay = ReplayCache()
        #: DPoP settings and server nonces; trusted issuers and fetched JWKS.
        self.dpop = DPoPState()
        self.trust = TrustState()

    def add_token(self, record: TokenRecord) -> None:
        self.tokens[record.value] = record
        if record.family_id is not None:
            self.families[record.family_id].append(record)

    def revoke_family(self, family_id: str) -> int:
        """Revoke every token of a grant (RFC 9700 §4.14); returns how many were live."""
        count = 0
        for record in self.families.get(family_id, ()):
            if not record.revoked:
                record.revoked = True
                count += 1
        return count

    def tokens_of(
        self, *, client_id: str | None = None, sub: str | None = None
    ) -> list[TokenRecord]:
        return [
            record
            for record in self.tokens.values()
            if (client_id is None or record.client_id == client_id)
            and (sub is None or record.sub == sub)
        ]
