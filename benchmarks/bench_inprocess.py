"""In-process costs as ratios to a baseline measured in the same run.

    python benchmarks/bench_inprocess.py [--requests 300] [--rounds 7] [--tests 300]
        [--runs 3] [--iam-python /path/to/venv/bin/python]

Three comparisons, each printed with its target:

1. **A token request** (client credentials, HTTP Basic, through respx), against
   a bare respx route answering static token JSON to the same httpx call. Opaque
   tokens against the bare route; JWTs against their physical limit: the bare
   route plus one raw signature of the same algorithm with ``cryptography``.
2. **The ``idp`` fixture** (setup plus teardown of a test that takes it), against
   respx's own ``respx_mock`` fixture (in a pytest process without a provider),
   both minus a bare test of the same process: medians over ``--tests`` tests.
3. **A test that takes ``idp`` and registers one client**, against pytest-iam's
   equivalent (a session server, a client created and deleted per test, as its
   docs show), both minus a bare test in the same process. pytest-iam runs in
   the interpreter given with ``--iam-python`` (a venv with ``pytest-iam``
   installed); without it the comparison is skipped.

Times are CPU time of the measuring thread (``time.thread_time``), so other
processes on a busy machine do not skew the ratios, and every figure is the
best of several rounds or runs: noise only ever adds time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import respx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from pytest_authmock import FakeIdP, RespxMount

STATIC = {"access_token": "x" * 43, "token_type": "Bearer", "expires_in": 3600}
TARGETS = {"opaque": 1.3, "RS256": 1.25, "ES256": 1.5, "fixture": 1.2, "per_test": 1.0}


# -- 1. token requests ---------------------------------------------------------------------


def _timed(send: Callable[[], object], requests: int) -> float:
    start = time.thread_time()
    for _ in range(requests):
        send()
    return (time.thread_time() - start) / requests


def _baseline_sender(
    http: httpx.Client, sign: Callable[[], bytes] | None = None
) -> tuple[respx.MockRouter, Callable[[], httpx.Response]]:
    """A bare respx route answering static token JSON; with ``sign``, signing once per request."""
    router = respx.MockRouter(assert_all_called=False)
    route = router.post("https://static.test/oauth2/token")
    if sign is None:
        route.respond(json=STATIC)
    else:

        def signed(request: httpx.Request) -> httpx.Response:
            sign()
            return httpx.Response(200, json=STATIC)

        route.mock(side_effect=signed)

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
        response = http.post(
            url, data={"grant_type": "client_credentials"}, auth=(client.client_id, "secret")
        )
        if len(idp.journal) > 1000:  # keep memory flat over long runs, as per-test resets would
            idp.reset()
            idp.add_client("client", "secret")
        return response

    return mount, send


def _raw_signers() -> dict[str, Callable[[], bytes]]:
    """One signature over a token-sized payload, with cryptography and nothing else."""
    payload = b"h" * 40 + b"." + b"p" * 300
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    return {
        "RS256": lambda: rsa_key.sign(payload, padding.PKCS1v15(), hashes.SHA256()),
        "ES256": lambda: ec_key.sign(payload, ec.ECDSA(hashes.SHA256())),
    }


def token_requests(requests: int, rounds: int) -> dict[str, float]:
    http = httpx.Client()
    signers = _raw_signers()
    # Each variant runs with only its own router started: respx asks every started
    # router in turn, so a router started earlier would tax the later ones.
    senders: dict[str, tuple[Any, Callable[[], object]]] = {
        "baseline": _baseline_sender(http),
        "opaque": _authmock_sender(http, "opaque", "https://opaque.authmock.test"),
        "RS256": _authmock_sender(http, "jwt", "https://jwt.authmock.test"),
        "ES256": _authmock_sender(http, "jwt", "https://es.authmock.test", "ES256"),
        "sign RS256": (contextlib.nullcontext(), signers["RS256"]),
        "sign ES256": (contextlib.nullcontext(), signers["ES256"]),
        "route+RS256": _baseline_sender(http, signers["RS256"]),
        "route+ES256": _baseline_sender(http, signers["ES256"]),
    }
    samples: dict[str, list[float]] = {name: [] for name in senders}
    for round_ in range(rounds + 1):  # interleaved, so drift hits every variant alike
        for name, (router, send) in senders.items():
            with router:
                if round_ == 0:  # warm up: key generation, imports, caches
                    for _ in range(20):
                        send()
                else:
                    samples[name].append(_timed(send, requests))
    best = {name: min(values) for name, values in samples.items()}
    print(f"\n1. token request, best of {rounds} rounds x {requests} requests")
    for name, value in best.items():
        print(f"  {name:12s} {value * 1e6:8.1f} us")
    base = best["baseline"]
    ratios = {
        "opaque": best["opaque"] / base,
        "RS256": best["RS256"] / best["route+RS256"],
        "ES256": best["ES256"] / best["route+ES256"],
    }
    _report("opaque / bare route", ratios["opaque"], TARGETS["opaque"])
    # The physical limit of a JWT: the bare route signing once per request. A
    # signature costs more there than in a loop of nothing but signatures (the
    # request's work between two signatures evicts the signer's warm caches), so
    # the sum of the two tight loops is printed too, as a lower bound.
    for alg in ("RS256", "ES256"):
        _report(f"{alg} / (bare route signing with {alg})", ratios[alg], TARGETS[alg])
        loose = best[alg] / (base + best[f"sign {alg}"])
        print(f"     ({alg} / (bare route + tight-loop {alg} signature): {loose:.2f}x)")
    return ratios


# -- 2. and 3. per-test costs, from pytest's own phase durations ---------------------------

_COLLECTOR = """
import json, os, time
import pytest
_durations = {}

def _timed(item):
    start = time.thread_time()
    yield
    _durations[item.nodeid] = _durations.get(item.nodeid, 0.0) + time.thread_time() - start

pytest_runtest_setup = pytest.hookimpl(wrapper=True)(lambda item: (yield from _timed(item)))
pytest_runtest_call = pytest.hookimpl(wrapper=True)(lambda item: (yield from _timed(item)))
pytest_runtest_teardown = pytest.hookimpl(wrapper=True)(
    lambda item, nextitem: (yield from _timed(item))
)

def pytest_sessionfinish(session):
    with open(os.environ["BENCH_DURATIONS"], "w") as handle:
        json.dump(_durations, handle)
"""


def _tests(**bodies: str) -> str:
    """A test module: one test per fixture list, each run ``{tests}`` times, plus a bare test."""
    source = "import pytest\n"
    for name, body in {"bare": "", **bodies}.items():
        arguments, _, statement = body.partition(":")
        source += (
            '\n@pytest.mark.parametrize("n", range({tests}))\n'
            f"def test_{name}({arguments + ', ' if arguments else ''}n):\n"
            f"    {statement.strip() or 'pass'}\n"
        )
    return source


_OURS = _tests(idp="idp", idp_client="idp: idp.add_client()")
# respx's own fixture, in a process of its own: as a suite without pytest-authmock has it.
_RESPX = _tests(respx_mock="respx_mock")
# pytest-iam's documented way to give a test its client: create it on the session
# server's backend, delete it afterwards.
_IAM_CLIENT = """
@pytest.fixture
def client(iam_server):
    inst = iam_server.models.Client(
        client_id="client_id",
        client_secret="client_secret",
        client_name="my client",
        redirect_uris=["http://localhost:5000/authorize_callback"],
        grant_types=["authorization_code", "client_credentials"],
        response_types=["code"],
        token_endpoint_auth_method="client_secret_basic",
        scope=["openid", "profile"],
    )
    iam_server.backend.save(inst)
    yield inst
    iam_server.backend.delete(inst)
"""
_IAM = _tests(iam_client="client") + _IAM_CLIENT


def _run_pytest(python: str, source: str, tests: int, *plugins: str) -> dict[str, float]:
    """Median CPU seconds per test (setup + call + teardown), by test function."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "conftest.py").write_text(_COLLECTOR)
        (root / "test_bench.py").write_text(textwrap.dedent(source.format(tests=tests)))
        (root / "pytest.ini").write_text("[pytest]\n")
        out = root / "durations.json"
        command = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
        for plugin in plugins:
            command += ["-p", plugin]
        subprocess.run(  # noqa: S603 - our own interpreter and a generated test file
            [*command, str(root)],
            check=True,
            capture_output=True,
            cwd=root,
            env={**os.environ, "BENCH_DURATIONS": str(out)},
        )
        durations: dict[str, float] = json.loads(out.read_text())
    by_test: dict[str, list[float]] = {}
    for nodeid, seconds in durations.items():
        name = nodeid.split("::")[1].split("[")[0]
        by_test.setdefault(name, []).append(seconds)
    # The first test of a kind pays session fixtures (key generation, server start).
    return {name: statistics.median(values[1:]) for name, values in by_test.items()}


def _best(runs: int, measure: Callable[[], dict[str, float]]) -> dict[str, float]:
    best: dict[str, float] = {}
    for _ in range(runs):
        for name, value in measure().items():
            best[name] = min(value, best.get(name, value))
    return best


def per_test(tests: int, runs: int, iam_python: str | None) -> dict[str, float]:
    ours = _best(runs, lambda: _run_pytest(sys.executable, _OURS, tests, "no:faker", "no:randomly"))
    plain = _best(runs, lambda: _run_pytest(sys.executable, _RESPX, tests, "no:faker"))
    bare = ours["test_bare"]
    idp = ours["test_idp"] - bare
    respx_mock = plain["test_respx_mock"] - plain["test_bare"]
    idp_client = ours["test_idp_client"] - bare
    print(f"\n2. fixture setup + teardown, median of {tests} tests, best of {runs} runs")
    print(f"  bare test          {bare * 1e3:7.3f} ms")
    print(f"  idp                {idp * 1e3:7.3f} ms over a bare test")
    print(f"  respx_mock         {respx_mock * 1e3:7.3f} ms over a bare test")
    ratios = {"fixture": idp / respx_mock}
    _report("idp / respx_mock", ratios["fixture"], TARGETS["fixture"])
    print(f"\n3. a test that takes idp and registers one client, best of {runs} runs")
    print(f"  idp + add_client() {idp_client * 1e3:7.3f} ms over a bare test")
    if iam_python is None:
        print("  pytest-iam         skipped (pass --iam-python)")
        return ratios
    iam = _best(runs, lambda: _run_pytest(iam_python, _IAM, tests))
    iam_client = iam["test_iam_client"] - iam["test_bare"]
    print(f"  pytest-iam client  {iam_client * 1e3:7.3f} ms over a bare test")
    ratios["per_test"] = idp_client / iam_client
    _report("idp + add_client / pytest-iam client", ratios["per_test"], TARGETS["per_test"])
    return ratios


def _report(what: str, ratio: float, target: float) -> None:
    verdict = "ok" if ratio <= target else "OVER TARGET"
    print(f"  -> {what}: {ratio:.2f}x (target <= {target}x) {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--tests", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--iam-python", default=None)
    parser.add_argument("--skip-tests", action="store_true", help="only the token requests")
    args = parser.parse_args()
    token_requests(args.requests, args.rounds)
    if not args.skip_tests:
        per_test(args.tests, args.runs, args.iam_python)


if __name__ == "__main__":
    main()
