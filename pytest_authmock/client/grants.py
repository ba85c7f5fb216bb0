"""Client authentication methods and grants, each a small class.

A grant only knows the form fields of its token request; how the request is
sent, retried and parsed lives in :mod:`pytest_authmock.client.oauth`. New
grants (device code, token exchange) slot in as further classes of this shape.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Sequence
from typing import ClassVar, Protocol
from urllib.parse import quote

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
]


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
    #: Is resending the request harmless if its answer was lost?
    idempotent: ClassVar[bool]

    def form(self) -> dict[str, str]: ...


# --8<-- [end:grant_protocol]


def _scope(scopes: Sequence[str] | None) -> dict[str, str]:
    return {"scope": " ".join(scopes)} if scopes else {}


@dataclasses.dataclass(frozen=True)
class ClientCredentialsGrant:
    """RFC 6749 §4.4: the client acts for itself. Can be repeated at will."""

    scopes: Sequence[str] = ()
    audience: str | None = None
    grant_type: ClassVar[str] = "client_credentials"
    reusable: ClassVar[bool] = True
    idempotent: ClassVar[bool] = True

    def form(self) -> dict[str, str]:
        form = {"grant_type": self.grant_type, **_scope(self.scopes)}
        if self.audience is not None:
            form["audience"] = self.audience
        return form


@dataclasses.dataclass(frozen=True)
class PasswordGrant:
    """RFC 6749 §4.3: a user's name and password.

    Not reusable: the library uses the password once and does not keep it
    around to log in again behind the user's back when the session ends.
    """

    username: str
    password: str = dataclasses.field(repr=False)
    scopes: Sequence[str] = ()
    grant_type: ClassVar[str] = "password"
    reusable: ClassVar[bool] = False
    idempotent: ClassVar[bool] = True

    def __repr__(self) -> str:
        return (
            f"PasswordGrant(username={self.username!r}, password='***',"
            f" scopes={tuple(self.scopes)!r})"
        )

    def form(self) -> dict[str, str]:
        return {
            "grant_type": self.grant_type,
            "username": self.username,
            "password": self.password,
            **_scope(self.scopes),
        }


@dataclasses.dataclass(frozen=True)
class RefreshTokenGrant:
    """RFC 6749 §6. Not idempotent: with rotation, a replay revokes the family."""

    refresh_token: str = dataclasses.field(repr=False)
    scopes: Sequence[str] = ()
    grant_type: ClassVar[str] = "refresh_token"
    reusable: ClassVar[bool] = False
    idempotent: ClassVar[bool] = False

    def __repr__(self) -> str:
        return f"RefreshTokenGrant(refresh_token={fingerprint(self.refresh_token)})"

    def form(self) -> dict[str, str]:
        return {
            "grant_type": self.grant_type,
            "refresh_token": self.refresh_token,
            **_scope(self.scopes),
        }
