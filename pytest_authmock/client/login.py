"""Log in and out: the operations behind a CLI's ``login`` and ``logout``."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

from pytest_authmock.client.errors import AuthError, StoreError
from pytest_authmock.client.grants import PasswordGrant
from pytest_authmock.client.resolver import CredentialResolver
from pytest_authmock.client.store import Session
from pytest_authmock.client.tokens import Token
from pytest_authmock.client.validate import Method, TokenIdentity, validate_token

__all__ = ["login_password", "login_token", "logout"]

logger = logging.getLogger("pytest_authmock.client")


def login_password(
    resolver: CredentialResolver,
    username: str,
    password: str,
    *,
    context: str | None = None,
    scopes: Sequence[str] | None = None,
) -> Session:
    """Run the password grant and store the session in the context.

    The password is sent once and not kept; later renewals use the refresh token.
    """
    ctx = resolver.context(context)
    oauth = resolver.oauth(ctx)
    try:
        grant = PasswordGrant(username, password, tuple(ctx.scopes if scopes is None else scopes))
        token = oauth.request_token(grant)
        name = None
        if "openid" in token.scopes and oauth.metadata().userinfo_endpoint:
            try:
                name = oauth.userinfo(token.access_token).get("name")
            except AuthError as exc:  # the login worked; a missing display name is no failure
                logger.info("userinfo after login failed: %s", exc)
    finally:
        oauth.close()
    session = Session(
        token=token,
        issuer=oauth.issuer,
        client_id=oauth.client_id,
        username=username,
        display_name=name if isinstance(name, str) else None,
    )
    resolver.store.save(ctx.name, session)
    return session


def login_token(
    resolver: CredentialResolver,
    token: str,
    *,
    context: str | None = None,
    store: bool = True,
    method: Method = "auto",
) -> tuple[TokenIdentity, Session]:
    """Validate a token with the provider and (unless ``store=False``) store it.

    Raises :class:`InvalidToken`, :class:`TokenExpired` or
    :class:`ProviderUnavailable`; nothing is stored unless the token is valid.
    """
    ctx = resolver.context(context)
    token = token.strip()
    oauth = resolver.oauth(ctx)
    try:
        identity = validate_token(oauth, token, method=method)
    finally:
        oauth.close()
    session = Session(
        token=Token(
            access_token=token,
            expires_at=identity.expires_at,
            scope=" ".join(identity.scopes) or None,
        ),
        issuer=oauth.issuer,
        client_id=oauth.client_id,
        username=identity.username,
        display_name=identity.name,
    )
    if store:
        resolver.store.save(ctx.name, session)
    return identity, session


def logout(
    resolver: CredentialResolver, *, context: str | None = None, revoke: bool = True
) -> bool:
    """Delete the context's stored session; True if there was one.

    With ``revoke``, the provider is first asked to revoke the session's
    refresh token (which ends its access tokens too, RFC 7009 §2.1) or access
    token. That is best effort: the local session is deleted even when the
    provider cannot be reached, and a damaged session file is deleted as well.
    Client credentials on the context stay, so the resolver falls back to them.
    """
    ctx = resolver.context(context)
    try:
        session = resolver.store.load(ctx.name)
    except StoreError as exc:
        logger.warning("deleting an unreadable session: %s", exc)
        session = None
    if revoke and session is not None:
        token = session.token
        value, hint = (
            (token.refresh_token, "refresh_token")
            if token.refresh_token
            else (token.access_token, "access_token")
        )
        try:
            oauth = resolver.oauth(
                dataclasses.replace(ctx, issuer=session.issuer), client_id=session.client_id
            )
            with oauth:
                oauth.revoke(value, token_type_hint=hint)
        except AuthError as exc:
            logger.warning("could not revoke the session at the provider: %s", exc)
    return resolver.store.delete(ctx.name)
