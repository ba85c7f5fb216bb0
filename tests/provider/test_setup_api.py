"""add_client / add_user / options: validated early, filled by Faker, reproducible."""

from __future__ import annotations

import pytest

from pytest_authmock import FakeIdP, ProviderConfig


def test_add_client_defaults(idp: FakeIdP) -> None:
    client = idp.add_client()
    assert client.client_id
    assert client.client_secret
    assert len(client.client_secret) == 40
    assert client.grant_types is None
    assert client.scopes is None
    assert client.token_endpoint_auth_methods == ("client_secret_basic", "client_secret_post")
    assert client.client_secret not in repr(client)
    assert "sha256:" in repr(client)
    assert idp.clients[client.client_id] is client


def test_add_user_defaults(idp: FakeIdP) -> None:
    user = idp.add_user()
    assert user.username
    assert user.password
    assert user.sub
    assert {"name", "email", "given_name", "family_name"} <= set(user.profile)
    assert user.password not in repr(user)


def test_same_seed_same_identities() -> None:
    first, second = FakeIdP(seed=42), FakeIdP(seed=42)
    assert first.add_client().client_id == second.add_client().client_id
    one, two = first.add_user(), second.add_user()
    assert (one.username, one.password, one.sub) == (two.username, two.password, two.sub)
    assert FakeIdP(seed=43).add_user().username != FakeIdP(seed=42).add_user().username


@pytest.mark.authmock(seed=7)
def test_marker_seed(idp: FakeIdP) -> None:
    assert idp.seed == 7
    assert idp.add_user().username == FakeIdP(seed=7).add_user().username


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"client_id": ""}, ValueError, "non-empty"),
        ({"public": True, "client_secret": "x"}, ValueError, "public"),
        ({"grant_types": ["implicit"]}, ValueError, "unknown grant type 'implicit'"),
        ({"grant_types": "password"}, TypeError, "list of names"),
        ({"public": True, "grant_types": ["client_credentials"]}, ValueError, "public client"),
        ({"scopes": ["two words"]}, ValueError, "single RFC 6749"),
        (
            {"token_endpoint_auth_method": "client_secret_magic"},
            ValueError,
            "supported: client_secret_basic",
        ),
        ({"token_endpoint_auth_method": "none"}, ValueError, "public=True"),
        (
            {"public": True, "token_endpoint_auth_method": "client_secret_post"},
            ValueError,
            "only use",
        ),
        (
            {"token_endpoint_auth_method": "tls_client_auth"},
            ValueError,
            "tls_client_auth_subject_dn",
        ),
        ({"access_token_ttl": 0}, ValueError, "access_token_ttl must be a positive"),
        ({"access_token_ttl": True}, ValueError, "access_token_ttl"),
        ({"token_format": "paseto"}, ValueError, "token_format must be one of jwt, opaque"),
        ({"audience": []}, ValueError, "at least one audience"),
        ({"tls_client_auth_subject_dn": "not a dn"}, ValueError, "RFC 4514"),
    ],
)
def test_add_client_validates(
    idp: FakeIdP, kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        idp.add_client(**kwargs)  # type: ignore[arg-type]


def test_duplicates_are_refused(idp: FakeIdP) -> None:
    idp.add_client("app")
    idp.add_user("ada")
    with pytest.raises(ValueError, match="client 'app' already exists"):
        idp.add_client("app")
    with pytest.raises(ValueError, match="user 'ada' already exists"):
        idp.add_user("ada")


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"issuer": "https://idp.test/"}, "must not end with '/'"),
        ({"issuer": "ftp://idp.test"}, "http\\(s\\) URL"),
        ({"issuer": "https://idp.test?x=1"}, "no query"),
        ({"token_format": "paseto"}, "token_format must be one of"),
        ({"algorithm": "HS256"}, "algorithm must be one of RS256, ES256"),
        ({"access_token_ttl": -5}, "access_token_ttl"),
        ({"id_token_ttl": None}, "id_token_ttl"),
        ({"refresh_token_rotation": "yes"}, "refresh_token_rotation"),
        ({"colour": "blue"}, "unknown authmock option 'colour'"),
    ],
)
def test_provider_options_are_validated(options: dict[str, object], match: str) -> None:
    with pytest.raises((TypeError, ValueError), match=match):
        ProviderConfig.from_options(**options)


def test_reset_forgets_everything(idp: FakeIdP) -> None:
    client = idp.add_client()
    value = idp.issue_token(client)
    idp.protect("https://api.test/x")
    idp.clock.advance(100)
    idp.expect(5, endpoint="token")
    idp.reset()
    assert not idp.clients
    assert not idp.resources
    assert not len(idp.journal)
    assert not idp.check_bearer(f"Bearer {value}").ok
    assert idp.check() == []
    assert abs(idp.clock.now() - __import__("time").time()) < 1


def test_url_for_unknown_endpoint(idp: FakeIdP) -> None:
    with pytest.raises(
        ValueError, match=r"unknown endpoint .authorize.; one of discovery, jwks, token"
    ):
        idp.url_for("authorize")
