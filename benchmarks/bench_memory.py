"""Memory of a provider that runs for days: resident size after 10k and 100k token requests.

    python benchmarks/bench_memory.py [--requests 100000] [--format opaque|jwt|both]

An in-process provider issues client-credentials access tokens that live one
second, while its clock moves forward ``--step`` seconds every 100 requests, so
almost every token has expired long before the run ends. Dead tokens are purged
on the provider clock and the journal keeps its last 10 000 entries, so the
resident set size after 10k requests and after 100k should be within a few MB.
Target: at most 5 MB apart.
"""

from __future__ import annotations

import argparse
import base64
import gc
import os
import resource
import sys
import time
from pathlib import Path

import httpx

from pytest_authmock import FakeIdP

TARGET_MB = 5.0


def rss_mb() -> float:
    """The current resident set size (Linux /proc; the peak elsewhere)."""
    statm = Path("/proc/self/statm")
    if statm.exists():
        pages = int(statm.read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def run(token_format: str, requests: int, step: float) -> tuple[float, float, int, int]:
    """RSS (MB) after 10k requests and after ``requests``, and the store and journal sizes."""
    idp = FakeIdP(token_format=token_format, access_token_ttl=1)  # type: ignore[arg-type]
    client = idp.add_client()
    assert client.client_secret is not None
    basic = base64.b64encode(f"{client.client_id}:{client.client_secret}".encode()).decode()
    url = idp.url_for("token")
    headers = {"authorization": f"Basic {basic}"}
    checkpoints = {10_000: 0.0, requests: 0.0}
    for done in range(1, requests + 1):
        request = httpx.Request(
            "POST", url, data={"grant_type": "client_credentials"}, headers=headers
        )
        response = idp.handle(request)
        if response.status_code != 200:
            raise SystemExit(f"token request {done} answered {response.status_code}")
        if done % 100 == 0:
            idp.clock.advance(step)
        if done in checkpoints:
            gc.collect()
            checkpoints[done] = rss_mb()
    return (
        checkpoints[10_000],
        checkpoints[requests],
        len(idp._ctx.store.tokens),
        len(idp.journal),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--format", choices=("opaque", "jwt", "both"), default="opaque")
    parser.add_argument(
        "--step", type=float, default=10.0, help="provider seconds per 100 requests"
    )
    args = parser.parse_args()
    if args.requests < 10_000:
        parser.error("--requests must be at least 10000")
    formats = ("opaque", "jwt") if args.format == "both" else (args.format,)
    worst = 0.0
    for token_format in formats:
        started = time.perf_counter()
        first, last, tokens, entries = run(token_format, args.requests, args.step)
        worst = max(worst, last - first)
        print(
            f"{token_format:>6}: RSS {first:.1f} MB after 10k requests, {last:.1f} MB after "
            f"{args.requests // 1000}k ({last - first:+.1f} MB); {tokens} token records and "
            f"{entries} journal entries kept; {time.perf_counter() - started:.0f} s"
        )
    verdict = "within" if worst <= TARGET_MB else "OVER"
    print(f"growth {worst:+.1f} MB: {verdict} the {TARGET_MB:.0f} MB target")


if __name__ == "__main__":
    main()
