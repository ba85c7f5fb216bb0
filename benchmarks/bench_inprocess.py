"""In-process token request cost, as a ratio to a bare respx route, measured in one run.

    python benchmarks/bench_inprocess.py [--requests 300] [--rounds 7]

The baseline is the cheapest possible mock of the same exchange: a respx route
answering static token JSON to the same httpx client call (client-credentials
POST with HTTP Basic). The ratio is what pytest-authmock costs on top of
mocking by hand. Targets: opaque <= 2.0x, JWT (RS256) <= 3.0x. An RSA-2048
signature alone costs ~0.7 ms here, so RS256 sits close to its target; ES256 is
listed for comparison.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import httpx
import respx

from pytest_authmock import FakeIdP, RespxMount

STATIC = {"access_token": "x" * 43, "token_type": "Bearer", "expires_in": 3600}


def _timed(send: Callable[[], httpx.Response], requests: int) -> float:
    start = time.perf_counter()
    for _ in range(requests):
        send()
    return (time.perf_counter() - start) / requests


def _baseline_sender(http: httpx.Client) -> tuple[respx.MockRouter, Callable[[], httpx.Response]]:
    router = respx.MockRouter(assert_all_called=False)
    router.post("https://static.test/oauth2/token").respond(json=STATIC)

    def send() -> httpx.Response:
        return http.post(
            "https://static.test/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=("client", "secret"),
        )

    return router, send


def _authmock_sender(
    http: httpx.Client, token_format: str, issuer: str, algorithm: str = "RS256"
) -> tuple[RespxMount, Callable[[], httpx.Response]]:
    idp = FakeIdP(issuer=issuer, token_format=token_format, algorithm=algorithm)  # type: ignore[arg-type]
    client = idp.add_client("client", "secret")
    url = idp.url_for("token")
    mount = RespxMount(idp)

    def send() -> httpx.Response:
        response = http.post(url, data={"grant_type": "client_credentials"}, auth=(client.client_id, "secret"))
        if len(idp.journal) > 1000:  # keep memory flat over long runs, as per-test resets would
            idp.reset()
            idp.add_client("client", "secret")
        return response

    return mount, send


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    http = httpx.Client()
    baseline_router, baseline = _baseline_sender(http)
    opaque_mount, opaque = _authmock_sender(http, "opaque", "https://opaque.authmock.test")
    jwt_mount, jwt = _authmock_sender(http, "jwt", "https://jwt.authmock.test")
    es_mount, es256 = _authmock_sender(http, "jwt", "https://es.authmock.test", "ES256")
    senders = {
        "baseline (bare respx route)": baseline,
        "authmock opaque": opaque,
        "authmock JWT RS256 (default)": jwt,
        "authmock JWT ES256": es256,
    }
    samples: dict[str, list[float]] = {name: [] for name in senders}
    with baseline_router, opaque_mount, jwt_mount, es_mount:
        for send in senders.values():  # warm up: key generation, imports, caches
            for _ in range(20):
                assert send().status_code == 200
        for _ in range(args.rounds):  # interleaved, so drift hits every variant alike
            for name, send in senders.items():
                samples[name].append(_timed(send, args.requests))

    base = statistics.median(samples["baseline (bare respx route)"])
    print(f"{args.rounds} rounds x {args.requests} requests, median of round means")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"  {name:30s} {median * 1e6:8.1f} us/request   {median / base:5.2f}x baseline")


if __name__ == "__main__":
    main()
