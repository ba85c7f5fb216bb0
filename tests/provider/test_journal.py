"""The request journal and teardown expectations."""

from __future__ import annotations

import httpx
import pytest

from pytest_authmock import FakeIdP
from tests.helpers import token


def test_journal_records_outcomes(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client("ci-bot")
    token(http, provider, client, grant_type="client_credentials")
    token(http, provider, client, grant_type="password", username="x", password="y")
    http.get(provider.url_for("jwks"))
    assert len(provider.journal) == 3
    ok, failed = provider.journal.filter(endpoint="token")
    assert (ok.grant_type, ok.client_id, ok.status_code, ok.error) == (
        "client_credentials",
        "ci-bot",
        200,
        None,
    )
    assert (failed.status_code, failed.error, failed.username) == (400, "invalid_grant", "x")
    assert provider.journal.count(endpoint="jwks") == 1
    provider.journal.assert_count(1, endpoint="token", client_id="ci-bot", status_code=200)
    assert (
        ok.describe() == "POST /oauth2/token -> 200 grant_type=client_credentials client_id=ci-bot"
    )


def test_journal_never_holds_secrets(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    user = provider.add_user()
    body = token(
        http,
        provider,
        client,
        grant_type="password",
        username=user.username,
        password=user.password,
    ).json()
    dumped = repr(list(provider.journal)) + "".join(e.describe() for e in provider.journal)
    for secret in (
        str(client.client_secret),
        user.password,
        body["access_token"],
        body["refresh_token"],
    ):
        assert secret not in dumped


def test_assert_count_lists_what_was_served(idp: FakeIdP) -> None:
    httpx.get(idp.url_for("jwks"))
    with pytest.raises(AssertionError) as excinfo:
        idp.journal.assert_count(1, endpoint="token", client_id="ci-bot")
    assert str(excinfo.value) == (
        "expected 1 request(s) matching endpoint='token', client_id='ci-bot', got 0. Served:\n"
        "  - GET /.well-known/jwks.json -> 200"
    )


def test_unknown_criteria_are_refused(idp: FakeIdP) -> None:
    with pytest.raises(TypeError, match="unknown journal criteria colour"):
        idp.journal.count(colour="red")
    with pytest.raises(TypeError, match="unknown journal criteria"):
        idp.expect(1, colour="red")
    with pytest.raises(TypeError, match="exactly one of count or at_least"):
        idp.expect()


def test_last_without_match(idp: FakeIdP) -> None:
    with pytest.raises(LookupError, match="no request matching"):
        idp.journal.last(endpoint="token")


def test_expectations_are_checked(idp: FakeIdP) -> None:
    client = idp.add_client()
    idp.expect(1, endpoint="token", client_id=client.client_id)
    idp.expect(at_least=2, endpoint="jwks")
    assert idp.check() == [
        f"expected exactly 1 request(s) matching endpoint='token', client_id='{client.client_id}', got 0",
        "expected at least 2 request(s) matching endpoint='jwks', got 0",
    ]
    token(httpx.Client(), idp, client, grant_type="client_credentials")
    httpx.get(idp.url_for("jwks"))
    httpx.get(idp.url_for("jwks"))
    assert idp.check() == []
