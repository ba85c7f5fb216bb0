"""Resource indicators (RFC 8707): which protected resources a token is for.

A client names each resource it wants a token for with a ``resource``
parameter, repeated for several (§2). Each is an absolute URI without a
fragment. The resources the client and the provider allow are checked here;
the token's ``aud`` then follows the resources asked for, and what a grant
authorized (an authorization code, a device code, a refresh token) bounds what
later token requests of that grant may ask for (§2.2).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from pytest_authmock.provider.errors import OAuthError
from pytest_authmock.provider.http import values_of
from pytest_authmock.provider.models import Client

PARAMETER = "resource"


class InvalidTarget(OAuthError):
    """RFC 8707 §2: the resource is invalid, unknown, or not allowed for this client."""

    error = "invalid_target"


def check_uri(value: str) -> str:
    """``value`` if it is an absolute URI without a fragment (RFC 8707 §2), else ``invalid_target``."""
    parts = urlsplit(value)
    if not parts.scheme or not (parts.netloc or parts.path) or "#" in value:
        raise InvalidTarget(
            f"resource {value[:200]!r} must be an absolute URI without a fragment (RFC 8707 §2)"
        )
    if any(char.isspace() for char in value):
        raise InvalidTarget(f"resource {value[:200]!r} contains white space; it is not a URI")
    return value


def check_registered(values: Iterable[str] | None, *, client_id: str) -> tuple[str, ...] | None:
    """Validate ``add_client(resources=[...])``: the resource indicators the client may ask for."""
    if values is None:
        return None
    if isinstance(values, str):
        raise TypeError(f"resources must be a list of URIs, not the string {values!r}")
    checked = []
    for value in values:
        if not isinstance(value, str):
            raise TypeError(f"client {client_id!r}: resource {value!r} is not a string")
        try:
            checked.append(check_uri(value))
        except InvalidTarget as error:
            raise ValueError(f"client {client_id!r}: {error.description}") from None
    return tuple(dict.fromkeys(checked))


def requested(
    params: dict[str, str], client: Client, allowed: tuple[str, ...] | None
) -> tuple[str, ...]:
    """The resources a request names, checked; ``()`` when it names none.

    ``allowed`` is the provider's list (``None``: any absolute URI); the client's
    own list (``add_client(resources=...)``) applies on top of it.
    """
    values = tuple(dict.fromkeys(check_uri(v) for v in values_of(params, PARAMETER)))
    for value in values:
        if allowed is not None and value not in allowed:
            raise InvalidTarget(
                f"resource {value!r} is not one this provider issues tokens for "
                f"(known: {', '.join(allowed) or 'none'}); set idp.protocol_settings.resources"
            )
        if client.resources is not None and value not in client.resources:
            raise InvalidTarget(
                f"client {client.client_id!r} may not ask for resource {value!r}; allowed: "
                f"{', '.join(client.resources) or '(none)'}. Pass resources=[...] to add_client()"
            )
    return values


def within(asked: tuple[str, ...], granted: tuple[str, ...], what: str) -> tuple[str, ...]:
    """The resources for a token of a grant that authorized ``granted`` (RFC 8707 §2.2).

    A request may narrow them; a resource the grant did not authorize is
    ``invalid_target``. Without ``resource`` the token is for all of ``granted``.
    A grant that authorized none leaves the request as it is.
    """
    if not granted:
        return asked
    extra = [value for value in asked if value not in granted]
    if extra:
        raise InvalidTarget(
            f"resource {extra[0]!r} was not part of the {what} "
            f"(authorized: {', '.join(granted)}); RFC 8707 §2.2 allows only those"
        )
    return asked or granted
