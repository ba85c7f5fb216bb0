"""Client authentication methods and grants, each a small class.

A grant only knows the form fields of its token request; how the request is
sent, retried and parsed lives in :mod:`pytest_authmock.client.oauth`. New
grants (device code, token exchange) slot in as further classes of this shape.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping, Sequence
from typing import ClassVar, Protocol
from urllib.parse import quote, urlsplit

from pytest_authmock.client.redact import fingerprint

__all__ = [
    "ClientAuth",
    "ClientCredentialsGrant",
    "ClientSecretBasic",
    "ClientSecretPost",
    "Grant",
    "NoClientAuth",
    "PasswordGrant",
    "RefreshTokenGrant",
    "TlsClientAuth",
    "client_auth_for",
    "resource_form",
    "resources",
]

#: A form as a grant builds it: a list value is sent as a repeated parameter.
Form = Mapping[str, str | Sequence[str]]
#: One resource indicator (RFC 8707) or several.
Resources = str | Sequence[str]


class ClientAuth(Protocol):
    """How the client proves its identity at the token endpoint (RFC 6749 §2.3)."""

    @property
    def client_id(self) -> str: ...

    method: ClassVar[str]
    #: True when the proof is the TLS client certificate (RFC 8705).
    uses_mtls: ClassVar[bool]
    #: True when the client has a secret or certificate, i.e. is confidential.
    confidential: ClassVar[bool]

    def apply(self, headers: dict[str, str], form: dict[str, str]) -> None: ...


@dataclasses.dataclass(frozen=True)
class ClientSecretBasic:
    """``client_secret_basic``: HTTP Basic with the id and secret."""

    client_id: str
    client_secret: str = dataclasses.field(repr=False)
    method: ClassVar[str] = "client_secret_basic"
    uses_mtls: ClassVar[bool] = False
    confidential: ClassVar[bool] = True

    def __repr__(self) -> str:
        return f"ClientSecretBasic(client_id={self.client_id!r}, client_secret='***')"

    def apply(self, headers: dict[str, str], form: dict[str, str]) -> None:
        # RFC 6749 §2.3.1: both parts are form-urlencoded before base64, so a
        # secret containing ':' or non-ASCII survives the trip.
        user = quote(self.client_id, safe="")
        password = quote(self.client_secret, safe="")
        raw = f"{user}:{password}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(raw).decode("ascii")


@dataclasses.dataclass(frozen=True)
class ClientSecretPost:
    """``client_secret_post``: id and secret in the form body."""

    client_id: str
    client_secret: str = dataclasses.field(repr=False)
    method: ClassVar[str] = "client_secret_post"
    uses_mtls: ClassVar[bool] = False
    confidential: ClassVar[bool] = True

    def __repr__(self) -> str:
        return f"ClientSecretPost(client_id={self.client_id!r}, client_secret='***')"

    def apply(self, headers: dict[str, str], form: dict[str, str]) -> None:
        form["client_id"] = self.client_id
        form["client_secret"] = self.client_secret


@dataclasses.dataclass(frozen=True)
class TlsClientAuth:
    """``tls_client_auth`` (RFC 8705 §2.1): the TLS client certificate is the proof.

    The certificate travels in the TLS handshake, so the HTTP client used for
    token requests must be built with it (see :mod:`pytest_authmock.client.mtls`).
    """

    client_id: str
    method: ClassVar[str] = "tls_client_auth"
    uses_mtls: ClassVar[bool] = True
    confidential: ClassVar[bool] = True

    def apply(self, headers: dict[str, str], form: dict[str, str]) -> None:
        form["client_id"] = self.client_id


@dataclasses.dataclass(frozen=True)
class NoClientAuth:
    """A public client (``none``): only its id is sent, as RFC 6749 §3.2.1 asks."""

    client_id: str
    method: ClassVar[str] = "none"
    uses_mtls: ClassVar[bool] = False
    confidential: ClassVar[bool] = False

    def apply(self, headers: dict[str, str], form: dict[str, str]) -> None:
        form["client_id"] = self.client_id


def client_auth_for(
    client_id: str, client_secret: str | None = None, method: str | None = None
) -> ClientAuth:
    """Build the :class:`ClientAuth` for a method name as used in provider metadata."""
    if method is None:
        method = "client_secret_basic" if client_secret is not None else "none"
    if method in ("client_secret_basic", "client_secret_post"):
        if client_secret is None:
            raise ValueError(f"token_endpoint_auth_method {method!r} needs a client_secret")
        if method == "client_secret_basic":
            return ClientSecretBasic(client_id, client_secret)
        return ClientSecretPost(client_id, client_secret)
    if method == "client_secret_jwt":
        if client_secret is None:
            raise ValueError("token_endpoint_auth_method 'client_secret_jwt' needs a client_secret")
        from pytest_authmock.client.assertion import ClientSecretJwt  # it imports this module

        return ClientSecretJwt(client_id, client_secret)
    if method == "tls_client_auth":
        return TlsClientAuth(client_id)
    if method == "none":
        return NoClientAuth(client_id)
    raise ValueError(
        f"unsupported token_endpoint_auth_method {method!r}; use one of"
        " client_secret_basic, client_secret_post, client_secret_jwt, tls_client_auth, none"
        " (for private_key_jwt, pass client_auth=PrivateKeyJwt(...))"
    )


# --8<-- [start:grant_protocol]
class Grant(Protocol):
    """One way to obtain a token (RFC 6749 §4)."""

    grant_type: ClassVar[str]
    #: May the client repeat this grant on its own when a refresh fails?
    reusable: ClassVar[bool]
    #: Is resending the request harmless if its answer was lost? If False, it
    #: is resent only when it certainly never left (a failed connect).
    idempotent: ClassVar[bool]

    def form(self) -> Form:
        """The token request's parameters; a list value repeats the parameter."""
        ...


# --8<-- [end:grant_protocol]


def _scope(scopes: Sequence[str] | None) -> dict[str, str]:
    return {"scope": " ".join(scopes)} if scopes else {}


def resources(value: Resources | None) -> tuple[str, ...]:
    """RFC 8707 §2 resource indicators, checked: absolute URIs without a fragment.

    One string or several; ``ValueError`` names the bad one at once, before
    any request, rather than an ``invalid_target`` from the provider later.
    """
    if value is None:
        return ()
    values = (value,) if isinstance(value, str) else tuple(value)
    for uri in values:
        if not isinstance(uri, str):
            raise TypeError(f"a resource indicator is a URI string, got {uri!r}")
        parts = urlsplit(uri)
        if not parts.scheme or not (parts.netloc or parts.path) or "#" in uri:
            raise ValueError(
                f"resource {uri!r} is not an absolute URI without a fragment (RFC 8707 §2);"
                " pass the URI of the API the token is for, e.g. 'https://api.example.com/'"
            )
    return values


def resource_form(values: Sequence[str]) -> dict[str, list[str]]:
    """The ``resource`` parameter, repeated once per indicator (RFC 8707 §2)."""
    return {"resource": list(values)} if values else {}


def _normalise_resource(grant: object) -> None:
    # Frozen dataclasses: normalise once, so that a single string is not a
    # sequence of one-letter "URIs" and a bad URI fails at construction.
    object.__setattr__(grant, "resource", resources(grant.resource))  # type: ignore[attr-defined]


@dataclasses.dataclass(frozen=True)
class ClientCredentialsGrant:
    """RFC 6749 §4.4: the client acts for itself. Can be repeated at will."""

    scopes: Sequence[str] = ()
    audience: str | None = None
    #: RFC 8707 resource indicators: the APIs the token is for.
    resource: Resources = ()
    grant_type: ClassVar[str] = "client_credentials"
    reusable: ClassVar[bool] = True
    idempotent: ClassVar[bool] = True

    def __post_init__(self) -> None:
        _normalise_resource(self)

    def form(self) -> Form:
        form: dict[str, str | list[str]] = {"grant_type": self.grant_type, **_scope(self.scopes)}
        if self.audience is not None:
            form["audience"] = self.audience
        return {**form, **resource_form(self.resource)}


@dataclasses.dataclass(frozen=True)
class PasswordGrant:
    """RFC 6749 §4.3: a user's name and password.

    Not reusable: the library uses the password once and does not keep it
    around to log in again behind the user's back when the session ends.
    """

    username: str
    password: str = dataclasses.field(repr=False)
    scopes: Sequence[str] = ()
    resource: Resources = ()
    grant_type: ClassVar[str] = "password"
    reusable: ClassVar[bool] = False
    idempotent: ClassVar[bool] = True

    def __post_init__(self) -> None:
        _normalise_resource(self)

    def __repr__(self) -> str:
        return (
            f"PasswordGrant(username={self.username!r}, password='***',"
            f" scopes={tuple(self.scopes)!r})"
        )

    def form(self) -> Form:
        return {
            "grant_type": self.grant_type,
            "username": self.username,
            "password": self.password,
            **_scope(self.scopes),
            **resource_form(self.resource),
        }


@dataclasses.dataclass(frozen=True)
class RefreshTokenGrant:
    """RFC 6749 §6. Not idempotent: with rotation, a replay revokes the family."""

    refresh_token: str = dataclasses.field(repr=False)
    scopes: Sequence[str] = ()
    #: RFC 8707 §2.2: the resource(s) the refreshed access token is for.
    resource: Resources = ()
    grant_type: ClassVar[str] = "refresh_token"
    reusable: ClassVar[bool] = False
    idempotent: ClassVar[bool] = False

    def __post_init__(self) -> None:
        _normalise_resource(self)

    def __repr__(self) -> str:
        return f"RefreshTokenGrant(refresh_token={fingerprint(self.refresh_token)})"

    def form(self) -> Form:
        return {
            "grant_type": self.grant_type,
            "refresh_token": self.refresh_token,
            **_scope(self.scopes),
            **resource_form(self.resource),
        }
