"""Client metadata (RFC 7591 §2) read into ``add_client()`` options, and written back.

Dynamic registration (RFC 7591) and management (RFC 7592) send a client's
metadata as JSON. Each field this provider understands is checked (its type,
its value) and mapped onto the options of ``add_client()``; fields it does not
understand are ignored, as §2 requires. A bad field is ``invalid_client_metadata``
naming it, a bad redirect URI ``invalid_redirect_uri`` (§3.2.2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pytest_authmock.provider.errors import InvalidRequest, OAuthError
from pytest_authmock.provider.limits import load_json
from pytest_authmock.provider.models import AUTH_METHODS, Client
from pytest_authmock.provider.redirects import check_redirect_uris
from pytest_authmock.provider.registration import CLIENT_OPTIONS
from pytest_authmock.provider.scopes import is_scope_token

#: Larger documents are refused: real client metadata is a few hundred bytes.
MAX_BYTES = 32 * 1024
#: Methods registration cannot set up: their credentials are not in the metadata.
_NOT_REGISTRABLE = ("self_signed_tls_client_auth",)
#: Descriptive fields kept and returned as they were sent (strings, or lists of strings).
DESCRIPTIVE = (
    "client_name",
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "software_id",
    "software_version",
    "contacts",
)
#: Fields handed to ``add_client()`` under the same name (when this provider knows them).
_PASSED_ON = (
    "tls_client_auth_subject_dn",
    "tls_client_auth_san_dns",
    "jwks",
    "jwks_uri",
    "token_endpoint_auth_signing_alg",
    "dpop_bound_access_tokens",
)


class InvalidClientMetadata(OAuthError):
    """RFC 7591 §3.2.2: a metadata field is invalid."""

    error = "invalid_client_metadata"


class InvalidRedirectUri(OAuthError):
    """RFC 7591 §3.2.2: a redirect URI is invalid."""

    error = "invalid_redirect_uri"


class UnapprovedSoftwareStatement(OAuthError):
    """RFC 7591 §3.2.2: the provider does not accept the software statement."""

    error = "unapproved_software_statement"


def read_document(raw: bytes, content_type: str) -> dict[str, Any]:
    """The JSON object of a registration request body (RFC 7591 §3.1)."""
    mime = content_type.split(";")[0].strip().lower()
    if mime != "application/json":
        got = f"Content-Type {mime!r}" if mime else "no Content-Type"
        raise InvalidClientMetadata(
            f"send the client metadata as an application/json object (RFC 7591 §3.1); "
            f"the request had {got}"
        )
    if len(raw) > MAX_BYTES:
        raise InvalidClientMetadata(
            f"the client metadata is {len(raw)} bytes; this provider accepts at most {MAX_BYTES}"
        )
    try:
        document = load_json(raw, what="the client metadata")
    except InvalidRequest as error:
        raise InvalidClientMetadata(error.description) from None
    if not isinstance(document, dict):
        raise InvalidClientMetadata("the client metadata must be a JSON object (RFC 7591 §3.1)")
    return document


def _strings(document: Mapping[str, Any], name: str) -> list[str] | None:
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InvalidClientMetadata(f"{name} must be an array of non-empty strings (RFC 7591 §2)")
    return list(dict.fromkeys(value))


def _string(document: Mapping[str, Any], name: str) -> str | None:
    value = document.get(name)
    if value is not None and (not isinstance(value, str) or not value):
        raise InvalidClientMetadata(f"{name} must be a non-empty string (RFC 7591 §2)")
    return value


def to_options(
    document: Mapping[str, Any], *, supported_grants: Sequence[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``add_client()`` options for the metadata, and the metadata as registered.

    The registered metadata holds the defaults RFC 7591 §2 gives for omitted
    fields (``token_endpoint_auth_method`` ``client_secret_basic``, the
    ``authorization_code`` grant, the ``code`` response type).
    """
    if document.get("software_statement") is not None:
        raise UnapprovedSoftwareStatement(
            "this provider accepts no software statements (RFC 7591 §2.3); leave it out"
        )
    method = _string(document, "token_endpoint_auth_method") or "client_secret_basic"
    if method not in AUTH_METHODS or method in _NOT_REGISTRABLE:
        usable = [m for m in AUTH_METHODS if m not in _NOT_REGISTRABLE]
        raise InvalidClientMetadata(
            f"token_endpoint_auth_method {method!r} cannot be registered here; use one of "
            f"{', '.join(usable)}"
        )
    grants = _strings(document, "grant_types") or ["authorization_code"]
    unknown = [grant for grant in grants if grant not in supported_grants]
    if unknown:
        raise InvalidClientMetadata(
            f"grant_types {', '.join(map(repr, unknown))} not supported; supported: "
            f"{', '.join(supported_grants)}"
        )
    response_types = _strings(document, "response_types")
    if response_types is None:
        response_types = ["code"] if "authorization_code" in grants else []
    if [r for r in response_types if r != "code"]:
        raise InvalidClientMetadata("response_types: only 'code' is supported")
    # RFC 7591 §2.1: the code grant and the code response type go together.
    if ("code" in response_types) != ("authorization_code" in grants):
        raise InvalidClientMetadata(
            "grant_types and response_types disagree: authorization_code goes with 'code' "
            "(RFC 7591 §2.1)"
        )
    public = method == "none"
    if public and "client_credentials" in grants:
        raise InvalidClientMetadata(
            "a client with token_endpoint_auth_method 'none' cannot use client_credentials"
        )
    redirect_uris = _redirect_uris(document, needed="authorization_code" in grants)
    scope = _string(document, "scope")
    scopes = None
    if scope is not None:
        scopes = scope.split()
        bad = [s for s in scopes if not is_scope_token(s)]
        if bad or not scopes:
            raise InvalidClientMetadata(f"scope {scope!r} is not a list of RFC 6749 §3.3 scopes")
    options: dict[str, Any] = {
        "public": public,
        "grant_types": grants,
        "scopes": scopes,
        "token_endpoint_auth_method": method,
        "redirect_uris": redirect_uris,
    }
    logout = _strings(document, "post_logout_redirect_uris")
    if logout is not None:
        try:
            options["post_logout_redirect_uris"] = check_redirect_uris(logout, client_id="new")
        except ValueError as error:
            raise InvalidClientMetadata(f"post_logout_redirect_uris: {error}") from None
    par = document.get("require_pushed_authorization_requests")
    if par is not None:
        if not isinstance(par, bool):
            raise InvalidClientMetadata("require_pushed_authorization_requests must be a boolean")
        options["require_pushed_authorization_requests"] = par
    for name in _PASSED_ON:
        if name in document and name in CLIENT_OPTIONS:
            options[name] = document[name]
    registered: dict[str, Any] = {
        "redirect_uris": redirect_uris,
        "token_endpoint_auth_method": method,
        "grant_types": grants,
        "response_types": response_types,
    }
    if scope is not None:
        registered["scope"] = " ".join(scopes or ())
    for name in ("post_logout_redirect_uris", "require_pushed_authorization_requests"):
        if name in options:
            registered[name] = options[name]
    for name in _PASSED_ON:
        if name in options:
            registered[name] = options[name]
    for name in DESCRIPTIVE:
        value = _strings(document, name) if name == "contacts" else _string(document, name)
        if value is not None:
            registered[name] = value
    return options, registered


def _redirect_uris(document: Mapping[str, Any], *, needed: bool) -> list[str]:
    value = document.get("redirect_uris")
    if value is None:
        if needed:
            raise InvalidRedirectUri(
                "redirect_uris is required for the authorization_code grant (RFC 7591 §2)"
            )
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidRedirectUri("redirect_uris must be an array of URI strings (RFC 7591 §2)")
    try:
        return list(check_redirect_uris(value, client_id="new"))
    except ValueError as error:
        raise InvalidRedirectUri(str(error).replace("client 'new': ", "")) from None


def bad_options(error: Exception) -> OAuthError:
    """``add_client()``'s refusal of the options, as a registration error."""
    return InvalidClientMetadata(str(error).replace("add_client()", "the client metadata"))


def secret_fields(client: Client, issued_at: int) -> dict[str, Any]:
    """RFC 7591 §3.2.1: the credentials part of the client information response."""
    fields: dict[str, Any] = {"client_id": client.client_id, "client_id_issued_at": issued_at}
    if client.client_secret is not None:
        fields["client_secret"] = client.client_secret
        fields["client_secret_expires_at"] = 0  # never expires
    return fields
