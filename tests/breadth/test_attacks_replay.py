"""Flooding the single-use memory: assertions that live for decades, and millions of jti.

Every used ``jti`` is remembered until its JWT expires. An assertion valid for
years would pin its entry for years; a flood of fresh ones would grow the
memory without bound. The provider refuses the first (RFC 7523 §3 item 4) and
caps the second without forgetting a live entry, which would re-open a replay.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc.jwk import ECKey

from pytest_authmock.provider.errors import InvalidClient, InvalidGrant
from pytest_authmock.provider.jwtcheck import MAX_ASSERTION_LIFETIME, check_times
from pytest_authmock.provider.limits import OverCapacity
from pytest_authmock.provider.replay import ReplayCache
from pytest_authmock.provider.store import Store
from tests.breadth.test_client_assertion_unit import NOW, claims, public, signed, verify


@pytest.fixture(scope="module")
def ec_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True)


def test_an_assertion_valid_for_decades_is_refused(ec_key: ECKey) -> None:
    value = signed(claims(exp=int(NOW) + 30 * 365 * 86400), ec_key, kid="k1")
    replay = ReplayCache()
    with pytest.raises(InvalidClient, match=f"more than {MAX_ASSERTION_LIFETIME} s after"):
        verify(value, public(ec_key), replay=replay)
    assert len(replay) == 0


def test_an_hour_ahead_is_accepted(ec_key: ECKey) -> None:
    value = signed(claims(exp=int(NOW) + MAX_ASSERTION_LIFETIME), ec_key, kid="k1")
    verify(value, public(ec_key))


@pytest.mark.parametrize(
    ("exp", "message"),
    [
        (1e300, "after the provider time"),
        (-1e300, "expired at -1e[+]300 [(]seconds since the epoch[)]"),
        (10**400, "must be a finite NumericDate"),
        (float("inf"), "must be a finite NumericDate"),
    ],
)
def test_absurd_times_are_refused_with_a_message(exp: Any, message: str) -> None:
    # 1e400 in JSON parses as infinity; an integer of 400 digits overflows a float.
    with pytest.raises(InvalidGrant, match=message):
        check_times({"exp": exp}, NOW, error=InvalidGrant, what="x", max_lifetime=60)
    if exp > 0:
        with pytest.raises(InvalidGrant, match=r"finite NumericDate|not valid before 1e\+300"):
            check_times({"exp": NOW + 10, "nbf": exp}, NOW, error=InvalidGrant, what="x")


def test_a_replay_is_refused_until_the_jti_expires() -> None:
    cache = ReplayCache()
    assert cache.use("a", "client", "j", until=NOW + 10, now=NOW)
    assert not cache.use("a", "client", "j", until=NOW + 10, now=NOW + 9)
    # Another namespace or owner is another identifier.
    assert cache.use("b", "client", "j", until=NOW + 10, now=NOW)
    assert cache.use("a", "other", "j", until=NOW + 10, now=NOW)
    assert cache.use("a", "client", "j", until=NOW + 20, now=NOW + 10)
    assert len(cache) == 1  # the other two expired at NOW + 10


def test_owner_and_jti_cannot_be_confused() -> None:
    cache = ReplayCache()
    assert cache.use("a", "x\0y", "z", until=NOW + 10, now=NOW)
    assert cache.use("a", "x", "y\0z", until=NOW + 10, now=NOW)


def test_a_full_cache_refuses_new_ids_and_keeps_the_old() -> None:
    cache = ReplayCache(capacity=3)
    for jti in "abc":
        assert cache.use("n", "o", jti, until=NOW + 30 + ord(jti), now=NOW)
    with pytest.raises(OverCapacity) as refused:
        cache.use("n", "o", "d", until=NOW + 30, now=NOW)
    assert refused.value.status_code == 429
    assert refused.value.error == "temporarily_unavailable"
    # Retry-After: when the first remembered jti expires.
    assert refused.value.headers == {"Retry-After": str(30 + ord("a"))}
    # Nothing was evicted: every live jti is still refused as a replay.
    for jti in "abc":
        assert not cache.use("n", "o", jti, until=NOW + 30, now=NOW + 1)
    # Once one expires there is room again.
    assert cache.use("n", "o", "d", until=NOW + 500, now=NOW + 30 + ord("a"))


def test_an_already_expired_id_is_not_remembered() -> None:
    cache = ReplayCache()
    assert cache.use("n", "o", "j", until=NOW, now=NOW)
    assert len(cache) == 0


def test_a_long_jti_costs_no_more_than_a_short_one() -> None:
    cache = ReplayCache()
    cache.use("n", "o", "x" * 8000, until=NOW + 10, now=NOW)
    (key,) = cache._until
    assert len(key) == 32


def test_the_store_purge_forgets_expired_ids() -> None:
    store = Store()
    for n in range(100):
        store.replay.use("n", "o", str(n), until=NOW + n, now=NOW)
    store.purge(NOW + 50)
    assert len(store.replay) == 49


def test_time_per_use_stays_flat_under_a_flood() -> None:
    """50k fresh identifiers, all still live (so all held): the last
    10k cost about what the first 10k did (the old cache re-scanned past 1024)."""
    cache = ReplayCache()

    def batch(start: int) -> float:
        began = time.perf_counter()
        for n in range(start, start + 10_000):
            now = NOW + n / 100
            cache.use("dpop", "jkt", f"jti-{n}", until=now + 3600, now=now)
        return time.perf_counter() - began

    first = batch(0)
    for start in range(10_000, 40_000, 10_000):
        batch(start)
    last = batch(40_000)
    assert len(cache) == 50_000
    # Best of two against noisy cores: a second fresh start, a second full batch.
    cache = ReplayCache()
    first = min(first, batch(0))
    cache = ReplayCache()
    batch(0)
    for start in range(10_000, 50_000, 10_000):
        batch(start)
    last = min(last, batch(50_000))
    assert last < first * 4, (first, last)
