"""Client authentication methods and grant forms, and their reprs."""

from __future__ import annotations

import base64
from urllib.parse import unquote

import pytest

from pytest_authmock.client import (
    ClientCredentialsGrant,
    ClientSecretBasic,
    ClientSecretPost,
    NoClientAuth,
    OAuthClient,
    PasswordGrant,
    RefreshTokenGrant,
    TlsClientAuth,
)
from pytest_authmock.client.grants import client_auth_for


def applied(auth: object) -> tuple[dict[str, str], dict[str, str]]:
    headers: dict[str, str] = {}
    form: dict[str, str] = {}
    auth.apply(headers, form)  # type: ignore[attr-defined]
    return headers, form


def test_basic_form_encodes_id_and_secret_before_base64() -> None:
    # RFC 6749 §2.3.1; a ':' in the secret must not split it.
    headers, form = applied(ClientSecretBasic("my client", "pa:ss/wörd"))
    scheme, value = headers["Authorization"].split(" ")
    assert scheme == "Basic"
    user, password = base64.b64decode(value).decode().split(":")
    assert (unquote(user), unquote(password)) == ("my client", "pa:ss/wörd")
    assert form == {}


def test_post_puts_both_in_the_body() -> None:
    headers, form = applied(ClientSecretPost("c", "s"))
    assert headers == {}
    assert form == {"client_id": "c", "client_secret": "s"}


@pytest.mark.parametrize("auth", [TlsClientAuth("c"), NoClientAuth("c")])
def test_secretless_methods_send_only_the_id(auth: object) -> None:
    headers, form = applied(auth)
    assert headers == {}
    assert form == {"client_id": "c"}


def test_client_auth_for_picks_methods() -> None:
    assert isinstance(client_auth_for("c", "s"), ClientSecretBasic)
    assert isinstance(client_auth_for("c"), NoClientAuth)
    assert isinstance(client_auth_for("c", "s", "client_secret_post"), ClientSecretPost)
    assert isinstance(client_auth_for("c", None, "tls_client_auth"), TlsClientAuth)
    with pytest.raises(ValueError, match="needs a client_secret"):
        client_auth_for("c", None, "client_secret_basic")
    with pytest.raises(ValueError, match="private_key_jwt"):
        client_auth_for("c", "s", "private_key_jwt")


def test_grant_forms() -> None:
    assert ClientCredentialsGrant(("a", "b"), audience="api").form() == {
        "grant_type": "client_credentials",
        "scope": "a b",
        "audience": "api",
    }
    assert ClientCredentialsGrant().form() == {"grant_type": "client_credentials"}
    assert PasswordGrant("alice", "pw", ("openid",)).form() == {
        "grant_type": "password",
        "username": "alice",
        "password": "pw",
        "scope": "openid",
    }
    assert RefreshTokenGrant("rt").form() == {"grant_type": "refresh_token", "refresh_token": "rt"}


def test_grant_traits() -> None:
    assert ClientCredentialsGrant.reusable
    assert ClientCredentialsGrant.idempotent
    assert not PasswordGrant.reusable
    assert not RefreshTokenGrant.idempotent


@pytest.mark.parametrize(
    "obj",
    [
        ClientSecretBasic("cid", "TOPSECRET"),
        ClientSecretPost("cid", "TOPSECRET"),
        PasswordGrant("alice", "TOPSECRET"),
        RefreshTokenGrant("TOPSECRET"),
        OAuthClient("https://idp.example", client_id="cid", client_secret="TOPSECRET"),
    ],
)
def test_reprs_never_show_secrets(obj: object) -> None:
    assert "TOPSECRET" not in repr(obj)
    assert "TOPSECRET" not in str(obj)


def test_oauth_client_rejects_two_ways_of_naming_the_client() -> None:
    with pytest.raises(TypeError, match="either"):
        OAuthClient("https://idp.example", NoClientAuth("a"), client_id="b")


def test_passwords_and_secrets_are_masked_not_fingerprinted() -> None:
    from pytest_authmock.client import Context, fingerprint

    for obj, secret in (
        (PasswordGrant("alice", "hunter2"), "hunter2"),
        (ClientSecretBasic("cid", "s3cret"), "s3cret"),
        (ClientSecretPost("cid", "s3cret"), "s3cret"),
        (Context("prod", client_id="cid", client_secret="s3cret"), "s3cret"),
    ):
        assert "'***'" in repr(obj)
        assert fingerprint(secret) not in repr(obj)
    assert fingerprint("rt") in repr(RefreshTokenGrant("rt"))  # tokens: a fingerprint


def test_only_grants_that_can_be_repeated_safely_are_idempotent() -> None:
    # A refresh token, an authorization code and a device code each work once:
    # those requests are never resent once they may have reached the provider.
    from pytest_authmock.client import AuthorizationCodeGrant, DeviceCodeGrant, Grant

    grants: list[Grant] = [
        ClientCredentialsGrant(),
        PasswordGrant("ada", "pw"),
        RefreshTokenGrant("rt"),
        AuthorizationCodeGrant("code", "http://127.0.0.1/cb", "verifier"),
        DeviceCodeGrant("dc"),
    ]
    assert {g.grant_type: g.idempotent for g in grants} == {
        "client_credentials": True,
        "password": True,
        "refresh_token": False,
        "authorization_code": False,
        "urn:ietf:params:oauth:grant-type:device_code": False,
    }
