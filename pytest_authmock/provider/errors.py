"""OAuth error responses (RFC 6749 §5.2, RFC 6750 §3.1) as exceptions the endpoints raise."""

from __future__ import annotations

import re
from typing import ClassVar

#: RFC 6749 §5.2: ``error_description`` is ``%x20-21 / %x23-5B / %x5D-7E``: printable
#: ASCII without ``"`` and ``\\``. RFC 6750 §3 says the same of challenge attributes.
WIRE_TEXT = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")
_SECTION = re.compile(r"§ ?")
_READABLE = str.maketrans({'"': "'", "\\": "/", "\t": " ", "\n": " ", "\r": " "})
_OUTSIDE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


def wire_text(text: str) -> str:
    """``text`` in the characters an ``error_description`` may carry (RFC 6749 §5.2).

    The same set holds for the ``error_description`` of a ``WWW-Authenticate``
    challenge (RFC 6750 §3) and of an error redirect (RFC 6749 §4.1.2.1). The
    rendering keeps the text readable: ``§`` becomes ``section `` (``RFC 6749 §3.2``
    reads ``RFC 6749 section 3.2``), ``"`` becomes ``'``, ``\\`` becomes ``/``, a tab,
    newline or carriage return becomes a space, and any other character outside
    the set (non-ASCII, control characters) becomes ``?``.
    """
    if WIRE_TEXT.fullmatch(text):
        return text
    return _OUTSIDE.sub("?", _SECTION.sub("section ", text).translate(_READABLE))


class OAuthError(Exception):
    """An RFC 6749 §5.2 error; endpoints raise it and the dispatcher renders it.

    ``status_code`` defaults to 400 as §5.2 requires for every code except
    ``invalid_client`` (401). ``description`` is the text as written, for Python
    callers and pages; :meth:`body` puts it on the wire through :func:`wire_text`.
    """

    status_code: ClassVar[int] = 400
    error: ClassVar[str] = "invalid_request"

    def __init__(self, description: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.headers = dict(headers or {})

    def body(self) -> dict[str, str]:
        """The JSON body (RFC 6749 §5.2), also the parameters of an error redirect."""
        return {"error": self.error, "error_description": wire_text(self.description)}


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    # RFC 6749 §5.2: 401; WWW-Authenticate is added when the client used Basic.
    status_code = 401
    error = "invalid_client"


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class MethodNotAllowed(OAuthError):
    status_code = 405
    error = "invalid_request"


class NotFound(OAuthError):
    status_code = 404
    error = "not_found"


class InvalidToken(OAuthError):
    """RFC 6750 §3.1 ``invalid_token`` (401) at a protected resource or userinfo."""

    status_code = 401
    error = "invalid_token"


class InsufficientScope(OAuthError):
    """RFC 6750 §3.1 ``insufficient_scope`` (403)."""

    status_code = 403
    error = "insufficient_scope"

    def __init__(self, description: str, *, required: tuple[str, ...]) -> None:
        super().__init__(description)
        self.required = required


class AccessDenied(OAuthError):
    """RFC 6749 §4.1.2.1 / RFC 8628 §3.5 ``access_denied``: the user said no."""

    error = "access_denied"


class Forbidden(OAuthError):
    """403 ``access_denied``: authenticated, but this action is not allowed for the caller."""

    status_code = 403
    error = "access_denied"


class AuthorizationPending(OAuthError):
    """RFC 8628 §3.5: the user has not approved or denied the device yet; keep polling."""

    error = "authorization_pending"


class SlowDown(OAuthError):
    """RFC 8628 §3.5: polling faster than the interval; the interval grows by 5 s."""

    error = "slow_down"


class ExpiredToken(OAuthError):
    """RFC 8628 §3.5: the device code has expired; start a new device authorization."""

    error = "expired_token"


#: The error for a grant type the provider supports but the client may not use.
#: RFC 6749 §5.2 names ``unauthorized_client``; some providers answer otherwise, so
#: the fake offers a switch (``unauthorized_grant_error=...``) and the contract suite
#: reports which one a real provider chose.
UNAUTHORIZED_GRANT_ERRORS: dict[str, type[OAuthError]] = {
    "unauthorized_client": UnauthorizedClient,
    "invalid_grant": InvalidGrant,
    "unsupported_grant_type": UnsupportedGrantType,
    "invalid_client": InvalidClient,
    # oidc-provider: "requested grant type is not allowed for this client".
    "invalid_request": InvalidRequest,
}


def unauthorized_grant_error(variant: str, description: str) -> OAuthError:
    return UNAUTHORIZED_GRANT_ERRORS[variant](description)
