"""``httpx.Auth`` implementations: a static bearer token and managed OAuth tokens.

Sync and async flows are written separately (rather than as one generator)
because a token fetch must wait on a thread lock in the one and on an asyncio
future in the other; the request/response dance is the same in both.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Generator, Sequence

import httpx

from pytest_authmock.client.challenge import is_invalid_token
from pytest_authmock.client.errors import ConfigurationError
from pytest_authmock.client.grants import ClientCredentialsGrant, PasswordGrant, Resources
from pytest_authmock.client.manager import TokenManager, TokenPersistence
from pytest_authmock.client.oauth import OAuthClient
from pytest_authmock.client.redact import fingerprint
from pytest_authmock.client.tokens import Token

__all__ = ["BearerAuth", "OAuth2Auth"]

logger = logging.getLogger("pytest_authmock.client")


class BearerAuth(httpx.Auth):
    """A fixed bearer token (a ``--token`` flag, an environment variable, an API token).

    It cannot be renewed, so a 401 is handed back to the caller as is.
    """

    def __init__(self, token: str) -> None:
        if not token or any(c in token for c in "\r\n"):
            raise ValueError("a bearer token must be a non-empty single line")
        self._token = token

    def __repr__(self) -> str:
        return f"BearerAuth({fingerprint(self._token)})"

    @property
    def fingerprint(self) -> str:
        return fingerprint(self._token)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


class OAuth2Auth(httpx.Auth):
    """Bearer tokens from a :class:`TokenManager`, renewed before expiry and on 401.

    A ``DPoP`` token (RFC 9449) goes out with the ``DPoP`` scheme and a fresh
    proof from the :class:`OAuthClient`'s ``dpop`` key; a resource asking for
    a server nonce (``use_dpop_nonce``) gets the request once more with it.

    A 401 whose ``WWW-Authenticate`` says ``error="invalid_token"`` (RFC 6750
    §3.1) makes the flow renew the token once and resend the request once; a
    second 401 is returned to the caller, so a broken setup never loops. The
    request body is read up front so that the resend carries it again.
    """

    requires_request_body = True

    def __init__(self, manager: TokenManager) -> None:
        self.manager = manager

    def __repr__(self) -> str:
        return f"OAuth2Auth({self.manager!r})"

    def close(self) -> None:
        """Close the HTTP client the token requests used (if the library made it)."""
        self.manager.oauth.close()

    async def aclose(self) -> None:
        """Close the async HTTP client the token requests of this event loop used."""
        await self.manager.oauth.aclose()

    # -- constructors for the common cases ----------------------------------------

    @classmethod
    def client_credentials(
        cls,
        oauth: OAuthClient,
        *,
        scopes: Sequence[str] = (),
        audience: str | None = None,
        resource: Resources = (),
        leeway: float = 30.0,
    ) -> OAuth2Auth:
        """The client acting for itself; renewed without end.

        ``resource``: the RFC 8707 resource indicator(s) of the API(s) the token is for.
        """
        grant = ClientCredentialsGrant(tuple(scopes), audience, resource)
        return cls(TokenManager(oauth, grant, leeway=leeway))

    @classmethod
    def password(
        cls,
        oauth: OAuthClient,
        username: str,
        password: str,
        *,
        scopes: Sequence[str] = (),
        resource: Resources = (),
        leeway: float = 30.0,
        persistence: TokenPersistence | None = None,
    ) -> OAuth2Auth:
        """A user login; the password is used for the first token only, then refresh."""
        grant = PasswordGrant(username, password, tuple(scopes), resource)
        return cls(TokenManager(oauth, grant, leeway=leeway, persistence=persistence))

    @classmethod
    def from_token(
        cls,
        oauth: OAuthClient,
        token: Token,
        *,
        resource: Resources = (),
        leeway: float = 30.0,
        persistence: TokenPersistence | None = None,
    ) -> OAuth2Auth:
        """A token in hand (a stored session), refreshed with its refresh token."""
        manager = TokenManager(
            oauth, token=token, leeway=leeway, persistence=persistence, resource=resource
        )
        return cls(manager)

    # -- flows --------------------------------------------------------------------

    def _authorize(self, request: httpx.Request, token: Token) -> None:
        if token.token_type.lower() == "dpop":
            dpop = self.manager.oauth.dpop
            if dpop is None:
                raise ConfigurationError(
                    "the provider issued a DPoP-bound token, but the OAuthClient has no DPoP "
                    "key to prove possession; pass dpop=DPoPKey.generate() to OAuthClient"
                )
            dpop.authorize(request, token.access_token)
            return
        # RFC 6750 §2.1.
        request.headers["Authorization"] = f"Bearer {token.access_token}"

    def _wants_nonce(self, request: httpx.Request, response: httpx.Response, token: Token) -> bool:
        dpop = self.manager.oauth.dpop
        return (
            token.token_type.lower() == "dpop"
            and dpop is not None
            and dpop.observe(request.url, response)
        )

    def _should_retry(self, response: httpx.Response) -> bool:
        return (
            response.status_code == 401
            and is_invalid_token(response.headers.get("WWW-Authenticate"))
            and self.manager.can_renew
        )

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        request.read()
        token = self.manager.get_token()
        self._authorize(request, token)
        response = yield request
        if self._wants_nonce(request, response, token):
            self._authorize(request, token)
            response = yield request
        if self._should_retry(response):
            logger.info(
                "token %s rejected by %s; renewing once", token.fingerprint, request.url.host
            )
            self.manager.invalidate(token)
            self._authorize(request, self.manager.get_token())
            yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        await request.aread()
        token = await self.manager.aget_token()
        self._authorize(request, token)
        response = yield request
        if self._wants_nonce(request, response, token):
            self._authorize(request, token)
            response = yield request
        if self._should_retry(response):
            logger.info(
                "token %s rejected by %s; renewing once", token.fingerprint, request.url.host
            )
            self.manager.invalidate(token)
            self._authorize(request, await self.manager.aget_token())
            yield request

    def auth_flow(  # pragma: no cover - httpx only calls the two flows above
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("OAuth2Auth overrides sync_auth_flow and async_auth_flow")
