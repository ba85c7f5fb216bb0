"""Hostile JSON bodies and numbers: a 400 that names the field and the range, nothing stored.

A number that cannot be turned into a date, or a body nested deeper than any
real request, is refused before anything is created, so that every listing
keeps working afterwards.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_authmock import FakeIdP
from tests.helpers import bearer

ADMIN = "api_tokens:admin"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def admin(provider: FakeIdP) -> str:
    client = provider.add_client()
    user = provider.add_user()
    return provider.issue_token(client, user=user, scopes=[ADMIN, "read"])


def _url(provider: FakeIdP) -> str:
    url: str = provider.metadata()["api_tokens_endpoint"]
    return url


def _post(http: httpx.Client, provider: FakeIdP, admin: str, body: bytes) -> httpx.Response:
    return http.post(_url(provider), content=body, headers={**JSON, **bearer(admin)})


def _assert_nothing_stored(http: httpx.Client, provider: FakeIdP, admin: str) -> None:
    listed = http.get(_url(provider), headers=bearer(admin))
    assert listed.status_code == 200, listed.text
    assert listed.json() == {"tokens": []}
    assert provider.api_tokens() == []
    assert provider.check() == []


BAD_EXPIRES_IN = {
    "1e20": b"100000000000000000000",
    "1e400 integer": b"1" + b"0" * 400,
    "1e400 float": b"1e400",
    "negative": b"-5",
    "zero": b"0",
    "fraction": b"1.5",
    "boolean": b"true",
    "string": b'"3600"',
    "2^63": str(2**63).encode(),
}


@pytest.mark.parametrize("raw", list(BAD_EXPIRES_IN.values()), ids=list(BAD_EXPIRES_IN))
def test_expires_in_out_of_range_is_refused_before_storing(
    provider: FakeIdP, http: httpx.Client, admin: str, raw: bytes
) -> None:
    response = _post(http, provider, admin, b'{"name": "ci", "expires_in": ' + raw + b"}")
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_request"
    # The description names the field and the range a person can use instead.
    assert "expires_in" in body["error_description"]
    assert "from 1 to 3153600000 (100 years)" in body["error_description"]
    _assert_nothing_stored(http, provider, admin)


def test_the_longest_allowed_lifetime_is_created_and_listed(
    provider: FakeIdP, http: httpx.Client, admin: str
) -> None:
    response = _post(http, provider, admin, b'{"name": "ci", "expires_in": 3153600000}')
    assert response.status_code == 201, response.text
    listed = http.get(_url(provider), headers=bearer(admin))
    assert listed.status_code == 200
    assert [token["id"] for token in listed.json()["tokens"]] == [response.json()["id"]]


@pytest.mark.parametrize("raw", [b"NaN", b"Infinity", b"-Infinity"])
def test_numbers_json_does_not_have_are_refused(
    provider: FakeIdP, http: httpx.Client, admin: str, raw: bytes
) -> None:
    response = _post(http, provider, admin, b'{"name": "ci", "expires_in": ' + raw + b"}")
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    assert "is not a JSON number (RFC 8259" in response.json()["error_description"]
    _assert_nothing_stored(http, provider, admin)


NESTED = {
    "objects": b'{"name": ' + b'{"a": ' * 1500 + b"1" + b"}" * 1501,
    "arrays": b'{"name": "ci", "scopes": ' + b"[" * 1500 + b"]" * 1500 + b"}",
    "top-level arrays": b"[" * 5_000 + b"]" * 5_000,
    "unclosed": b"[" * 15000,
}


@pytest.mark.parametrize("body", list(NESTED.values()), ids=list(NESTED))
def test_deeply_nested_json_is_refused(
    provider: FakeIdP, http: httpx.Client, admin: str, body: bytes
) -> None:
    response = _post(http, provider, admin, body)
    assert response.status_code == 400, response.text
    error: dict[str, Any] = response.json()
    assert error["error"] == "invalid_request"
    assert "nested" in error["error_description"]
    _assert_nothing_stored(http, provider, admin)


def test_a_long_number_is_refused_with_the_json_message(
    provider: FakeIdP, http: httpx.Client, admin: str
) -> None:
    # Python refuses to parse integers of more than 4300 digits (CVE-2020-10735).
    response = _post(http, provider, admin, b'{"name": "ci", "expires_in": ' + b"9" * 5000 + b"}")
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    _assert_nothing_stored(http, provider, admin)


@pytest.mark.parametrize(
    "options",
    [{"access_token_ttl": 10**20}, {"refresh_token_ttl": 2**63}, {"id_token_ttl": 10**400}],
    ids=["access", "refresh", "id"],
)
def test_configured_lifetimes_are_bounded_too(options: dict[str, int]) -> None:
    # A lifetime from a marker, a config file or `authmock serve` becomes every
    # token's exp: one no date type can hold is refused at once, naming the range.
    with pytest.raises(ValueError, match=r"from 1 to 3153600000 \(100 years\)"):
        FakeIdP(**options)  # type: ignore[arg-type]


def test_the_python_api_bounds_expires_in_like_the_http_api(idp: FakeIdP) -> None:
    user = idp.add_user()
    with pytest.raises(ValueError, match=r"expires_in .* from 1 to 3153600000"):
        idp.create_api_token(user, expires_in=10**20)
    assert idp.api_tokens() == []


@pytest.mark.parametrize("seconds", [float("inf"), float("nan"), 1e20, -(10**12)])
def test_the_clock_stays_where_dates_can_be_written(idp: FakeIdP, seconds: float) -> None:
    user = idp.add_user()
    idp.create_api_token(user)
    with pytest.raises(ValueError, match=r"within 3153600000 s \(100 years\)"):
        idp.clock.advance(seconds)
    with pytest.raises(ValueError, match=r"within 3153600000 s \(100 years\)"):
        idp.clock.skew = seconds
    # Nothing moved: every date the provider writes still renders.
    assert idp.api_tokens()[0].describe(idp.clock.now())["created_at"].startswith("20")
