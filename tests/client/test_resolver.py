"""Contexts, credential resolution, login/logout and status, as a CLI uses them."""

from __future__ import annotations

import json
import os
import stat
from typing import Any

import httpx
import pytest

from pytest_authmock.client import (
    AuthHome,
    ConfigurationError,
    CredentialResolver,
    CredentialSource,
    InvalidCredentials,
    LoginRequired,
    OAuth2Auth,
    StoreError,
    login_password,
    logout,
)

ENV = "TESTAPP_TOKEN"


@pytest.fixture
def resolver(home: AuthHome, server: Any, clock: Any, retry: Any) -> CredentialResolver:
    from pytest_authmock.client import OAuthClient

    def factory(issuer: str, client_auth: Any) -> OAuthClient:
        return OAuthClient(issuer, client_auth, clock=clock, retry=retry)

    home.contexts.create("default", issuer=server.issuer, activate=True)
    return home.resolver(env_var=ENV, environ={}, oauth_factory=factory, clock=clock)


def url(server: Any) -> str:
    return (getattr(server, "url", None) or "https://api.authmock.test") + "/api/me"


def everything_on_disk(home: AuthHome) -> bytes:
    return b"".join(p.read_bytes() for p in home.directory.rglob("*") if p.is_file())


# -- contexts ---------------------------------------------------------------------


def test_contexts_crud_and_active(home: AuthHome) -> None:
    assert home.contexts.active().name == "default"
    home.contexts.create("prod", issuer="https://prod.example", client_id="ci")
    home.contexts.create("dev", issuer="https://dev.example")
    assert home.contexts.active_name() == "prod"  # the first one created becomes active
    home.contexts.use("dev")
    assert home.contexts.active().issuer == "https://dev.example"
    assert [c.name for c in home.contexts.list()] == ["dev", "prod"]
    with pytest.raises(ConfigurationError, match="already exists"):
        home.contexts.create("dev")
    with pytest.raises(ConfigurationError, match="known: dev, prod"):
        home.contexts.use("staging")
    assert home.contexts.delete("dev") is True
    assert home.contexts.active_name() == "default"
    assert home.contexts.delete("dev") is False


def test_set_value_and_secret_encrypted_at_rest(home: AuthHome) -> None:
    home.contexts.set_value("issuer", "https://idp.example")
    home.contexts.set_value("client-id", "ci-bot")
    ctx = home.contexts.set_value("client-secret", "VERY-SECRET-VALUE")
    home.contexts.set_value("scopes", "read, write")
    ctx = home.contexts.get()
    assert ctx.client_secret == "VERY-SECRET-VALUE"
    assert ctx.scopes == ("read", "write")
    assert ctx.has_client_credentials
    assert b"VERY-SECRET-VALUE" not in everything_on_disk(home)
    if os.name == "posix":
        assert stat.S_IMODE(home.contexts.path.stat().st_mode) == 0o600
    assert "VERY-SECRET-VALUE" not in repr(ctx)
    home.contexts.set_value("client-secret", None)
    assert not home.contexts.get().has_client_credentials
    with pytest.raises(ConfigurationError, match="unknown context key"):
        home.contexts.set_value("password", "x")


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("not json", "not valid JSON"),
        ('{"format": "other"}', "not a contexts file"),
        ('{"format": "pytest-authmock/contexts", "version": 7, "contexts": {}}', "version 7"),
    ],
)
def test_damaged_contexts_file(home: AuthHome, content: str, match: str) -> None:
    home.directory.mkdir(parents=True)
    home.contexts.path.write_text(content)
    with pytest.raises(StoreError, match=match) as info:
        home.contexts.active()
    assert "delete" in str(info.value)


# -- resolution order ----------------------------------------------------------------


def test_resolution_order(resolver: CredentialResolver, server: Any, home: AuthHome) -> None:
    client = server.add_client()
    user = server.add_user()
    assert resolver.resolve().source is CredentialSource.ANONYMOUS
    home.contexts.set_value("client-id", client.client_id)
    home.contexts.set_value("client-secret", client.client_secret)
    assert resolver.resolve().source is CredentialSource.CLIENT_CREDENTIALS
    login_password(resolver, user.username, user.password)
    assert resolver.resolve().source is CredentialSource.SESSION
    with_env = home.resolver(env_var=ENV, environ={ENV: "env-token"})
    assert with_env.resolve().source is CredentialSource.ENVIRONMENT
    assert with_env.resolve("flag-token").source is CredentialSource.FLAG
    # The flag wins over everything and its token is used verbatim.
    creds = with_env.resolve("flag-token")
    request = next(creds.auth.sync_auth_flow(httpx.Request("GET", "https://x")))  # type: ignore[union-attr]
    assert request.headers["Authorization"] == "Bearer flag-token"
    assert "flag-token" not in repr(creds)


def test_flag_and_env_tokens_never_touch_the_disk(server: Any, home: AuthHome) -> None:
    home.contexts.create("default", issuer=server.issuer)
    server.protect(url(server))
    client = server.add_client()
    token = server.issue_token(client)
    env_token = server.issue_token(client)
    for resolver, flag in (
        (home.resolver(env_var=ENV, environ={}), token),
        (home.resolver(env_var=ENV, environ={ENV: env_token}), None),
    ):
        creds = resolver.resolve(flag)
        with httpx.Client(auth=creds.auth) as http:
            assert http.get(url(server)).status_code == 200
    disk = everything_on_disk(home)
    assert token.encode() not in disk
    assert env_token.encode() not in disk
    assert home.store.load("default") is None


def test_session_is_used_refreshed_and_saved(
    resolver: CredentialResolver, server: Any, home: AuthHome
) -> None:
    client = server.add_client(access_token_ttl=300)
    user = server.add_user()
    server.protect(url(server))
    home.contexts.set_value("client-id", client.client_id)
    home.contexts.set_value("client-secret", client.client_secret)
    first = login_password(resolver, user.username, user.password)
    server.clock.advance(301)  # only the provider knows
    with resolver.resolve() as creds, httpx.Client(auth=creds.auth) as http:
        assert http.get(url(server)).json()["username"] == user.username
    stored = home.store.load("default")
    assert stored is not None
    # The rotated refresh token was written back: the next process can use it.
    assert stored.token.refresh_token != first.token.refresh_token
    with resolver.resolve() as creds, httpx.Client(auth=creds.auth) as http:
        server.clock.advance(301)
        assert http.get(url(server)).status_code == 200
    assert server.journal.count(endpoint="token", grant_type="refresh_token") == 2


def test_two_processes_sharing_a_session_do_not_burn_the_refresh_token(
    resolver: CredentialResolver, server: Any, home: AuthHome, clock: Any
) -> None:
    # Two resolutions stand for two CLI processes started from the same file.
    client = server.add_client(access_token_ttl=300)
    user = server.add_user()
    server.protect(url(server))
    home.contexts.set_value("client-id", client.client_id)
    home.contexts.set_value("client-secret", client.client_secret)
    login_password(resolver, user.username, user.password)
    with resolver.resolve() as a, resolver.resolve() as b:
        clock.advance(400)
        with httpx.Client(auth=a.auth) as http:
            assert http.get(url(server)).status_code == 200
        with httpx.Client(auth=b.auth) as http:
            # b finds a's refreshed token in the store instead of replaying the
            # old refresh token (which would revoke the whole family).
            assert http.get(url(server)).status_code == 200
    assert server.journal.count(endpoint="token", grant_type="refresh_token") == 1


def test_login_with_wrong_password_stores_nothing(
    resolver: CredentialResolver, server: Any, home: AuthHome
) -> None:
    client = server.add_client()
    user = server.add_user()
    home.contexts.set_value("client-id", client.client_id)
    home.contexts.set_value("client-secret", client.client_secret)
    with pytest.raises(InvalidCredentials):
        login_password(resolver, user.username, "nope")
    assert home.store.load("default") is None


def test_login_with_a_public_default_client(server: Any, home: AuthHome, clock: Any) -> None:
    server.add_client("testapp-cli", public=True, grant_types=["password", "refresh_token"])
    user = server.add_user()
    home.contexts.create("default", issuer=server.issuer)
    resolver = home.resolver(default_client_id="testapp-cli", environ={}, clock=clock)
    session = login_password(resolver, user.username, user.password, scopes=["openid", "profile"])
    assert session.client_id == "testapp-cli"
    assert session.display_name == user.profile["name"]
    assert resolver.status().user == user.profile["name"]


# -- logout ---------------------------------------------------------------------------


def test_logout_only_touches_the_active_context_and_falls_back(
    resolver: CredentialResolver, server: Any, home: AuthHome
) -> None:
    client = server.add_client()
    user = server.add_user()
    home.contexts.set_value("client-id", client.client_id)
    home.contexts.set_value("client-secret", client.client_secret)
    home.contexts.create(
        "other",
        issuer=server.issuer,
        client_id=client.client_id,
        client_secret=client.client_secret,
    )
    login_password(resolver, user.username, user.password, context="other")
    session = login_password(resolver, user.username, user.password)
    assert logout(resolver) is True
    assert resolver.resolve().source is CredentialSource.CLIENT_CREDENTIALS
    assert resolver.resolve(context="other").source is CredentialSource.SESSION
    assert logout(resolver) is False
    # The session was revoked at the provider too (RFC 7009), not just forgotten.
    with resolver.oauth(home.contexts.get()) as oauth:
        assert oauth.introspect(session.token.access_token) == {"active": False}


def test_logout_without_client_credentials_goes_anonymous(
    resolver: CredentialResolver, server: Any, home: AuthHome
) -> None:
    client = server.add_client()
    user = server.add_user()
    home.contexts.set_value("client-id", client.client_id)
    home.contexts.set_value("client-secret", client.client_secret)
    login_password(resolver, user.username, user.password)
    home.contexts.set_value("client-secret", None)
    logout(resolver)
    assert resolver.resolve().source is CredentialSource.ANONYMOUS


def test_logout_deletes_a_damaged_session(resolver: CredentialResolver, home: AuthHome) -> None:
    path = home.store.path("default")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("garbage")
    with pytest.raises(StoreError):
        resolver.resolve()
    assert logout(resolver) is True
    assert resolver.resolve().source is CredentialSource.ANONYMOUS


def test_logout_works_offline(home: AuthHome) -> None:
    from pytest_authmock.client import RetryPolicy, Session, Token

    # Nothing listens on port 9: revocation fails, the local session goes anyway.
    home.contexts.create("default", issuer="http://127.0.0.1:9", client_id="cli")
    token = Token("access", refresh_token="refresh", expires_at=2e9)
    home.store.save("default", Session(token=token, issuer="http://127.0.0.1:9", client_id="cli"))
    from pytest_authmock.client import OAuthClient

    def factory(issuer: str, client_auth: Any) -> OAuthClient:
        return OAuthClient(issuer, client_auth, retry=RetryPolicy.never())

    assert logout(home.resolver(oauth_factory=factory)) is True
    assert home.store.load("default") is None


# -- status ---------------------------------------------------------------------------


def test_status_text_and_json(resolver: CredentialResolver, server: Any, home: AuthHome) -> None:
    client = server.add_client()
    user = server.add_user()
    anon = resolver.status()
    assert not anon.authenticated
    assert "No authentication" in anon.to_text()
    assert json.loads(anon.to_json())["source"] == "anonymous"

    home.contexts.set_value("client-id", client.client_id)
    home.contexts.set_value("client-secret", client.client_secret)
    cc = resolver.status()
    assert cc.source is CredentialSource.CLIENT_CREDENTIALS
    assert "Client credentials: configured" in cc.to_text()

    session = login_password(resolver, user.username, user.password)
    status = resolver.status()
    data = json.loads(status.to_json())
    assert data["source"] == "session"
    assert data["user"] == user.username
    assert data["authenticated"] is True
    assert data["client_credentials_configured"] is True
    assert data["expires_at"].startswith(str(status.expires_at_datetime)[:10])
    assert f"Logged in as {user.username}" in status.to_text()
    for text in (status.to_text(), status.to_json(), repr(status)):
        assert session.token.access_token not in text
        assert client.client_secret not in text

    env = home.resolver(env_var=ENV, environ={ENV: "tok"}).status()
    assert f"environment variable {ENV}" in env.to_text()
    assert "tok" not in env.to_json().replace("token_fingerprint", "")


def test_missing_issuer_is_a_clear_configuration_error(home: AuthHome) -> None:
    home.contexts.create("bare", client_id="a", client_secret="b", activate=True)
    resolver = home.resolver()
    with pytest.raises(ConfigurationError, match="context 'bare' has no issuer"):
        resolver.resolve()


def test_expired_session_without_refresh_is_reported(
    resolver: CredentialResolver, server: Any, home: AuthHome, clock: Any
) -> None:
    from pytest_authmock.client import Session, Token

    home.store.save(
        "default",
        Session(token=Token("t", expires_at=clock() - 10), issuer=server.issuer, username="bob"),
    )
    status = resolver.status()
    assert status.expired
    assert "Token expired:" in status.to_text()
    with resolver.resolve() as creds:
        assert isinstance(creds.auth, OAuth2Auth)
        with httpx.Client(auth=creds.auth) as http, pytest.raises(LoginRequired, match="again"):
            http.get(url(server))


def test_async_refresh_of_a_stored_session_is_saved(
    resolver: CredentialResolver, server: Any, home: AuthHome
) -> None:
    import asyncio

    client = server.add_client(access_token_ttl=300)
    user = server.add_user()
    server.protect(url(server))
    home.contexts.set_value("client-id", client.client_id)
    home.contexts.set_value("client-secret", client.client_secret)
    first = login_password(resolver, user.username, user.password)
    server.clock.advance(301)

    async def main(auth: httpx.Auth) -> list[int]:
        async with httpx.AsyncClient(auth=auth) as http:
            responses = await asyncio.gather(*(http.get(url(server)) for _ in range(16)))
        return [r.status_code for r in responses]

    with resolver.resolve() as creds:
        assert creds.auth is not None
        assert asyncio.run(main(creds.auth)) == [200] * 16
    stored = home.store.load("default")
    assert stored is not None
    assert stored.token.refresh_token != first.token.refresh_token
    assert server.journal.count(endpoint="token", grant_type="refresh_token") == 1
