"""Bounded retries: what is retried, how long it waits, when it gives up."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from pytest_authmock.client import ProviderUnavailable, RateLimited, RetryPolicy
from pytest_authmock.client.retry import parse_retry_after

REQUEST = httpx.Request("POST", "https://idp.example/token")


def answers(*items: int | Exception | tuple[int, dict[str, str]]):
    """A send() that plays the given answers in order and counts calls."""
    calls: list[int] = []

    def send() -> httpx.Response:
        item = items[len(calls)]
        calls.append(1)
        if isinstance(item, Exception):
            raise item
        status, headers = item if isinstance(item, tuple) else (item, {})
        return httpx.Response(status, headers=headers, request=REQUEST)

    return send, calls


def policy(slept: list[float], **kwargs: object) -> RetryPolicy:
    return RetryPolicy(jitter=False, sleep=slept.append, **kwargs)  # type: ignore[arg-type]


def test_5xx_then_success_retries_with_exponential_backoff() -> None:
    slept: list[float] = []
    send, calls = answers(503, 502, 200)
    response = policy(slept, backoff_base=0.5).send(send, what="x")
    assert response.status_code == 200
    assert len(calls) == 3
    assert slept == [0.5, 1.0]


def test_backoff_is_capped() -> None:
    p = RetryPolicy(jitter=False, backoff_base=1, backoff_max=3)
    assert [p.backoff(n) for n in (1, 2, 3, 4, 5)] == [1, 2, 3, 3, 3]
    jittered = RetryPolicy(backoff_base=1, backoff_max=3)
    assert all(0 <= jittered.backoff(n) <= 3 for n in range(1, 10))


def test_retry_after_is_honoured_for_429() -> None:
    slept: list[float] = []
    send, _calls = answers((429, {"Retry-After": "7"}), 200)
    assert policy(slept).send(send, what="x").status_code == 200
    assert slept == [7.0]


def test_retry_after_beyond_the_bound_raises_at_once() -> None:
    slept: list[float] = []
    send, calls = answers((429, {"Retry-After": "3600"}))
    with pytest.raises(RateLimited) as info:
        policy(slept, max_retry_after=30).send(send, what="the token request")
    assert info.value.retry_after == 3600
    assert "3600" in str(info.value)
    assert slept == []
    assert len(calls) == 1


def test_persistent_429_ends_in_rate_limited_with_advice() -> None:
    slept: list[float] = []
    send, calls = answers(*[(429, {"Retry-After": "1"})] * 3)
    with pytest.raises(RateLimited) as info:
        policy(slept, max_attempts=3).send(send, what="x")
    assert info.value.retry_after == 1
    assert len(calls) == 3
    assert isinstance(info.value, ProviderUnavailable)


def test_persistent_5xx_ends_in_provider_unavailable() -> None:
    slept: list[float] = []
    send, calls = answers(500, 500)
    with pytest.raises(ProviderUnavailable, match="HTTP 500 after 2 attempt"):
        policy(slept, max_attempts=2).send(send, what="x")
    assert len(calls) == 2


def test_4xx_is_not_retried() -> None:
    slept: list[float] = []
    send, calls = answers(400)
    assert policy(slept).send(send, what="x").status_code == 400
    assert calls == [1]
    assert slept == []


def test_connect_errors_are_retried_even_for_non_idempotent_requests() -> None:
    slept: list[float] = []
    send, calls = answers(httpx.ConnectError("refused", request=REQUEST), 200)
    assert policy(slept).send(send, what="x", idempotent=False).status_code == 200
    assert len(calls) == 2


def test_read_timeout_is_not_retried_for_non_idempotent_requests() -> None:
    # The refresh request may have been processed; replaying it would reuse a
    # rotated refresh token and get the whole family revoked.
    slept: list[float] = []
    send, calls = answers(httpx.ReadTimeout("slow", request=REQUEST), 200)
    with pytest.raises(ProviderUnavailable, match="ReadTimeout"):
        policy(slept).send(send, what="x", idempotent=False)
    assert len(calls) == 1
    send, calls = answers(httpx.ReadTimeout("slow", request=REQUEST), 200)
    assert policy(slept).send(send, what="x", idempotent=True).status_code == 200


@pytest.mark.parametrize(
    "failure",
    [502, 503, 500, httpx.RemoteProtocolError("dropped", request=REQUEST)],
    ids=["502", "503", "500", "dropped-after-send"],
)
def test_non_idempotent_requests_are_never_resent_once_they_may_have_arrived(
    failure: int | Exception,
) -> None:
    slept: list[float] = []
    send, calls = answers(failure, 200)
    with pytest.raises(ProviderUnavailable, match=r"not repeated|RemoteProtocolError"):
        policy(slept).send(send, what="the refresh", idempotent=False)
    assert len(calls) == 1
    assert slept == []


def test_never_tries_once() -> None:
    send, calls = answers(503)
    with pytest.raises(ProviderUnavailable):
        RetryPolicy.never().send(send, what="x")
    assert len(calls) == 1


def test_async_send_uses_async_sleep() -> None:
    slept: list[float] = []

    async def asleep(delay: float) -> None:
        slept.append(delay)

    calls: list[int] = []

    async def send() -> httpx.Response:
        calls.append(1)
        return httpx.Response(503 if len(calls) < 3 else 200, request=REQUEST)

    p = RetryPolicy(jitter=False, backoff_base=0.1, async_sleep=asleep)
    response = asyncio.run(p.asend(send, what="x"))
    assert response.status_code == 200
    assert slept == [0.1, 0.2]


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    when = datetime(2030, 1, 1, tzinfo=timezone.utc)
    header = format_datetime(when, usegmt=True)
    now = (when - timedelta(seconds=90)).timestamp()
    assert parse_retry_after(header, now=now) == pytest.approx(90.0)
    assert parse_retry_after(header, now=when.timestamp() + 10) == 0.0


def test_invalid_policies_are_rejected() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(backoff_base=-1)


def test_tls_failure_detection_survives_cyclic_exception_chains() -> None:
    import ssl

    from pytest_authmock.client.retry import tls_failure

    a = httpx.ReadError("a")
    b = OSError("b")
    a.__context__ = b
    b.__context__ = a
    assert tls_failure(a) is None
    wrapped = httpx.ConnectError("handshake")
    wrapped.__cause__ = ssl.SSLError(
        1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"
    )
    assert "CA bundle" in str(tls_failure(wrapped))
