"""DPoP proofs, checked without HTTP: the client's proofs against the provider's checks."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import ECKey, OctKey

from pytest_authmock.client.dpop import DPoPKey, access_token_hash, is_nonce_challenge
from pytest_authmock.provider.dpop import (
    DPoPState,
    InvalidDpopProof,
    UseDpopNonce,
    proof_header,
    verify_proof,
)
from pytest_authmock.provider.replay import ReplayCache

NOW = 1_700_000_000.0
URL = httpx.URL("https://idp.example/oauth2/token")


@pytest.fixture(scope="module")
def key() -> DPoPKey:
    return DPoPKey.generate("ES256", clock=lambda: NOW)


def check(proof: str, **changes: Any) -> Any:
    options: dict[str, Any] = {
        "method": "POST",
        "url": URL,
        "now": NOW,
        "replay": ReplayCache(),
        "state": DPoPState(),
    }
    options.update(changes)
    return verify_proof(proof, **options)


def handmade(header: dict[str, Any], claims: dict[str, Any], private: Any) -> str:
    return jws.serialize_compact(header, json.dumps(claims), private, algorithms=[header["alg"]])


def test_client_proof_passes_and_binds_the_thumbprint(key: DPoPKey) -> None:
    result = check(key.proof("POST", URL))
    assert result.jkt == key.jkt
    assert result.claims["htm"] == "POST"
    assert result.claims["htu"] == str(URL)


def test_htu_ignores_query_and_fragment(key: DPoPKey) -> None:
    proof = key.proof("GET", "https://api.example/items?page=2#top")
    assert (
        json.loads(jws.extract_compact(proof.encode()).payload)["htu"]
        == "https://api.example/items"
    )
    check(proof, method="GET", url=httpx.URL("https://api.example/items?page=3"))
    # RFC 3986 normalisation: default port and host case do not matter.
    check(
        key.proof("GET", "https://API.example:443/items"),
        method="GET",
        url=httpx.URL("https://api.example/items"),
    )


@pytest.mark.parametrize(
    ("request_changes", "message"),
    [
        ({"method": "GET"}, "htm is 'POST'"),
        ({"url": httpx.URL("https://idp.example/other")}, "htu is"),
        ({"now": NOW + 61}, "iat is -61 s from the server's time"),
        ({"now": NOW - 61}, "iat is 61 s"),
    ],
)
def test_request_mismatch(key: DPoPKey, request_changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidDpopProof, match=message) as info:
        check(key.proof("POST", URL), **request_changes)
    assert info.value.error == "invalid_dpop_proof"
    assert info.value.status_code == 400


def test_replay_is_refused(key: DPoPKey) -> None:
    replay = ReplayCache()
    proof = key.proof("POST", URL)
    check(proof, replay=replay)
    with pytest.raises(InvalidDpopProof, match="already used"):
        check(proof, replay=replay)


def test_ath_binds_the_access_token(key: DPoPKey) -> None:
    proof = key.proof("GET", URL, access_token="the-token")
    check(proof, method="GET", access_token="the-token")
    with pytest.raises(InvalidDpopProof, match="ath does not match"):
        check(proof, method="GET", access_token="another-token")
    with pytest.raises(InvalidDpopProof, match="no 'ath' claim"):
        check(key.proof("GET", URL), method="GET", access_token="the-token")
    assert access_token_hash("the-token") != access_token_hash("another-token")


def test_server_nonce(key: DPoPKey) -> None:
    state = DPoPState()
    state.settings.require_nonce = True
    with pytest.raises(UseDpopNonce, match="has no nonce") as info:
        check(key.proof("POST", URL), state=state)
    nonce = info.value.headers["DPoP-Nonce"]
    assert info.value.error == "use_dpop_nonce"
    check(key.proof("POST", URL, nonce=nonce), state=state)
    with pytest.raises(UseDpopNonce, match="did not issue"):
        check(key.proof("POST", URL, nonce="made-up"), state=state)
    # A nonce expires with its lifetime.
    with pytest.raises(UseDpopNonce):
        check(key.proof("POST", URL, nonce=nonce), state=state, now=NOW + 301)


def test_client_remembers_the_nonce_per_origin(key: DPoPKey) -> None:
    challenge = httpx.Response(400, json={"error": "use_dpop_nonce"}, headers={"DPoP-Nonce": "n-1"})
    assert key.observe(URL, challenge)
    claims = json.loads(jws.extract_compact(key.proof("POST", URL).encode()).payload)
    assert claims["nonce"] == "n-1"
    other = json.loads(
        jws.extract_compact(key.proof("GET", "https://api.other/x").encode()).payload
    )
    assert "nonce" not in other
    resource = httpx.Response(
        401,
        headers={"WWW-Authenticate": 'DPoP error="use_dpop_nonce"', "DPoP-Nonce": "n-2"},
    )
    assert is_nonce_challenge(resource)
    assert not is_nonce_challenge(httpx.Response(401, headers={"DPoP-Nonce": "x"}))


def test_header_checks() -> None:
    private = ECKey.generate_key("P-256", private=True)
    jwk = private.as_dict(private=False)
    good = {"jti": "j", "htm": "POST", "htu": str(URL), "iat": int(NOW)}
    with pytest.raises(InvalidDpopProof, match="typ is 'JWT'"):
        check(handmade({"alg": "ES256", "typ": "JWT", "jwk": jwk}, good, private))
    with pytest.raises(InvalidDpopProof, match="no 'jwk' header"):
        check(handmade({"alg": "ES256", "typ": "dpop+jwt"}, good, private))
    with pytest.raises(InvalidDpopProof, match="private or symmetric"):
        check(
            handmade(
                {"alg": "ES256", "typ": "dpop+jwt", "jwk": private.as_dict(private=True)},
                good,
                private,
            )
        )
    secret = OctKey.generate_key(256)
    with pytest.raises(InvalidDpopProof, match="not an asymmetric algorithm"):
        check(handmade({"alg": "HS256", "typ": "dpop+jwt", "jwk": jwk}, good, secret))
    other = ECKey.generate_key("P-256", private=True)
    with pytest.raises(InvalidDpopProof, match="signature does not verify"):
        check(handmade({"alg": "ES256", "typ": "dpop+jwt", "jwk": jwk}, good, other))
    for missing in ("jti", "htm", "htu", "iat"):
        claims = {k: v for k, v in good.items() if k != missing}
        with pytest.raises(InvalidDpopProof, match=f"no '{missing}' claim"):
            check(handmade({"alg": "ES256", "typ": "dpop+jwt", "jwk": jwk}, claims, private))


def test_two_dpop_headers_are_refused() -> None:
    headers = httpx.Headers([("DPoP", "a"), ("DPoP", "b")])
    with pytest.raises(InvalidDpopProof, match="more than one"):
        proof_header(headers)
    assert proof_header(httpx.Headers()) is None


@pytest.mark.parametrize("alg", ["ES256", "ES384", "ES512", "RS256", "PS256", "EdDSA", "Ed25519"])
def test_every_algorithm(alg: str) -> None:
    key = DPoPKey.generate(alg, clock=lambda: NOW)
    assert check(key.proof("POST", URL)).jkt == key.jkt
