"""A flood of single-use assertions: time per request and memory stay flat.

    python benchmarks/bench_flood.py [--requests 50000] [--mode far|hour|minute|all]

A client authenticates each introspection request with a new
``client_secret_jwt`` assertion (RFC 7523 §2.2), each with a unique ``jti`` the
provider must remember until the assertion expires; nothing else is issued or
kept (but the journal's last 10 000 entries). Three floods:

- ``far``: every assertion expires in 30 years (an attacker, or a buggy
  client). They are refused (more than an hour ahead, RFC 7523 §3), so
  nothing is remembered.
- ``hour``: every assertion lives the longest accepted (an hour) and the
  provider clock stands still: every ``jti`` stays live, up to the replay
  cache's cap (then 429 until some expire).
- ``minute``: assertions live a minute and the provider clock moves a second
  every 10 requests: about 600 are live at a time.

Printed per flood: microseconds per request over the first and the last 5 000
requests (their ratio is the point: flat means about 1), resident memory
growth, and how many ``jti`` the provider holds at the end. Before the replay
cache was a heap with a cap, a flood rescanned every held ``jti`` on every
request past 1 024 (the ``far`` and ``hour`` ratios grew with the flood) and
kept every one for 30 years.
"""

from __future__ import annotations

import argparse
import base64
import gc
import hashlib
import hmac
import json
import time

import httpx
from bench_memory import rss_mb  # type: ignore[import-not-found]

from pytest_authmock import FakeIdP

WINDOW = 5_000
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
LIFETIMES = {"far": 30 * 365 * 86400, "hour": 3600, "minute": 60}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def assertion(client_id: str, secret: str, audience: str, jti: int, now: float, life: int) -> str:
    """HS256 by hand: the benchmark measures the provider, not a JOSE library."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"iss": client_id, "sub": client_id, "aud": audience, "jti": f"flood-{jti}"}
    claims.update(iat=int(now), exp=int(now) + life)
    signing_input = f"{header}.{_b64(json.dumps(claims).encode())}"
    mac = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def run(mode: str, requests: int) -> tuple[float, float, float, int, dict[int, int]]:
    """µs per request over the first and last window, RSS growth (MB), jti held, statuses."""
    idp = FakeIdP()
    client = idp.add_client(token_endpoint_auth_method="client_secret_jwt")
    assert client.client_secret is not None
    # Introspection (RFC 7662) authenticates the client as the token endpoint does but
    # issues nothing: what grows is what the assertions leave behind.
    url = idp.url_for("introspection")
    statuses: dict[int, int] = {}
    marks: dict[int, float] = {}
    gc.collect()
    rss_before = rss_mb()
    for done in range(requests):
        if done in (0, WINDOW, requests - WINDOW):
            marks[done] = time.perf_counter()
        now = idp.clock.now()
        form = {
            "token": "unknown",
            "client_id": client.client_id,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion(
                client.client_id, client.client_secret, idp.issuer, done, now, LIFETIMES[mode]
            ),
        }
        status = idp.handle(httpx.Request("POST", url, data=form)).status_code
        statuses[status] = statuses.get(status, 0) + 1
        if mode == "minute" and done % 10 == 9:
            idp.clock.advance(1)
    end = time.perf_counter()
    gc.collect()
    first = (marks[WINDOW] - marks[0]) / WINDOW * 1e6
    last = (end - marks[requests - WINDOW]) / WINDOW * 1e6
    return first, last, rss_mb() - rss_before, _held(idp._ctx.store.replay), statuses


def _held(replay: object) -> int:
    try:
        return len(replay)  # type: ignore[arg-type]
    except TypeError:  # the replay cache before it had a cap: a plain dict inside
        return len(replay._seen)  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--mode", choices=(*LIFETIMES, "all"), default="all")
    args = parser.parse_args()
    if args.requests < 2 * WINDOW:
        parser.error(f"--requests must be at least {2 * WINDOW}")
    for mode in LIFETIMES if args.mode == "all" else (args.mode,):
        first, last, grown, held, statuses = run(mode, args.requests)
        answers = ", ".join(f"{count} x {status}" for status, count in sorted(statuses.items()))
        print(
            f"{mode:>6}: {first:.0f} µs/request first {WINDOW}, {last:.0f} µs last {WINDOW} "
            f"(ratio {last / first:.2f}); RSS {grown:+.1f} MB; {held} jti held; {answers}"
        )


if __name__ == "__main__":
    main()
