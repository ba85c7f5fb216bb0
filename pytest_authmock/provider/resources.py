"""Resource indicators (RFC 8707): the ``resource`` a token is asked for becomes its ``aud``.

Every grant takes ``resource`` (repeated for several APIs), and so do the
authorization and device authorization requests; a refresh or a code exchange
may narrow the resources granted, never widen them (RFC 8707 §2.2).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from pytest_authmock.provider.errors import OAuthError
from pytest_authmock.provider.models import Client


class InvalidTarget(OAuthError):
    """RFC 8707 §2 (and RFC 8693 §2.2.2): a resource or audience the client may not have."""

    error = "invalid_target"


def resource_indicators(values: Sequence[str], client: Client) -> tuple[str, ...]:
    """The requested resources, checked: absolute URIs without a fragment (§2), and
    among the client's registered audiences when it has some."""
    for value in values:
        parts = urlsplit(value)
        if not parts.scheme or not (parts.netloc or parts.path) or parts.fragment or "#" in value:
            raise InvalidTarget(
                f"resource {value!r} is not an absolute URI without a fragment (RFC 8707 §2)"
            )
    allowed = client.audience
    refused = [value for value in values if allowed is not None and value not in allowed]
    if refused:
        raise InvalidTarget(
            f"client {client.client_id!r} may not ask for resource {refused[0]!r}; allowed: "
            f"{', '.join(allowed or ())}. Pass audience=[...] to add_client()"
        )
    return tuple(dict.fromkeys(values))


def narrowed(requested: tuple[str, ...], granted: tuple[str, ...]) -> tuple[str, ...]:
    """RFC 8707 §2.2: the resources of a refresh or code exchange, within those granted."""
    if not granted:
        return requested
    wider = [value for value in requested if value not in granted]
    if wider:
        raise InvalidTarget(
            f"resource {wider[0]!r} was not granted (granted: {', '.join(granted)}); a refresh "
            "or code exchange may only narrow the resources (RFC 8707 §2.2)"
        )
    return requested or granted
