"""Credential resolution as command-line tools do it.

Order (first match wins): an explicit token (a ``--token`` flag), the
environment variable the application names, the stored session of the active
context, the client credentials of that context, else anonymous. Tokens from
the flag or the environment are used as they are and never written anywhere.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Mapping

import httpx

from pytest_authmock.client.auth import BearerAuth, OAuth2Auth
from pytest_authmock.client.contexts import Context, ContextStore
from pytest_authmock.client.errors import ConfigurationError
from pytest_authmock.client.grants import ClientAuth, client_auth_for
from pytest_authmock.client.oauth import OAuthClient
from pytest_authmock.client.redact import fingerprint
from pytest_authmock.client.status import AuthStatus, CredentialSource
from pytest_authmock.client.store import Session, TokenStore
from pytest_authmock.client.tokens import wall_clock

__all__ = ["CredentialResolver", "Credentials"]

logger = logging.getLogger("pytest_authmock.client")

OAuthFactory = Callable[[str, "ClientAuth | None"], OAuthClient]


@dataclasses.dataclass(frozen=True)
class Credentials:
    """The winner of a resolution: its source, and an ``httpx.Auth`` (``None`` if anonymous)."""

    source: CredentialSource
    context: Context
    auth: httpx.Auth | None = None
    session: Session | None = None
    token_fingerprint: str | None = None
    env_var: str | None = None

    def __repr__(self) -> str:
        return (
            f"Credentials(source={self.source.value}, context={self.context.name!r},"
            f" token={self.token_fingerprint})"
        )

    def close(self) -> None:
        """Release the connections the token requests used."""
        if isinstance(self.auth, OAuth2Auth):
            self.auth.close()

    def __enter__(self) -> Credentials:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class CredentialResolver:
    """Resolve the credentials of the active (or a named) context.

    ``env_var`` is the application's token variable (``"NANOCTL_TOKEN"``);
    ``default_client_id`` is the client a login uses when the context names
    none (a CLI's public client); ``oauth_factory`` builds the
    :class:`OAuthClient` for an issuer (to pass TLS settings or a test clock).
    """

    def __init__(
        self,
        contexts: ContextStore,
        store: TokenStore,
        *,
        env_var: str | None = None,
        environ: Mapping[str, str] | None = None,
        default_client_id: str | None = None,
        oauth_factory: OAuthFactory | None = None,
        leeway: float = 30.0,
        clock: Callable[[], float] = wall_clock,
    ) -> None:
        self.contexts = contexts
        self.store = store
        self.env_var = env_var
        self._environ = environ
        self.default_client_id = default_client_id
        self._oauth_factory = oauth_factory
        self.leeway = leeway
        self.clock = clock

    def __repr__(self) -> str:
        return f"CredentialResolver(env_var={self.env_var!r}, store={self.store!r})"

    @property
    def environ(self) -> Mapping[str, str]:
        return os.environ if self._environ is None else self._environ

    def context(self, name: str | None = None) -> Context:
        return self.contexts.get(name)

    def oauth(self, context: Context, *, client_id: str | None = None) -> OAuthClient:
        """An :class:`OAuthClient` for the context's issuer.

        With the context's own client id (or none given), its secret is used;
        a different ``client_id`` (a session made by another client) is public.
        """
        if not context.issuer:
            raise ConfigurationError(
                f"context {context.name!r} has no issuer; set one (context set-value issuer URL)"
            )
        client_auth: ClientAuth | None = None
        cid = client_id or context.client_id or self.default_client_id
        if cid is not None:
            same = cid == context.client_id
            secret = context.client_secret if same else None
            method = context.auth_method if same else None
            client_auth = client_auth_for(cid, secret, method)
        if self._oauth_factory is not None:
            return self._oauth_factory(context.issuer, client_auth)
        return OAuthClient(context.issuer, client_auth, clock=self.clock)

    def resolve(self, token: str | None = None, *, context: str | None = None) -> Credentials:
        """The credentials to use, and where they came from."""
        ctx = self.contexts.get(context)
        if token:
            return Credentials(
                CredentialSource.FLAG, ctx, BearerAuth(token), token_fingerprint=fingerprint(token)
            )
        env_token = self.environ.get(self.env_var) if self.env_var else None
        if env_token:
            return Credentials(
                CredentialSource.ENVIRONMENT,
                ctx,
                BearerAuth(env_token.strip()),
                token_fingerprint=fingerprint(env_token.strip()),
                env_var=self.env_var,
            )
        session = self.store.load(ctx.name)
        if session is not None:
            oauth = self.oauth(
                dataclasses.replace(ctx, issuer=session.issuer), client_id=session.client_id
            )
            persistence = self.store.persistence(ctx.name, session)
            auth = OAuth2Auth.from_token(
                oauth, session.token, leeway=self.leeway, persistence=persistence
            )
            return Credentials(
                CredentialSource.SESSION,
                ctx,
                auth,
                session=session,
                token_fingerprint=session.token.fingerprint,
            )
        if ctx.has_client_credentials:
            auth = OAuth2Auth.client_credentials(
                self.oauth(ctx), scopes=ctx.scopes, leeway=self.leeway
            )
            return Credentials(CredentialSource.CLIENT_CREDENTIALS, ctx, auth)
        return Credentials(CredentialSource.ANONYMOUS, ctx)

    def status(self, token: str | None = None, *, context: str | None = None) -> AuthStatus:
        """The :class:`AuthStatus` of the resolution, without any network call."""
        creds = self.resolve(token, context=context)
        ctx = creds.context
        user = expires_at = None
        expired = False
        if creds.session is not None:
            session = creds.session
            user = session.display_name or session.username
            expires_at = session.token.expires_at
            # An expired token with a refresh token is still a live session.
            expired = (
                expires_at is not None
                and expires_at <= self.clock()
                and session.token.refresh_token is None
            )
        return AuthStatus(
            context=ctx.name,
            source=creds.source,
            issuer=(creds.session.issuer if creds.session else ctx.issuer),
            user=user,
            expires_at=expires_at,
            client_id=ctx.client_id,
            client_credentials_configured=ctx.has_client_credentials,
            token_fingerprint=creds.token_fingerprint,
            env_var=creds.env_var,
            expired=expired,
        )
