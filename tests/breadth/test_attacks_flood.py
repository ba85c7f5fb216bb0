"""Floods of state anyone can create: pushed requests, registrations, browser sessions.

Each is capped. What is past the cap is refused with 429 ``temporarily_unavailable``
where dropping an old entry would break a promise (a pushed request not yet
used, a registered client), and the oldest entry goes where nothing is lost
(a browser session: its user signs in again).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from pytest_authmock import FakeIdP
from pytest_authmock.provider import pushed_requests, sessions
from pytest_authmock.provider.endpoints import dynamic_registration
from pytest_authmock.provider.http import Form
from pytest_authmock.provider.protocol_state import ProtocolState


def test_pushed_requests_are_capped_and_expire(
    provider: FakeIdP, http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pushed_requests, "MAX_PUSHED", 3)
    client = provider.add_client(redirect_uris=["https://app.example/cb"])
    form = {"response_type": "code", "redirect_uri": "https://app.example/cb", "scope": "openid"}

    def push() -> httpx.Response:
        return http.post(
            provider.metadata()["pushed_authorization_request_endpoint"],
            data=form,
            auth=(client.client_id, client.client_secret or ""),
        )

    for _ in range(3):
        assert push().status_code == 201
    refused = push()
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"] == "temporarily_unavailable"
    ttl = provider.protocol_settings.request_uri_ttl
    assert 1 <= int(refused.headers["retry-after"]) <= ttl
    provider.clock.advance(ttl)
    assert push().status_code == 201
    assert len(provider._ctx.flows.protocol.pushed) == 1  # the expired three are gone


def test_pushing_stays_cheap_under_a_flood() -> None:
    """Time per push does not grow with the pushed requests held (it re-built the
    whole table on every push once): 1 000 pushes into a near-empty table cost
    about what 1 000 cost with 6 000 held (best of three, against noisy cores)."""
    params = Form()

    def batch(state: ProtocolState, start: int, count: int) -> float:
        began = time.perf_counter()
        for n in range(start, start + count):
            # 100 pushes per provider second; request_uri_ttl 60 s: 6 000 live.
            pushed_requests.push(state, "c", params, n / 100)
        return time.perf_counter() - began

    first = min(batch(ProtocolState(), 0, 1_000) for _ in range(3))
    state = ProtocolState()
    batch(state, 0, 20_000)
    last = min(batch(state, start, 1_000) for start in (20_000, 21_000, 22_000))
    assert len(state.pushed) == 6_000
    assert last < first * 4, (first, last)


def test_open_registration_is_capped(
    provider: FakeIdP, http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dynamic_registration, "MAX_REGISTRATIONS", 2)
    url = provider.url_for("registration")
    document: dict[str, Any] = {"redirect_uris": ["https://app.example/cb"]}
    made = [http.post(url, json=document) for _ in range(2)]
    assert [answer.status_code for answer in made] == [201, 201]
    refused = http.post(url, json=document)
    assert refused.status_code == 429, refused.text
    body = refused.json()
    assert body["error"] == "temporarily_unavailable"
    assert "delete some" in body["error_description"]
    # RFC 7592 §2.3: deleting one makes room.
    first = made[0].json()
    deleted = http.delete(
        first["registration_client_uri"],
        headers={"Authorization": f"Bearer {first['registration_access_token']}"},
    )
    assert deleted.status_code == 204
    assert http.post(url, json=document).status_code == 201


def test_browser_sessions_are_capped_oldest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sessions, "MAX_SESSIONS", 3)
    idp = FakeIdP()
    user = idp.add_user()
    ctx = idp._ctx
    cookies = [sessions.start(ctx, user, "web", replacing=None) for _ in range(5)]
    held = ctx.flows.protocol.sessions
    assert len(held) == 3
    sids = [cookie.split(";")[0].split("=", 1)[1] for cookie in cookies if cookie]
    assert list(held) == sids[2:]
