"""The state a reset returns to: what the server registered at start-up.

``idp.reset()`` forgets everything, including the clients and users that
``authmock serve`` registered from its flags, its config file or its demo
setup. :class:`Baseline` remembers them (through the provider's public
attributes) once start-up is done and registers them again after each reset,
with the same secrets, subjects and certificate subjects, so a client holding
the demo credentials or a certificate file keeps working across resets.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pytest_authmock import setting_groups

if TYPE_CHECKING:
    from pytest_authmock.provider.idp import FakeIdP
    from pytest_authmock.provider.models import Client, User
    from pytest_authmock.provider.resource import ProtectedResource
    from pytest_authmock.provider.trust import TrustedIssuer


def client_keywords(client: Client) -> dict[str, Any]:
    """``add_client()`` keywords that register ``client`` again, exactly."""
    return {
        "client_id": client.client_id,
        "client_secret": client.client_secret,
        "public": client.public,
        "grant_types": client.grant_types,
        "scopes": client.scopes,
        "audience": client.audience,
        "resources": client.resources,
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "require_pushed_authorization_requests": client.require_pushed_authorization_requests,
        "token_endpoint_auth_method": client.token_endpoint_auth_methods or None,
        "claims": dict(client.claims),
        "access_token_ttl": client.access_token_ttl,
        "refresh_token_ttl": client.refresh_token_ttl,
        "token_format": client.token_format,
        "tls_client_auth_subject_dn": client.tls_client_auth_subject_dn,
        "tls_client_auth_san_dns": client.tls_client_auth_san_dns,
        "self_signed_certificates": client.self_signed_certificates,
        "redirect_uris": client.redirect_uris,
        "jwks": {"keys": [dict(key.as_dict(private=False)) for key in client.jwks]}
        if client.jwks
        else None,
        "jwks_uri": client.jwks_uri,
        "token_endpoint_auth_signing_alg": client.token_endpoint_auth_signing_alg,
        "dpop_bound_access_tokens": client.dpop_bound_access_tokens,
    }


def user_keywords(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "password": user.password,
        "claims": dict(user.claims),
        "profile": dict(user.profile),
        "sub": user.sub,
        "disabled": user.disabled,
    }


def resource_keywords(resource: ProtectedResource) -> dict[str, Any]:
    return {
        "url": str(resource.url),
        "scopes": resource.scopes,
        "audience": resource.audience,
        "leeway": resource.leeway,
        "methods": resource.methods,
        "respond": resource.responder,
        "resource": resource.identifier,
        "resource_metadata": resource.metadata_url is not None,
    }


@dataclasses.dataclass(frozen=True)
class _LiveIssuer:
    """Another provider as ``trust_issuer()`` takes it: its issuer and its current JWKS."""

    issuer: str
    jwks: Callable[[], Mapping[str, Any]]


def trusted_issuer_keywords(trusted: TrustedIssuer) -> dict[str, Any]:
    """``trust_issuer()`` keywords that trust ``trusted`` again, with the same keys."""
    keywords: dict[str, Any] = {
        "audience": trusted.audience,
        "copy_claims": trusted.copy_claims,
    }
    if trusted.live_jwks is not None:
        keywords["issuer"] = _LiveIssuer(trusted.issuer, trusted.live_jwks)
    elif trusted.jwks_uri is not None:
        keywords.update(issuer=trusted.issuer, jwks_uri=trusted.jwks_uri)
    else:
        keys = [dict(key.as_dict(private=False)) for key in trusted.jwks]
        keywords.update(issuer=trusted.issuer, jwks={"keys": keys})
    return keywords


class Baseline:
    """A snapshot of a provider's setup, and :meth:`restore` to go back to it."""

    def __init__(self, idp: FakeIdP, *, reapply: Callable[[FakeIdP], None] | None = None) -> None:
        """Snapshot ``idp`` now; ``reapply`` re-plans what cannot be copied (config faults)."""
        self.clients = [client_keywords(client) for client in idp.clients.values()]
        self.disabled_clients = [c.client_id for c in idp.clients.values() if c.disabled]
        self.users = [user_keywords(user) for user in idp.users.values()]
        self.resources = [resource_keywords(resource) for resource in idp.resources]
        self.flow_settings = dataclasses.asdict(idp.flow_settings)
        #: ``idp.protocol_settings`` and ``idp.dpop_settings`` (flags and config tables).
        self.settings = {
            group: setting_groups.values(idp, group) for group in setting_groups.GROUPS
        }
        self.trusted_issuers = [
            trusted_issuer_keywords(trusted) for trusted in idp.trusted_issuers.values()
        ]
        self._reapply = reapply

    def restore(self, idp: FakeIdP) -> None:
        """Reset ``idp`` (tokens, journal, clock, faults, keys back to the first) and
        register the snapshot again."""
        idp.reset()
        for keywords in self.users:
            idp.add_user(**keywords)
        for keywords in self.clients:
            idp.add_client(**keywords)
        for client_id in self.disabled_clients:
            idp.disable_client(client_id)
        for keywords in self.resources:
            idp.protect(**keywords)
        for name, value in self.flow_settings.items():
            setattr(idp.flow_settings, name, value)
        for group, found in self.settings.items():
            setting_groups.apply(idp, group, found)
        for keywords in self.trusted_issuers:
            idp.trust_issuer(**keywords)
        if self._reapply is not None:
            self._reapply(idp)
