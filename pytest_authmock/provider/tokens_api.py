"""Tokens without a grant request: minting, revoking, checking, and claims per request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pytest_authmock.provider.bearer import BearerCheck, BearerRequirements, check_bearer
from pytest_authmock.provider.claims import ClaimsHook
from pytest_authmock.provider.config import check_ttl
from pytest_authmock.provider.facade_base import FacadeBase
from pytest_authmock.provider.models import Client, User

if TYPE_CHECKING:
    from typing_extensions import Unpack

_DEFAULT: Any = object()


class TokensAPI(FacadeBase):
    """Methods of :class:`~pytest_authmock.provider.idp.FakeIdP` about tokens."""

    def issue_token(
        self,
        client: Client | str | None = None,
        *,
        user: User | str | None = None,
        scopes: Sequence[str] = (),
        ttl: int | None = _DEFAULT,
    ) -> str:
        """Mint an access token directly, as if a grant had succeeded (no request journaled)."""
        with self._lock:
            resolved = (
                self._client(client)
                if client is not None
                else self._register_client(None, None, {})
            )
            owner = self._user(user) if user is not None else None
            if ttl is not _DEFAULT:
                check_ttl("ttl", ttl)
            record = self._ctx.minter.access_token(
                client=resolved,
                user=owner,
                scope=tuple(scopes),
                ttl=False if ttl is _DEFAULT else ttl,
            )
            return record.value

    def revoke_token(self, token: str) -> None:
        """Revoke a token (and, for a refresh token, every token of its grant)."""
        with self._lock:
            store = self._ctx.store
            record = store.tokens.get(token)
            if record is None:
                raise LookupError("this provider never issued that token")
            record.revoked = True
            if record.kind == "refresh" and record.family_id:
                store.revoke_family(record.family_id)

    def check_bearer(
        self, authorization: str | None, **requirements: Unpack[BearerRequirements]
    ) -> BearerCheck:
        """Validate an ``Authorization`` header like ``protect()`` does, for your own server.

        Keywords: ``scopes``, ``audience``, ``leeway``, ``peer_cert``, and for a
        DPoP-bound token (RFC 9449) the request's ``DPoP`` header as ``dpop=`` with its
        ``method`` and ``url`` (:class:`~pytest_authmock.provider.bearer.BearerRequirements`).
        """
        with self._lock:
            return check_bearer(self._ctx, authorization, **requirements)

    def claims_hook(self, hook: ClaimsHook) -> ClaimsHook:
        """Add claims per request: ``hook(request) -> dict | None``; usable as a decorator.

        ``request`` is a :class:`~pytest_authmock.provider.claims.ClaimsRequest`
        (grant type, client, user, scope, form parameters without secrets). The
        result overrides the client's and the user's claims in the access token
        and the ID token. Hooks run in the order they were added.
        """
        if not callable(hook):
            raise TypeError(f"claims_hook() takes a callable; got {hook!r}")
        with self._lock:
            self._ctx.minter.claims_hooks.append(hook)
        return hook

    # -- keys -------------------------------------------------------------------------

    def rotate_keys(self, *, grace: float | None = None, kid: str | None = None) -> str:
        """Sign with a new key from now on; returns its ``kid``.

        The old key stays in the JWKS for ``grace`` seconds of provider time
        (``idp.clock.advance()`` ends it), forever with ``None``, or is dropped at
        once with ``grace=0``; tokens it signed then fail validation. ``kid``
        names the new key.
        """
        with self._lock:
            return self._ctx.keys.rotate(grace=grace, kid=kid)

    def use_kid(self, kid: str) -> None:
        """Publish and sign with the active key under a ``kid`` of your choosing.

        Call it before issuing tokens: tokens signed under the previous ``kid``
        are no longer verifiable.
        """
        with self._lock:
            self._ctx.keys.relabel_active(kid)

    def jwks(self) -> dict[str, Any]:
        """The public JWKS document, as the ``jwks_uri`` serves it."""
        return self._ctx.keys.jwks()
