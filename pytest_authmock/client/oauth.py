"""``OAuthClient``: talks to one issuer's endpoints, found through discovery.

It sends token, revocation, introspection and userinfo requests, retries them
as :class:`~pytest_authmock.client.retry.RetryPolicy` says, and turns RFC 6749
§5.2 errors into the exceptions of :mod:`pytest_authmock.client.errors`. It
holds no token state: :class:`~pytest_authmock.client.manager.TokenManager` does.
"""

from __future__ import annotations

import functools
import logging
import ssl
import threading
from collections.abc import Mapping
from typing import Any

import httpx

from pytest_authmock.client.assertion import apply_client_auth
from pytest_authmock.client.discovery import (
    ProviderMetadata,
    metadata_urls,
    parse_metadata_response,
)
from pytest_authmock.client.dpop import DPoPKey, asend_with_nonce, send_with_nonce
from pytest_authmock.client.errors import (
    ConfigurationError,
    InvalidCredentials,
    LoginRequired,
    ProviderError,
)
from pytest_authmock.client.grants import ClientAuth, Grant, client_auth_for
from pytest_authmock.client.httpclients import HttpClients
from pytest_authmock.client.responses import (
    check_revocation,
    introspection_result,
    oauth_error,
    userinfo_result,
)
from pytest_authmock.client.retry import RetryPolicy
from pytest_authmock.client.tokens import Clock, Token, wall_clock

__all__ = ["OAuthClient"]

logger = logging.getLogger("pytest_authmock.client")

_JSON = {"Accept": "application/json"}


class OAuthClient:
    """A client of one issuer.

    ``client_auth`` (or ``client_id``/``client_secret``/``auth_method``) is how
    the client authenticates at the token endpoint. ``verify`` is passed to
    the HTTP clients we make: an :class:`ssl.SSLContext` from
    :mod:`pytest_authmock.client.mtls` carries a client certificate.
    ``dpop``, a :class:`~pytest_authmock.client.dpop.DPoPKey`, binds tokens to it (RFC 9449).

    Who owns the HTTP clients: ``http_client`` and ``async_http_client`` are
    used when given, and never closed by us. Otherwise one ``httpx.Client`` is
    made on first use, shared by all threads and closed by :meth:`close`; and
    one ``httpx.AsyncClient`` per event loop (an async client's connections
    belong to the loop that opened them), reused by every async call on that
    loop and closed by :meth:`aclose`, or, failing that, when the loop shuts
    down its async generators (``asyncio.run`` does, on the way out).
    """

    def __init__(
        self,
        issuer: str,
        client_auth: ClientAuth | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        auth_method: str | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        verify: ssl.SSLContext | bool = True,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        clock: Clock = wall_clock,
        metadata_ttl: float = 3600.0,
        dpop: DPoPKey | None = None,
    ) -> None:
        if not issuer.startswith(("https://", "http://")):
            raise ConfigurationError(f"issuer must be an http(s) URL, got {issuer!r}")
        if client_auth is None and client_id is not None:
            client_auth = client_auth_for(client_id, client_secret, auth_method)
        elif client_auth is not None and (client_id or client_secret or auth_method):
            raise TypeError("pass either client_auth or client_id/client_secret, not both")
        self.issuer = issuer.rstrip("/")
        self.client_auth = client_auth
        self.dpop = dpop
        self.retry = retry if retry is not None else RetryPolicy()
        self.clock = clock
        self.metadata_ttl = metadata_ttl
        self._clients = HttpClients(http_client, async_http_client, verify, timeout)
        self._metadata: ProviderMetadata | None = None
        self._metadata_at = 0.0
        self._metadata_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OAuthClient(issuer={self.issuer!r}, client_auth={self.client_auth!r})"

    @property
    def client_id(self) -> str | None:
        return self.client_auth.client_id if self.client_auth else None

    # -- plumbing ---------------------------------------------------------------

    @property
    def http(self) -> httpx.Client:
        """The sync HTTP client: the one given, or ours (shared by all threads)."""
        return self._clients.sync()

    async def async_http(self) -> httpx.AsyncClient:
        """The async HTTP client of the running event loop: the one given, or ours."""
        return await self._clients.for_loop()

    def close(self) -> None:
        """Close the sync HTTP client we made (see :meth:`aclose` for the async one)."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close the async HTTP client we made for the running loop (a no-op if none)."""
        await self._clients.aclose()

    def __enter__(self) -> OAuthClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> OAuthClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
        self.close()

    # -- discovery --------------------------------------------------------------

    def _cached_metadata(self) -> ProviderMetadata | None:
        if self._metadata and self.clock() - self._metadata_at < self.metadata_ttl:
            return self._metadata
        return None

    def _store_metadata(
        self, metadata: ProviderMetadata | None, tried: list[str]
    ) -> ProviderMetadata:
        if metadata is None:
            raise ConfigurationError(
                f"{self.issuer} publishes no metadata (tried {', '.join(tried)});"
                " check the issuer URL"
            )
        self._metadata = metadata
        self._metadata_at = self.clock()
        return metadata

    def metadata(self, *, refresh: bool = False) -> ProviderMetadata:
        """The issuer's metadata, fetched once and cached for ``metadata_ttl`` seconds."""
        with self._metadata_lock:
            cached = None if refresh else self._cached_metadata()
            if cached:
                return cached
            urls = metadata_urls(self.issuer)
            found = None
            for url in urls:
                response = self.retry.send(
                    functools.partial(self.http.get, url, headers=_JSON),
                    what="discovery",
                )
                found = parse_metadata_response(self.issuer, response)
                if found:
                    break
            return self._store_metadata(found, urls)

    async def ametadata(self, *, refresh: bool = False) -> ProviderMetadata:
        cached = None if refresh else self._cached_metadata()
        if cached:
            return cached
        urls = metadata_urls(self.issuer)
        found = None
        http = await self.async_http()
        for url in urls:
            response = await self.retry.asend(
                functools.partial(http.get, url, headers=_JSON),
                what="discovery",
            )
            found = parse_metadata_response(self.issuer, response)
            if found:
                break
        return self._store_metadata(found, urls)

    # -- token endpoint ---------------------------------------------------------

    def _require_client(self) -> ClientAuth:
        if self.client_auth is None:
            raise ConfigurationError(
                "no client configured: pass client_id (and client_secret for a"
                " confidential client) to OAuthClient"
            )
        return self.client_auth

    def _token_request(self, grant: Grant, url: str) -> tuple[dict[str, str], dict[str, Any]]:
        # Per attempt: assertions and DPoP proofs are single-use (RFC 7523 §3, RFC 9449 §11.1).
        client = self._require_client()
        headers = dict(_JSON)
        # The client's own fields go into a plain dict of strings (what
        # ClientAuth.apply takes) and join the grant's, whose values may be lists.
        credentials: dict[str, str] = {}
        apply_client_auth(client, headers, credentials, issuer=self.issuer, token_endpoint=url)
        if self.dpop is not None:
            headers["DPoP"] = self.dpop.proof("POST", url)
        return headers, {**grant.form(), **credentials}

    def _token_url(self, metadata: ProviderMetadata) -> str:
        mtls = bool(self.client_auth and self.client_auth.uses_mtls)
        return metadata.endpoint("token_endpoint", mtls=mtls)

    def request_token(self, grant: Grant, *, previous: Token | None = None) -> Token:
        """Run one grant at the token endpoint and return the token."""
        url = self._token_url(self.metadata())
        logger.debug("token request grant=%s client=%s", grant.grant_type, self.client_id)

        def post() -> httpx.Response:
            headers, form = self._token_request(grant, url)
            return self.http.post(url, data=form, headers=headers)

        issued_at = self.clock()
        response = send_with_nonce(self.retry, post, self.dpop, url, grant)
        return self._token_from(response, grant, issued_at, previous)

    async def arequest_token(self, grant: Grant, *, previous: Token | None = None) -> Token:
        url = self._token_url(await self.ametadata())
        logger.debug("token request grant=%s client=%s", grant.grant_type, self.client_id)
        issued_at = self.clock()
        http = await self.async_http()

        async def post() -> httpx.Response:
            headers, form = self._token_request(grant, url)
            return await http.post(url, data=form, headers=headers)

        response = await asend_with_nonce(self.retry, post, self.dpop, url, grant)
        return self._token_from(response, grant, issued_at, previous)

    def _token_from(
        self, response: httpx.Response, grant: Grant, issued_at: float, previous: Token | None
    ) -> Token:
        if response.status_code == 200:
            try:
                payload = response.json()
            except ValueError:
                raise ProviderError(
                    "the token endpoint answered 200 with a body that is not JSON"
                ) from None
            if not isinstance(payload, Mapping):
                raise ProviderError("the token endpoint answered 200 with a non-object JSON body")
            token = Token.from_response(
                payload,
                issued_at=issued_at,
                previous_refresh_token=previous.refresh_token if previous else None,
            )
            logger.info(
                "token %s issued (grant=%s, client=%s, expires_in=%s)",
                token.fingerprint,
                grant.grant_type,
                self.client_id,
                payload.get("expires_in"),
            )
            return token
        raise self._token_error(response, grant)

    def _token_error(self, response: httpx.Response, grant: Grant) -> Exception:
        error, description = oauth_error(response)
        detail = f"{error}: {description}" if description else str(error)
        status = response.status_code
        if error == "invalid_client":
            return InvalidCredentials(
                f"the provider rejected client {self.client_id!r} ({detail}); check the client"
                " id, the client secret and the authentication method"
                f" ({self.client_auth.method if self.client_auth else 'none'})"
            )
        if error == "invalid_grant":
            if grant.grant_type == "refresh_token":
                return LoginRequired(
                    f"the session can no longer be refreshed ({detail}); log in again"
                )
            if grant.grant_type == "password":
                return InvalidCredentials(
                    f"the provider rejected the username or password ({detail});"
                    " check them and log in again"
                )
            return InvalidCredentials(
                f"the provider rejected the {grant.grant_type} grant ({detail})"
            )
        advice = {
            "unauthorized_client": f"client {self.client_id!r} may not use the"
            f" {grant.grant_type} grant; allow it at the provider",
            "unsupported_grant_type": f"the provider does not support {grant.grant_type}",
            "invalid_scope": "ask for scopes the client is allowed",
            "invalid_target": "ask for resources (RFC 8707) the client and provider allow",
        }.get(error or "", "see the provider's documentation")
        return ProviderError(
            f"the token request ({grant.grant_type}) failed with HTTP {status}"
            f" ({detail}); {advice}",
            error=error,
            error_description=description,
            status_code=status,
        )

    # -- revocation, introspection, userinfo -------------------------------------

    def _client_form(self, form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        headers = dict(_JSON)
        if self.client_auth is not None:
            token_url = self._metadata.token_endpoint if self._metadata else None
            apply_client_auth(
                self.client_auth, headers, form, issuer=self.issuer, token_endpoint=token_url
            )
        return headers, form

    def revoke(self, token: str, *, token_type_hint: str | None = None) -> None:
        """RFC 7009: revoke a token. An unknown token is not an error (§2.2)."""
        url = self.metadata().endpoint("revocation_endpoint")
        headers, form = self._client_form(_hint({"token": token}, token_type_hint))
        response = self.retry.send(
            lambda: self.http.post(url, data=form, headers=headers), what="revocation"
        )
        check_revocation(response)

    async def arevoke(self, token: str, *, token_type_hint: str | None = None) -> None:
        url = (await self.ametadata()).endpoint("revocation_endpoint")
        headers, form = self._client_form(_hint({"token": token}, token_type_hint))
        http = await self.async_http()
        response = await self.retry.asend(
            lambda: http.post(url, data=form, headers=headers), what="revocation"
        )
        check_revocation(response)

    def introspect(self, token: str, *, token_type_hint: str | None = None) -> dict[str, Any]:
        """RFC 7662: what the provider knows about a token (``active`` and claims)."""
        url = self.metadata().endpoint("introspection_endpoint")
        headers, form = self._client_form(_hint({"token": token}, token_type_hint))
        response = self.retry.send(
            lambda: self.http.post(url, data=form, headers=headers), what="introspection"
        )
        return introspection_result(response, self.client_id)

    async def aintrospect(
        self, token: str, *, token_type_hint: str | None = None
    ) -> dict[str, Any]:
        url = (await self.ametadata()).endpoint("introspection_endpoint")
        headers, form = self._client_form(_hint({"token": token}, token_type_hint))
        http = await self.async_http()
        response = await self.retry.asend(
            lambda: http.post(url, data=form, headers=headers), what="introspection"
        )
        return introspection_result(response, self.client_id)

    def userinfo(self, access_token: str) -> dict[str, Any]:
        """OIDC Core §5.3: the claims about the token's user."""
        url = self.metadata().endpoint("userinfo_endpoint")
        headers = {**_JSON, "Authorization": f"Bearer {access_token}"}
        response = self.retry.send(lambda: self.http.get(url, headers=headers), what="userinfo")
        return userinfo_result(response)

    async def auserinfo(self, access_token: str) -> dict[str, Any]:
        url = (await self.ametadata()).endpoint("userinfo_endpoint")
        headers = {**_JSON, "Authorization": f"Bearer {access_token}"}
        http = await self.async_http()
        response = await self.retry.asend(lambda: http.get(url, headers=headers), what="userinfo")
        return userinfo_result(response)


def _hint(form: dict[str, str], hint: str | None) -> dict[str, str]:
    if hint is not None:
        form["token_type_hint"] = hint
    return form
