"""Where the RFCs leave providers a choice, the fake offers a switch (DESIGN.md §5).

The contract suite (``pytest --pyargs pytest_authmock.contract``) reports which
variant a real provider chose and the option that makes the fake match it.
"""

from __future__ import annotations

from pytest_authmock.provider.errors import (
    InvalidClient,
    InvalidGrant,
    OAuthError,
    UnauthorizedClient,
    UnsupportedGrantType,
)

#: The error for a grant type the provider supports but the client may not use.
#: RFC 6749 §5.2 names ``unauthorized_client``; some providers answer otherwise.
UNAUTHORIZED_GRANT_ERRORS: dict[str, type[OAuthError]] = {
    "unauthorized_client": UnauthorizedClient,
    "invalid_grant": InvalidGrant,
    "unsupported_grant_type": UnsupportedGrantType,
    "invalid_client": InvalidClient,
}


def unauthorized_grant_error(variant: str, description: str) -> OAuthError:
    return UNAUTHORIZED_GRANT_ERRORS[variant](description)


__all__ = ["UNAUTHORIZED_GRANT_ERRORS", "unauthorized_grant_error"]
