"""Per-request JOSE work of the breadth features, as ratios to baselines measured in the same run.

    python benchmarks/bench_breadth.py [--requests 300] [--rounds 7] [--only NAME ...]

Every row sends the same kind of request through respx twice: to the fake
provider (the client library making the JWTs it needs), and to a bare respx
route that does the irreducible JOSE work of that request with joserfc
directly and answers static JSON. The provider issues opaque tokens, so the
only signatures and verifications are those the feature itself needs:

1. **private_key_jwt** (ES256, RS256) and **client_secret_jwt** (HS256): a
   client-credentials token request authenticated with a new client assertion.
   Baseline: the client signs an assertion with joserfc, the route verifies it
   with the registered public key (imported once, as a registration would).
2. **DPoP-bound client credentials** (ES256 proof, HTTP Basic). Baseline: the
   client signs a proof with its ``jwk`` in the header; the route verifies it
   with that key, imported once (a server that meets the same key again need
   not import it again).
3. **A protected-resource call** with a DPoP-bound token (a new proof with
   ``ath`` per call), against the same baseline route also hashing the token;
   and with a bearer token, against a bare route answering static JSON.
4. **Token exchange** (RFC 8693) of a subject token from a trusted issuer (a
   second fake provider, RS256), against a route verifying that token with
   joserfc and the issuer's key (imported once).

Each row also prints what the feature adds to the provider's plain request
(``client_secret_basic``, or a bearer token at the resource) against what the
same JOSE work adds to the bare route: 1.0x means the provider spends on the
feature exactly what joserfc needs for its signatures. Times are CPU time
of the measuring thread (``time.thread_time``), best of interleaved rounds:
noise only ever adds time.
"""

from __future__ import annotations

import argparse
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx
import respx
from bench_inprocess import STATIC, _report, _timed
from joserfc import jws
from joserfc.jwk import ECKey, JWKRegistry, Key, OctKey, RSAKey

from pytest_authmock import FakeIdP, RespxMount
from pytest_authmock.client import DPoPKey, PrivateKeyJwt
from pytest_authmock.client.assertion import ASSERTION_TYPE, ClientSecretJwt
from pytest_authmock.client.exchange import JWT_TOKEN_TYPE
from pytest_authmock.provider.dpop import access_token_hash

ISSUER = "https://breadth.authmock.test"
BARE = "https://static.test"
SECRET = "bench-secret-0123456789abcdef01"
#: A client-credentials request with HTTP Basic, as the bare routes get it.
_BASIC: dict[str, Any] = {"data": {"grant_type": "client_credentials"}, "auth": ("bench", SECRET)}
#: Each row against its honest baseline, in the spirit of bench_inprocess's
#: ``opaque <= 1.3x``: the provider's own work on top of the JOSE work it must do.
TARGETS = {
    "private_key_jwt ES256": 1.3,
    "private_key_jwt RS256": 1.3,
    "client_secret_jwt HS256": 1.3,
    "DPoP client_credentials": 1.3,
    "resource DPoP": 1.3,
    "resource bearer": 1.3,
    "token exchange": 1.3,
}

Sender = Callable[[], object]
Variant = tuple[Any, Sender]


# -- the fake provider, with the client library making the JWTs -----------------------------


def _provider(setup: Callable[[FakeIdP], Sender], **options: Any) -> Variant:
    """A provider and a sender that ``setup`` prepares (again after each reset)."""
    idp = FakeIdP(issuer=ISSUER, token_format="opaque", **options)
    mount = RespxMount(idp)
    current: list[Sender] = []

    def send() -> object:
        if not current:  # set up on the first call, with the mount started
            current.append(setup(idp))
        response = current[0]()
        if len(idp.journal) > 1000:  # keep memory flat over long runs, as per-test resets would
            idp.reset()
            current[0] = setup(idp)
        return response

    return mount, send


def _token(http: httpx.Client, form: dict[str, str], **kwargs: Any) -> httpx.Response:
    response = http.post(ISSUER + "/oauth2/token", data=form, **kwargs)
    assert response.status_code == 200, response.text
    return response


def client_secret_basic(http: httpx.Client) -> Variant:
    def setup(idp: FakeIdP) -> Sender:
        idp.add_client("bench", SECRET)
        form = {"grant_type": "client_credentials"}
        return lambda: _token(http, form, auth=("bench", SECRET))

    return _provider(setup)


def client_assertion(http: httpx.Client, signer: PrivateKeyJwt | ClientSecretJwt) -> Variant:
    def setup(idp: FakeIdP) -> Sender:
        if isinstance(signer, PrivateKeyJwt):
            idp.add_client("bench", jwks=signer.jwks())
        else:
            idp.add_client("bench", SECRET, token_endpoint_auth_method="client_secret_jwt")

        def send() -> httpx.Response:
            form = {"grant_type": "client_credentials"}
            signer.apply_for({}, form, issuer=ISSUER, token_endpoint=None)
            return _token(http, form)

        return send

    return _provider(setup)


def dpop_token(http: httpx.Client) -> Variant:
    key = DPoPKey.generate()
    url = ISSUER + "/oauth2/token"

    def setup(idp: FakeIdP) -> Sender:
        idp.add_client("bench", SECRET)
        form = {"grant_type": "client_credentials"}
        return lambda: _token(
            http, form, auth=("bench", SECRET), headers={"DPoP": key.proof("POST", url)}
        )

    return _provider(setup)


def resource(http: httpx.Client, *, dpop: bool) -> Variant:
    key = DPoPKey.generate()
    api = ISSUER + "/api/reports"

    def setup(idp: FakeIdP) -> Sender:
        idp.add_client("bench", SECRET)
        idp.protect(api)
        form = {"grant_type": "client_credentials"}
        proof = {"DPoP": key.proof("POST", ISSUER + "/oauth2/token")} if dpop else {}
        token = _token(http, form, auth=("bench", SECRET), headers=proof).json()["access_token"]
        if not dpop:
            headers = {"Authorization": f"Bearer {token}"}
            return lambda: _ok(http.get(api, headers=headers))

        def send() -> httpx.Response:
            proof = key.proof("GET", api, access_token=token)
            return _ok(http.get(api, headers={"Authorization": f"DPoP {token}", "DPoP": proof}))

        return send

    return _provider(setup)


def token_exchange(http: httpx.Client) -> Variant:
    ci = FakeIdP(issuer="https://ci.authmock.test")
    subject = ci.issue_token(ci.add_client(audience=ISSUER), user=ci.add_user(sub="repo:acme/app"))

    def setup(idp: FakeIdP) -> Sender:
        idp.trust_issuer(ci)
        idp.add_client("bench", SECRET)
        form = {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": subject,
            "subject_token_type": JWT_TOKEN_TYPE,
        }
        return lambda: _token(http, form, auth=("bench", SECRET))

    return _provider(setup)


def _ok(response: httpx.Response) -> httpx.Response:
    assert response.status_code == 200, response.text
    return response


# -- bare routes doing the irreducible JOSE work with joserfc -------------------------------


def _bare(
    http: httpx.Client,
    check: Callable[[httpx.Request], object] | None,
    request: Callable[[], httpx.Response],
    method: str = "POST",
) -> Variant:
    router = respx.MockRouter(assert_all_called=False)
    route = router.route(method=method, url=BARE + "/endpoint")
    if check is None:
        route.respond(json=STATIC)
    else:

        def answer(incoming: httpx.Request) -> httpx.Response:
            check(incoming)
            return httpx.Response(200, json=STATIC)

        route.mock(side_effect=answer)
    return router, request


def _sign(header: dict[str, Any], claims: dict[str, Any], key: Key) -> str:
    payload = json.dumps(claims, separators=(",", ":")).encode()
    return jws.serialize_compact(header, payload, key, algorithms=[header["alg"]])


def _claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"jti": secrets.token_urlsafe(16), "iat": now, "exp": now + 60, **extra}


def bare_assertion(http: httpx.Client, key: Key, alg: str) -> Variant:
    """The client signs an assertion; the route verifies it with the registered key."""
    public = key if isinstance(key, OctKey) else JWKRegistry.import_key(key.as_dict(private=False))

    def check(request: httpx.Request) -> None:
        form = dict(httpx.QueryParams(request.content.decode()))
        signed = jws.deserialize_compact(form["client_assertion"], public, algorithms=[alg])
        json.loads(signed.payload)

    header = {"alg": alg, "typ": "JWT", **({"kid": key.kid} if key.kid else {})}

    def send() -> httpx.Response:
        claims = _claims(iss="bench", sub="bench", aud=BARE)
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": _sign(header, claims, key),
        }
        return http.post(BARE + "/endpoint", data=form)

    return _bare(http, check, send)


def bare_dpop(http: httpx.Client, *, token: str | None = None) -> Variant:
    """The client signs a proof; the route verifies it with the key, imported once."""
    key = ECKey.generate_key("P-256", private=True)
    jwk = key.as_dict(private=False)
    public = JWKRegistry.import_key(jwk)
    method = "POST" if token is None else "GET"

    def check(request: httpx.Request) -> None:
        signed = jws.deserialize_compact(request.headers["dpop"], public, algorithms=["ES256"])
        json.loads(signed.payload)
        if token is not None:
            access_token_hash(request.headers["authorization"].partition(" ")[2])

    def send() -> httpx.Response:
        claims = _claims(htm=method, htu=BARE + "/endpoint")
        if token is not None:
            claims["ath"] = access_token_hash(token)
        proof = _sign({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}, claims, key)
        if token is None:
            return http.post(
                BARE + "/endpoint",
                data={"grant_type": "client_credentials"},
                auth=("bench", SECRET),
                headers={"DPoP": proof},
            )
        return http.get(
            BARE + "/endpoint", headers={"Authorization": f"DPoP {token}", "DPoP": proof}
        )

    return _bare(http, check, send, method)


def bare_get(http: httpx.Client, token: str) -> Variant:
    headers = {"Authorization": f"Bearer {token}"}
    return _bare(http, None, lambda: http.get(BARE + "/endpoint", headers=headers), "GET")


def bare_subject_token(http: httpx.Client) -> Variant:
    """The route verifies an RS256 subject token with the issuer's key, imported once."""
    key = RSAKey.generate_key(2048, private=True)
    public = JWKRegistry.import_key(key.as_dict(private=False))
    claims = {"iss": "https://ci.authmock.test", "sub": "repo:acme/app", "aud": BARE}
    subject = _sign({"alg": "RS256", "kid": "k"}, {**claims, "exp": int(time.time()) + 3600}, key)
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": subject,
        "subject_token_type": JWT_TOKEN_TYPE,
    }

    def check(request: httpx.Request) -> None:
        sent = dict(httpx.QueryParams(request.content.decode()))
        signed = jws.deserialize_compact(sent["subject_token"], public, algorithms=["RS256"])
        json.loads(signed.payload)

    return _bare(
        http, check, lambda: http.post(BARE + "/endpoint", data=form, auth=("bench", SECRET))
    )


# -- the run ------------------------------------------------------------------------------


#: Each row: the provider variant and its baseline, then the same two without the feature
#: (the provider's plain request, the bare route): their differences are what the feature's
#: JOSE work costs in the provider and in joserfc alone.
ROWS = {
    "private_key_jwt ES256": ("pkjwt ES256", "route+ES256 assertion", "basic", "bare POST"),
    "private_key_jwt RS256": ("pkjwt RS256", "route+RS256 assertion", "basic", "bare POST"),
    "client_secret_jwt HS256": ("secret_jwt", "route+HS256 assertion", "basic", "bare POST"),
    "DPoP client_credentials": ("DPoP token", "route+DPoP proof", "basic", "bare POST"),
    "resource DPoP": ("resource DPoP", "route+DPoP proof+ath", "resource bearer", "bare GET"),
    "resource bearer": ("resource bearer", "bare GET", "resource bearer", "bare GET"),
    "token exchange": ("token exchange", "route+RS256 verify", "basic", "bare POST"),
}


def variants(http: httpx.Client) -> dict[str, Variant]:
    es = PrivateKeyJwt.generate("bench", alg="ES256", kid="es")
    rs = PrivateKeyJwt.generate("bench", alg="RS256", kid="rs")
    hs = ClientSecretJwt("bench", SECRET)
    return {
        "basic": client_secret_basic(http),
        "bare POST": _bare(http, None, lambda: http.post(BARE + "/endpoint", **_BASIC)),
        "pkjwt ES256": client_assertion(http, es),
        "route+ES256 assertion": bare_assertion(http, es.key, "ES256"),
        "pkjwt RS256": client_assertion(http, rs),
        "route+RS256 assertion": bare_assertion(http, rs.key, "RS256"),
        "secret_jwt": client_assertion(http, hs),
        "route+HS256 assertion": bare_assertion(http, OctKey.import_key(SECRET.encode()), "HS256"),
        "DPoP token": dpop_token(http),
        "route+DPoP proof": bare_dpop(http),
        "resource DPoP": resource(http, dpop=True),
        "route+DPoP proof+ath": bare_dpop(http, token="t" * 43),
        "resource bearer": resource(http, dpop=False),
        "bare GET": bare_get(http, "t" * 43),
        "token exchange": token_exchange(http),
        "route+RS256 verify": bare_subject_token(http),
    }


def _interleaved(senders: dict[str, Variant], requests: int, rounds: int) -> dict[str, float]:
    """Best time per request of each variant, over rounds that take every variant in turn
    (so drift hits them alike), each with only its own router started (respx asks every
    started router in turn)."""
    for router, send in senders.values():  # warm up: imports, key generation, caches
        with router:
            for _ in range(20):
                send()
    samples: dict[str, list[float]] = {name: [] for name in senders}
    for _ in range(rounds):
        for name, (router, send) in senders.items():
            with router:
                samples[name].append(_timed(send, requests))
    return {name: min(values) for name, values in samples.items()}


def measure(requests: int, rounds: int, only: list[str] | None = None) -> dict[str, float]:
    http = httpx.Client()
    chosen = {name: ROWS[name] for name in ROWS if not only or name in only}
    wanted = {name for names in chosen.values() for name in names}
    senders = {name: variant for name, variant in variants(http).items() if name in wanted}
    best = _interleaved(senders, requests, rounds)
    print(f"\nbest of {rounds} rounds x {requests} requests (CPU time per request)")
    for name, value in best.items():
        print(f"  {name:24s} {value * 1e6:8.1f} us")
    print("\nratios (the target is against the baseline that does the same JOSE work)")
    ratios: dict[str, float] = {}
    for row, (ours, baseline, plain, bare) in chosen.items():
        ratios[row] = best[ours] / best[baseline]
        _report(f"{row} / {baseline}", ratios[row], TARGETS[row])
        if plain != ours:
            # What the feature adds in the provider, against what its JOSE costs joserfc.
            extra = (best[ours] - best[plain]) / (best[baseline] - best[bare])
            print(f"     (added over {plain}: {extra:.2f}x the JOSE cost in joserfc alone)")
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--only", nargs="*", choices=sorted(ROWS), help="some rows only")
    args = parser.parse_args()
    measure(args.requests, args.rounds, args.only)


if __name__ == "__main__":
    main()
