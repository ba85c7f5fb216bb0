"""A long-running provider forgets dead tokens and old journal entries, and answers the same."""

from __future__ import annotations

import httpx
import pytest

from pytest_authmock import FakeIdP
from pytest_authmock.provider.journal import DEFAULT_JOURNAL_LIMIT, Journal
from pytest_authmock.provider.store import PURGE_GRACE, PURGE_INTERVAL
from tests.helpers import login, token

_LATER = PURGE_GRACE + PURGE_INTERVAL + 1


def _introspect(http: httpx.Client, idp: FakeIdP, value: str) -> dict[str, object]:
    checker = idp.add_client()
    assert checker.client_secret is not None
    response = http.post(
        idp.url_for("introspection"),
        data={"token": value},
        auth=(checker.client_id, checker.client_secret),
    )
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


def _refresh(http: httpx.Client, idp: FakeIdP, client: object, value: str) -> httpx.Response:
    return token(http, idp, client, grant_type="refresh_token", refresh_token=value)  # type: ignore[arg-type]


@pytest.mark.authmock(access_token_ttl=1)
def test_expired_tokens_are_purged_on_the_provider_clock(idp: FakeIdP) -> None:
    client = idp.add_client()
    with httpx.Client() as http:
        values = [
            token(http, idp, client, grant_type="client_credentials").json()["access_token"]
            for _ in range(5)
        ]
        store = idp._ctx.store
        assert len(store.tokens) == 5
        idp.clock.advance(_LATER)
        # The next request runs the purge pass; the answer is the one an expired token got.
        assert _introspect(http, idp, values[0]) == {"active": False}
        assert len(store.tokens) == 0
        for value in values:
            assert _introspect(http, idp, value) == {"active": False}
            check = idp.check_bearer(f"Bearer {value}")
            assert (check.status_code, check.error) == (401, "invalid_token")


def test_a_purge_pass_runs_at_most_once_per_interval(
    idp: FakeIdP, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = idp.add_client()
    store = idp._ctx.store
    passes: list[float] = []
    monkeypatch.setattr(store, "purge", lambda now: passes.append(now) or 0)
    with httpx.Client() as http:
        for _ in range(5):
            token(http, idp, client, grant_type="client_credentials")
        assert len(passes) == 1  # the first request, not one scan per request
        idp.clock.advance(PURGE_INTERVAL)
        token(http, idp, client, grant_type="client_credentials")
        assert len(passes) == 2
        idp.clock.advance(-10 * PURGE_INTERVAL)  # a clock moved back starts a new interval
        token(http, idp, client, grant_type="client_credentials")
        assert len(passes) == 3


def test_live_and_recently_revoked_tokens_are_kept(idp: FakeIdP) -> None:
    client = idp.add_client()
    with httpx.Client() as http:
        live = token(http, idp, client, grant_type="client_credentials").json()["access_token"]
        revoked = token(http, idp, client, grant_type="client_credentials").json()["access_token"]
        idp.revoke_token(revoked)
        idp.clock.advance(PURGE_INTERVAL + 1)
        assert _introspect(http, idp, live)["active"] is True
        # Revoked a moment ago: still known, so the answer still says why.
        assert "was revoked" in (idp.check_bearer(f"Bearer {revoked}").description or "")
        idp.clock.advance(PURGE_GRACE)
        assert _introspect(http, idp, live)["active"] is True
        assert _introspect(http, idp, revoked) == {"active": False}
        assert revoked not in idp._ctx.store.tokens
        assert live in idp._ctx.store.tokens


def test_a_revoked_family_is_still_refused_after_the_purge(idp: FakeIdP) -> None:
    client = idp.add_client()
    with httpx.Client() as http:
        first = login(http, idp, client, idp.add_user())
        second = _refresh(http, idp, client, first["refresh_token"]).json()
        replay = _refresh(http, idp, client, first["refresh_token"])
        assert replay.json()["error"] == "invalid_grant"  # reuse detected: family revoked
        idp.clock.advance(_LATER)
        for value in (first["refresh_token"], second["refresh_token"]):
            response = _refresh(http, idp, client, value)
            assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
            assert _introspect(http, idp, value) == {"active": False}
        assert idp._ctx.store.tokens == {}
        assert not idp._ctx.store.families


@pytest.mark.authmock(access_token_ttl=1)
def test_a_rotated_refresh_token_is_kept_while_its_family_lives(idp: FakeIdP) -> None:
    client = idp.add_client()
    with httpx.Client() as http:
        first = login(http, idp, client, idp.add_user())
        second = _refresh(http, idp, client, first["refresh_token"]).json()
        idp.clock.advance(_LATER)  # the access tokens are long dead; the session is not
        token(http, idp, client, grant_type="client_credentials")
        assert first["access_token"] not in idp._ctx.store.tokens
        # Replaying the rotated token is still detected, and kills the live one.
        replay = _refresh(http, idp, client, first["refresh_token"])
        assert "RFC 9700" in replay.json()["error_description"]
        assert _refresh(http, idp, client, second["refresh_token"]).json()["error"] == (
            "invalid_grant"
        )


def test_expired_device_codes_are_purged(idp: FakeIdP) -> None:
    client = idp.add_client(
        public=True, grant_types=["urn:ietf:params:oauth:grant-type:device_code"]
    )
    with httpx.Client() as http:
        started = http.post(
            idp.url_for("device_authorization"), data={"client_id": client.client_id}
        ).json()
        flows = idp._ctx.store.flows
        assert len(flows.devices) == 1
        idp.clock.advance(flows.settings.device_code_ttl + _LATER)
        poll = http.post(
            idp.url_for("token"),
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                "device_code": started["device_code"],
                "client_id": client.client_id,
            },
        )
        assert (poll.status_code, poll.json()["error"]) == (400, "invalid_grant")
        assert flows.devices == {}
        assert flows.user_codes == {}


def test_the_journal_keeps_the_last_entries() -> None:
    idp = FakeIdP(journal_limit=3)
    with httpx.Client(transport=httpx.MockTransport(idp.handler)) as http:
        for path in ("/a", "/b", "/c", "/d", "/e"):
            http.get(idp.issuer + path)
    assert [entry.path for entry in idp.journal] == ["/c", "/d", "/e"]
    assert len(idp.journal) == 3
    idp.reset()
    assert idp.journal.limit == 3


def test_the_journal_limit_defaults_to_ten_thousand_and_checks_its_value() -> None:
    assert FakeIdP().journal.limit == DEFAULT_JOURNAL_LIMIT == 10_000
    assert Journal(None).limit is None
    with pytest.raises(ValueError, match="journal_limit must be at least 1"):
        Journal(0)
    with pytest.raises(TypeError, match="journal_limit must be a whole number"):
        Journal("10")  # type: ignore[arg-type]


def test_serve_reads_the_journal_limit_from_its_flag_and_variable() -> None:
    from pytest_authmock.serve import build_parser, parse
    from pytest_authmock.serve_config import ConfigError
    from pytest_authmock.serve_env import env_arguments

    assert parse(["--journal-limit", "50"]).provider["journal_limit"] == 50
    assert parse(["--journal-limit", "none"]).provider["journal_limit"] is None
    assert parse(["--journal-limit", "0"]).provider["journal_limit"] is None
    assert "journal_limit" not in parse([]).provider
    environ = {"AUTHMOCK_JOURNAL_LIMIT": "7"}
    assert parse(env_arguments(build_parser(), [], environ)).provider["journal_limit"] == 7
    given = ["--journal-limit", "9"]
    assert (
        parse(env_arguments(build_parser(), given, environ) + given).provider["journal_limit"] == 9
    )
    for bad in ("-3", "many"):
        with pytest.raises(ConfigError, match="--journal-limit must be a whole number"):
            parse(["--journal-limit", bad])


def test_expired_api_tokens_stay_listed_but_are_refused(idp: FakeIdP) -> None:
    user = idp.add_user()
    created = idp.create_api_token(user, name="short", expires_in=60)
    idp.clock.advance(60 + _LATER)
    with httpx.Client() as http:
        assert _introspect(http, idp, created.token) == {"active": False}
    assert created.token not in idp._ctx.store.tokens
    assert [t.name for t in idp.api_tokens(user)] == ["short"]
    assert not idp.check_bearer(f"Bearer {created.token}").ok
