"""Credential resolution for a CLI, without the CLI: home, contexts, resolver, status."""

from __future__ import annotations

from pathlib import Path

import httpx

from pytest_authmock import FakeIdP
from pytest_authmock.client import AuthHome, CredentialSource, login_password, logout

API = "https://api.example.test/streams"


def test_resolution_login_status_logout(idp: FakeIdP, tmp_path: Path) -> None:
    idp.add_client("mytool", public=True)
    bot = idp.add_client("ci-bot")
    ada = idp.add_user("ada")
    idp.protect(API)
    # --8<-- [start:resolver]
    home = AuthHome.open("mytool", directory=tmp_path, keyring="never")  # default: user data dir
    home.contexts.create("prod", issuer=idp.issuer, activate=True)
    resolver = home.resolver(env_var="MYTOOL_TOKEN", default_client_id="mytool")

    assert resolver.resolve().source is CredentialSource.ANONYMOUS
    home.contexts.set_value("client-id", "ci-bot")
    home.contexts.set_value("client-secret", bot.client_secret)  # stored encrypted
    assert resolver.resolve().source is CredentialSource.CLIENT_CREDENTIALS

    login_password(resolver, "ada", ada.password)  # session stored, encrypted, per context
    with resolver.resolve() as creds, httpx.Client(auth=creds.auth) as http:
        assert creds.source is CredentialSource.SESSION
        assert http.get(API).json()["username"] == "ada"
    print(resolver.status().to_text())  # or .to_json() for `status -o json`

    logout(resolver)  # revokes and deletes the session; client credentials stay
    assert resolver.resolve().source is CredentialSource.CLIENT_CREDENTIALS
    assert resolver.resolve(token="from-a-flag").source is CredentialSource.FLAG
    # --8<-- [end:resolver]


def test_a_damaged_session_file_has_a_way_out(tmp_path: Path) -> None:
    home = AuthHome.open("mytool", directory=tmp_path, keyring="never")
    home.store.path("default").parent.mkdir(parents=True)
    home.store.path("default").write_text("{ truncated")
    # --8<-- [start:store]
    from pytest_authmock.client import StoreError

    resolver = home.resolver(env_var="MYTOOL_TOKEN")
    try:
        resolver.resolve()
    except StoreError as exc:
        print(exc)  # "the session file …/default.session is corrupt; run logout to delete it, …"
        logout(resolver)  # deletes even a damaged file; then log in again
    assert resolver.resolve().source is CredentialSource.ANONYMOUS
    # --8<-- [end:store]
