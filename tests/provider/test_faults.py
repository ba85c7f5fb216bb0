"""Faults on demand, each over both transports: what the client sees, what the journal says."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import httpx
import pytest

from pytest_authmock import FakeIdP
from tests.helpers import token


def _jwks(http: httpx.Client, idp: FakeIdP, **kwargs: object) -> httpx.Response:
    return http.get(idp.url_for("jwks"), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_status_for_the_next_n_requests(provider: FakeIdP, http: httpx.Client, status: int) -> None:
    client = provider.add_client()
    fault = provider.fail(status, endpoint="token", times=2)
    first = token(http, provider, client, grant_type="client_credentials")
    second = token(http, provider, client, grant_type="client_credentials")
    third = token(http, provider, client, grant_type="client_credentials")
    assert [first.status_code, second.status_code, third.status_code] == [status, status, 200]
    assert first.headers["content-type"] == "application/json"
    expected = "server_error" if status == 500 else "temporarily_unavailable"
    assert first.json()["error"] == expected
    assert fault.fired == 2
    # Unprocessed: only the third request issued a token.
    assert len(provider.store.tokens) == 1
    entries = provider.journal.filter(endpoint="token")
    assert [(e.status_code, e.fault) for e in entries] == [
        (status, "status"),
        (status, "status"),
        (200, None),
    ]
    assert provider.journal.count(fault="status") == 2


def test_status_without_a_body_and_with_a_custom_one(provider: FakeIdP, http: httpx.Client) -> None:
    provider.fail(502, endpoint="jwks", body=None)
    provider.fail(503, endpoint="jwks", body="<html>down</html>", headers={"X-Gateway": "edge"})
    empty = _jwks(http, provider)
    html = _jwks(http, provider)
    assert (empty.status_code, empty.content) == (502, b"")
    assert (html.status_code, html.text) == (503, "<html>down</html>")
    assert html.headers["x-gateway"] == "edge"
    assert html.headers["content-type"].startswith("text/plain")
    assert _jwks(http, provider).status_code == 200


def test_fault_on_every_endpoint(provider: FakeIdP, http: httpx.Client) -> None:
    provider.fail(503, times=2)
    assert _jwks(http, provider).status_code == 503
    assert http.get(provider.issuer + "/.well-known/openid-configuration").status_code == 503
    assert _jwks(http, provider).status_code == 200
    assert [e.endpoint for e in provider.journal.filter(fault="status")] == ["jwks", "discovery"]


def test_fault_on_a_protected_resource(provider: FakeIdP, http: httpx.Client) -> None:
    api = provider.issuer + "/api/things"
    provider.protect(api)
    provider.fail(503, endpoint="resource")
    access = provider.issue_token()
    assert http.get(api, headers={"Authorization": f"Bearer {access}"}).status_code == 503
    assert http.get(api, headers={"Authorization": f"Bearer {access}"}).status_code == 200


def test_only_one_grant_type(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    user = provider.add_user()
    provider.fail(503, endpoint="token", grant_type="refresh_token")
    login = token(
        http,
        provider,
        client,
        grant_type="password",
        username=user.username,
        password=user.password,
    )
    assert login.status_code == 200
    refreshed = token(
        http,
        provider,
        client,
        grant_type="refresh_token",
        refresh_token=login.json()["refresh_token"],
    )
    assert refreshed.status_code == 503
    assert provider.journal.last(fault="status").grant_type == "refresh_token"


def test_rate_limit_with_retry_after_seconds(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    provider.rate_limit(retry_after=7, endpoint="token")
    response = token(http, provider, client, grant_type="client_credentials")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"] == "temporarily_unavailable"
    assert provider.journal.last(endpoint="token").fault == "rate_limit"
    assert token(http, provider, client, grant_type="client_credentials").status_code == 200


def test_rate_limit_with_an_http_date_on_the_provider_clock(
    provider: FakeIdP, http: httpx.Client
) -> None:
    provider.clock.skew = 3600
    provider.rate_limit(retry_after=30, http_date=True, endpoint="jwks")
    when = parsedate_to_datetime(_jwks(http, provider).headers["retry-after"])
    expected = datetime.now(timezone.utc) + timedelta(seconds=3630)
    assert abs((when - expected).total_seconds()) < 5


def test_rate_limit_with_a_fixed_date_or_without_header(
    provider: FakeIdP, http: httpx.Client
) -> None:
    moment = datetime(2031, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    provider.rate_limit(retry_after=moment, endpoint="jwks")
    provider.rate_limit(retry_after=None, endpoint="jwks")
    assert _jwks(http, provider).headers["retry-after"] == "Thu, 02 Jan 2031 03:04:05 GMT"
    bare = _jwks(http, provider)
    assert bare.status_code == 429
    assert "retry-after" not in bare.headers


def test_delay_answers_late_but_answers(provider: FakeIdP, http: httpx.Client) -> None:
    provider.delay(0.2, endpoint="jwks")
    started = time.monotonic()
    response = _jwks(http, provider)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.2
    assert provider.journal.last().fault == "delay"
    assert provider.journal.last().status_code == 200


def test_delay_beyond_the_read_timeout_times_out_after_processing(
    provider: FakeIdP, http: httpx.Client
) -> None:
    client = provider.add_client()
    provider.delay(2, endpoint="token")
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        http.post(
            provider.url_for("token"),
            data={"grant_type": "client_credentials"},
            auth=(client.client_id, str(client.client_secret)),
            timeout=0.15,
        )
    assert 0.15 <= time.monotonic() - started < 1.5
    # The provider did its work: the token exists though nobody received it.
    assert len(provider.store.tokens) == 1


def test_delay_does_not_hold_the_provider(provider: FakeIdP) -> None:
    provider.delay(0.5, endpoint="jwks")
    verify = getattr(provider, "httpx_verify", True)

    async def both() -> tuple[float, float]:
        async with httpx.AsyncClient(verify=verify) as client:
            started = time.monotonic()

            async def timed(url: str) -> float:
                response = await client.get(url)
                assert response.status_code == 200
                return time.monotonic() - started

            slow, fast = await asyncio.gather(
                timed(provider.url_for("jwks")),
                timed(provider.issuer + "/.well-known/openid-configuration"),
            )
            return slow, fast

    slow, fast = asyncio.run(both())
    assert slow >= 0.5
    assert fast < 0.4


def test_timeout_never_answers(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    provider.timeout(endpoint="token")
    with pytest.raises(httpx.ReadTimeout):
        http.post(
            provider.url_for("token"),
            data={"grant_type": "client_credentials"},
            auth=(client.client_id, str(client.client_secret)),
            timeout=0.2,
        )
    entry = provider.journal.last()
    assert (entry.fault, entry.status_code, entry.error) == ("timeout", 0, None)
    assert "-> no answer" in entry.describe()
    assert not provider.store.tokens  # never processed
    assert token(http, provider, client, grant_type="client_credentials").status_code == 200


def test_disconnect_closes_without_an_answer(provider: FakeIdP, http: httpx.Client) -> None:
    provider.disconnect(endpoint="jwks")
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        _jwks(http, provider)
    assert provider.journal.last().fault == "disconnect"
    assert _jwks(http, provider).status_code == 200


def test_refuse(provider: FakeIdP, http: httpx.Client, transport: str) -> None:
    provider.refuse(endpoint="jwks")
    with pytest.raises(httpx.TransportError) as info:
        _jwks(http, provider)
    if transport == "inprocess":
        assert isinstance(info.value, httpx.ConnectError)
    else:
        # An accepted TCP connection cannot be refused any more; it is reset.
        assert isinstance(info.value, (httpx.ReadError, httpx.RemoteProtocolError))
    assert provider.journal.last().fault == "refuse"
    assert _jwks(http, provider).status_code == 200


def test_malformed_json(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    provider.malformed_json(endpoint="token")
    response = token(http, provider, client, grant_type="client_credentials")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert provider.journal.last().fault == "malformed_json"


def test_truncated_json(provider: FakeIdP, http: httpx.Client) -> None:
    provider.truncated_json(endpoint="jwks")
    whole = _jwks(http, provider)  # the fault is spent on the first request...
    cut = whole.content
    assert int(whole.headers["content-length"]) == len(cut)
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut)
    full = _jwks(http, provider).content
    assert full.startswith(cut)
    assert len(cut) == len(full) // 2


def test_wrong_content_type(provider: FakeIdP, http: httpx.Client) -> None:
    provider.wrong_content_type(endpoint="jwks")
    provider.wrong_content_type("text/plain", endpoint="jwks")
    html = _jwks(http, provider)
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert html.json()["keys"]  # the body is still the real answer
    assert _jwks(http, provider).headers["content-type"] == "text/plain"
    assert _jwks(http, provider).headers["content-type"] == "application/json"


def test_fraction_is_seeded_and_reproducible(transport: str) -> None:
    def pattern(seed: int) -> list[int]:
        idp = FakeIdP(seed=seed)
        idp.fail(503, endpoint="jwks", times=None, fraction=0.5)
        client = httpx.Client(transport=httpx.MockTransport(idp.handler))
        return [client.get(idp.url_for("jwks")).status_code for _ in range(40)]

    first = pattern(7)
    assert first == pattern(7)
    assert first != pattern(8)
    assert 8 < first.count(503) < 32


def test_every_request_until_cleared(provider: FakeIdP, http: httpx.Client) -> None:
    fault = provider.fail(503, endpoint="jwks", times=None)
    assert [_jwks(http, provider).status_code for _ in range(3)] == [503, 503, 503]
    provider.clear_faults()
    assert _jwks(http, provider).status_code == 200
    assert fault.fired == 3


def test_faults_apply_in_the_order_planned(provider: FakeIdP, http: httpx.Client) -> None:
    provider.fail(500, endpoint="jwks")
    provider.rate_limit(1, endpoint="jwks")
    assert [_jwks(http, provider).status_code for _ in range(3)] == [500, 429, 200]


def test_unfired_faults_are_teardown_problems(idp: FakeIdP) -> None:
    never = idp.fail(503, endpoint="token")
    idp.fail(502, endpoint="jwks", times=2)
    httpx.get(idp.url_for("jwks"))
    assert idp.check() == [
        f"planned fault never fired: {never.describe()}",
        "planned fault fired 1 of 2 times: fail(502, endpoint='jwks', times=2) "
        "(opt out with @pytest.mark.authmock(assert_all_faults_fired=False))",
    ]
    idp.internals.faults.assert_all_fired = False
    assert idp.check() == []
    idp.clear_faults()


def test_unlimited_and_fractional_faults_only_need_to_fire_once(idp: FakeIdP) -> None:
    idp.fail(503, endpoint="jwks", times=None)
    idp.fail(503, endpoint="jwks", times=5, fraction=0.99)
    assert [f.describe() for f in idp.internals.faults] == [
        "fail(503, endpoint='jwks', times=None)",
        "fail(503, endpoint='jwks', times=5, fraction=0.99)",
    ]
    httpx.get(idp.url_for("jwks"))
    assert len(idp.check()) == 1  # the second never got a request
    idp.clear_faults()


def test_mock_transport_handler_carries_out_faults() -> None:
    idp = FakeIdP()
    idp.disconnect(endpoint="jwks")
    idp.timeout(endpoint="jwks")
    with httpx.Client(transport=httpx.MockTransport(idp.handler)) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(idp.url_for("jwks"))
        with pytest.raises(httpx.ReadTimeout):
            client.get(idp.url_for("jwks"))
        assert client.get(idp.url_for("jwks")).status_code == 200


def test_async_mock_transport_delay_is_awaited() -> None:
    idp = FakeIdP()
    idp.delay(0.2, endpoint="jwks")

    async def run() -> int:
        async with httpx.AsyncClient(transport=httpx.MockTransport(idp.handler)) as client:
            ticks = 0

            async def tick() -> None:
                nonlocal ticks
                for _ in range(5):
                    await asyncio.sleep(0.02)
                    ticks += 1

            response, _ = await asyncio.gather(client.get(idp.url_for("jwks")), tick())
            assert response.status_code == 200
            return ticks

    assert asyncio.run(run()) == 5


def test_a_transport_without_fault_support_gets_an_honest_503() -> None:
    idp = FakeIdP()
    idp.disconnect(endpoint="jwks")
    response = idp.handle(httpx.Request("GET", idp.url_for("jwks")))
    assert response.status_code == 503
    assert "cannot simulate" in response.json()["error_description"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda idp: idp.fail(200), "HTTP error status"),
        (lambda idp: idp.fail(503, endpoint="tokens"), "unknown endpoint 'tokens'"),
        (lambda idp: idp.fail(503, times=0), "times must be a positive whole number"),
        (lambda idp: idp.fail(503, fraction=1.5), "fraction must be a number in (0, 1]"),
        (
            lambda idp: idp.fail(503, endpoint="jwks", grant_type="password"),
            "only applies to the token",
        ),
        (lambda idp: idp.fail(503, body=object()), "body must be"),
        (lambda idp: idp.rate_limit(-1), "retry_after must be"),
        (lambda idp: idp.rate_limit(datetime(2030, 1, 1)), "timezone-aware"),
        (lambda idp: idp.delay(-1), "delay() takes seconds"),
        (lambda idp: idp.timeout(stall=0), "stall must be"),
        (lambda idp: idp.wrong_content_type(""), "content_type must be"),
    ],
)
def test_bad_fault_arguments_fail_at_once(call: object, message: str) -> None:
    idp = FakeIdP()
    with pytest.raises((ValueError, TypeError)) as info:
        call(idp)  # type: ignore[operator]
    assert message in str(info.value)
    assert len(idp.internals.faults) == 0
