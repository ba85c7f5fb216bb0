"""Setting up a provider: clients, users, protected routes, and switching them off mid-test."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from pytest_authmock.provider.facade_base import FacadeBase
from pytest_authmock.provider.models import Client, User
from pytest_authmock.provider.resource import ProtectedResource, Responder
from pytest_authmock.provider.resource_metadata import (
    MetadataRoute,
    check_identifier,
    well_known_url,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from pytest_authmock.provider.registration import ClientOptions


class SetupAPI(FacadeBase):
    """Methods of :class:`~pytest_authmock.provider.idp.FakeIdP` that register things."""

    _resources: list[ProtectedResource]
    _metadata_routes: dict[str, MetadataRoute]
    _protect_listeners: list[Callable[[ProtectedResource | MetadataRoute], None]]

    def add_client(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        **options: Unpack[ClientOptions],
    ) -> Client:
        """Register a client; Faker fills the id and (for confidential clients) the secret.

        With no arguments: a confidential client that may use every grant, any
        scope, and authenticate with ``client_secret_basic`` or ``client_secret_post``.
        The keyword options (``public``, ``grant_types``, ``scopes``, ``audience``,
        ``token_endpoint_auth_method``, ``claims``, TTLs, ``token_format``,
        ``tls_client_auth_*``, ``self_signed_certificates``, ``redirect_uris``,
        ``resources``, ``post_logout_redirect_uris``,
        ``require_pushed_authorization_requests``, ``jwks``, ``jwks_uri``,
        ``token_endpoint_auth_signing_alg``, ``dpop_bound_access_tokens``) are described
        on :class:`~pytest_authmock.provider.registration.ClientOptions`.
        A client given keys (``jwks``/``jwks_uri``) and no method gets no secret.
        """
        return self._register_client(client_id, client_secret, options)

    def add_user(
        self,
        username: str | None = None,
        password: str | None = None,
        *,
        claims: Mapping[str, Any] | None = None,
        profile: Mapping[str, Any] | None = None,
        sub: str | None = None,
        disabled: bool = False,
    ) -> User:
        """Register a user; Faker fills the username, password, ``sub`` and profile.

        ``claims`` go into every token for the user; ``profile`` overrides the
        standard OIDC profile claims (released by the ``profile``/``email`` scopes).
        """
        with self._lock:
            users = self._ctx.store.users
            if username is not None and (not isinstance(username, str) or not username):
                raise ValueError(f"username must be a non-empty string; got {username!r}")
            if username in users:
                raise ValueError(f"user {username!r} already exists")
            if password is not None and (not isinstance(password, str) or not password):
                raise ValueError("password must be a non-empty string")
            identities = self._identities
            name = username or identities.username(users)
            user = User(
                username=name,
                password=password or identities.secret(),
                sub=sub or identities.sub(),
                profile=identities.complete_profile(name, profile),
                claims=dict(claims or {}),
                disabled=bool(disabled),
            )
            users[name] = user
            return user

    def protect(
        self,
        url: str,
        *,
        scopes: Sequence[str] = (),
        audience: str | None = None,
        leeway: float = 0,
        methods: Iterable[str] | None = None,
        respond: Responder | None = None,
        resource: str | None = None,
        resource_metadata: bool = True,
    ) -> ProtectedResource:
        """Mount an API route that accepts only valid bearer tokens from this provider.

        It answers 200 with the token's identity (or what ``respond(request, token)``
        returns), 401 ``invalid_token`` or 403 ``insufficient_scope`` (RFC 6750).
        ``resource`` is its RFC 9728 resource identifier (default: ``url``); unless
        ``resource_metadata=False``, the identifier's metadata document is served at
        its ``/.well-known/oauth-protected-resource`` URL and the route's challenges
        point to it.
        """
        if isinstance(scopes, str):
            raise TypeError(f"scopes must be a list of scope names, not the string {scopes!r}")
        parsed = httpx.URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(f"protect() needs an absolute http(s) URL; got {url!r}")
        identifier = resource or str(parsed.copy_with(query=None, fragment=None))
        metadata_url = well_known_url(check_identifier(identifier))
        route = ProtectedResource(
            url=parsed,
            scopes=tuple(scopes),
            audience=audience,
            leeway=leeway,
            methods=None if methods is None else frozenset(m.upper() for m in methods),
            responder=respond,
            identifier=identifier,
            metadata_url=str(metadata_url) if resource_metadata else None,
        )
        mounted: list[ProtectedResource | MetadataRoute] = [route]
        with self._lock:
            self._resources.append(route)
            if resource_metadata:
                document = self._metadata_routes.get(str(metadata_url))
                if document is None:
                    document = MetadataRoute(identifier, metadata_url)
                    self._metadata_routes[str(metadata_url)] = document
                    mounted.append(document)
                elif document.identifier != identifier:
                    raise ValueError(
                        f"resources {document.identifier!r} and {identifier!r} would share the "
                        f"metadata URL {metadata_url} (RFC 9728 §3); give one resource=..."
                    )
                document.routes.append(route)
        for listener in self._protect_listeners:
            for mount in mounted:
                listener(mount)
        return route

    # -- mid-test changes -------------------------------------------------------------

    def disable_user(self, user: User | str) -> User:
        """Disable a user: its tokens stop working, logins and refreshes fail (``invalid_grant``)."""
        return self._set_user_disabled(user, True)

    def enable_user(self, user: User | str) -> User:
        return self._set_user_disabled(user, False)

    def disable_client(self, client: Client | str) -> Client:
        """Disable a client: its tokens stop working and it can no longer authenticate
        (``invalid_client``, RFC 6749 §5.2), so refreshes fail too."""
        return self._set_client_disabled(client, True)

    def enable_client(self, client: Client | str) -> Client:
        return self._set_client_disabled(client, False)

    def _set_user_disabled(self, user: User | str, disabled: bool) -> User:
        with self._lock:
            found = self._user(user)
            found.disabled = disabled
            return found

    def _set_client_disabled(self, client: Client | str, disabled: bool) -> Client:
        with self._lock:
            found = self._client(client)
            found.disabled = disabled
            return found
