"""In-memory state of one provider: clients, users, tokens and refresh-token families."""

from __future__ import annotations

from collections import defaultdict

from pytest_authmock.provider.dpop import DPoPState
from pytest_authmock.provider.flow_state import FlowState
from pytest_authmock.provider.models import Client, TokenRecord, User
from pytest_authmock.provider.replay import ReplayCache
from pytest_authmock.provider.trust import TrustState

#: Provider-time seconds between two purge passes: a long-running server sheds
#: dead state in batches instead of scanning on every request.
PURGE_INTERVAL = 60.0
#: How long past its expiry (or, for a revoked token, past its issue) a record is
#: kept: clock-skew leeway at a resource and a clock moved back a little still see
#: it, and "token was revoked" stays the answer while a test looks.
PURGE_GRACE = 300.0


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
        self._last_purge: float | None = None

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

    def maybe_purge(self, now: float) -> int:
        """Purge at most once per :data:`PURGE_INTERVAL` of provider time; how many went."""
        last = self._last_purge
        # A clock moved back starts a new interval rather than pausing purges.
        if last is not None and last <= now < last + PURGE_INTERVAL:
            return 0
        self._last_purge = now
        return self.purge(now)

    def purge(self, now: float) -> int:
        """Forget tokens and flow state that can never be accepted again.

        A forgotten token is unknown, and unknown tokens are refused exactly like
        expired or revoked ones (``active: false``, ``invalid_grant``,
        ``invalid_token``). A rotated refresh token is kept while its family can
        still be presented, so that replaying it still revokes the family
        (RFC 9700 §4.14); a used authorization code is kept while the tokens it
        issued live, so that a replay still revokes them (RFC 6749 §4.1.2). API
        tokens stay listed, as expired, until revoked: people create them, not
        requests, and a listing that forgets them would surprise their owner.
        """
        cutoff = now - PURGE_GRACE
        dead = [
            value
            for value, record in self.tokens.items()
            if (record.expires_at is not None and record.expires_at <= cutoff)
            or (record.revoked and record.issued_at <= cutoff)
        ]
        for value in dead:
            del self.tokens[value]
        if dead:
            for family_id in list(self.families):
                kept = [r for r in self.families[family_id] if r.value in self.tokens]
                if kept:
                    self.families[family_id] = kept
                else:
                    del self.families[family_id]
        return len(dead) + self._purge_flows(cutoff) + self.replay.purge(now)

    def _purge_flows(self, cutoff: float) -> int:
        flows = self.flows
        count = 0
        for code, device in list(flows.devices.items()):
            if device.expires_at <= cutoff:
                del flows.devices[code]
                count += 1
        for user_code, device in list(flows.user_codes.items()):
            if device.expires_at <= cutoff:
                del flows.user_codes[user_code]
        for code, grant in list(flows.codes.items()):
            if grant.expires_at <= cutoff and grant.family_id not in self.families:
                del flows.codes[code]
                count += 1
        return count
