"""ID token checks of OIDC Core §3.1.3.7: times with leeway, azp with several audiences."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from pytest_authmock.client import OAuthClient, ProviderError, verify_id_token
from pytest_authmock.client.idtoken import check_id_token_claims
from tests.client.test_access_tokens import EC, ISSUER, RSA, relabel, sign

NOW = 1_800_000_000.0


def id_claims(**changes: Any) -> dict[str, Any]:
    base = {
        "iss": ISSUER,
        "aud": "cli",
        "sub": "ada",
        "nonce": "n-1",
        "iat": int(NOW),
        "exp": int(NOW) + 300,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def check(claims: dict[str, Any], *, now: float = NOW, leeway: float = 60) -> None:
    check_id_token_claims(
        claims, issuer=ISSUER, client_id="cli", nonce="n-1", now=now, leeway=leeway
    )


@pytest.mark.parametrize(
    ("changes", "now", "message"),
    [
        ({}, NOW + 361, "expired"),  # exp + leeway passed
        ({"iat": int(NOW) + 120}, NOW, "in the future"),
        ({"exp": None}, NOW, "no 'exp'"),
        ({"iat": None}, NOW, "no 'iat'"),
        ({"aud": ["cli", "other"]}, NOW, "several audiences and no 'azp'"),
        ({"aud": ["cli", "other"], "azp": "other"}, NOW, "authorized party"),
        ({"azp": "other"}, NOW, "authorized party"),
        ({"aud": "other"}, NOW, "audience"),
        ({"iss": "https://evil.example"}, NOW, "issuer"),
        ({"nonce": "replayed"}, NOW, "nonce"),
    ],
    ids=[
        "expired",
        "iat-future",
        "no-exp",
        "no-iat",
        "multi-aud-no-azp",
        "azp-other",
        "azp-single-aud",
        "audience",
        "issuer",
        "nonce",
    ],
)
def test_refused(changes: dict[str, Any], now: float, message: str) -> None:
    with pytest.raises(ProviderError, match=message):
        check(id_claims(**changes), now=now)


def test_accepted_within_the_leeway_and_with_azp() -> None:
    check(id_claims(), now=NOW + 359)  # exp 300 s ago... plus 59 s: inside 60 s of leeway
    check(id_claims(iat=int(NOW) + 59))  # the provider's clock is a little ahead
    check(id_claims(aud=["cli", "other"], azp="cli"))
    check(id_claims(azp="cli"))
    with pytest.raises(ProviderError, match="expired"):
        check(id_claims(), now=NOW + 310, leeway=0)


def scripted_oauth(client_id: str = "cli") -> OAuthClient:
    document = {"keys": [RSA.as_dict(private=False), EC.as_dict(private=False)]}

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("openid-configuration"):
            meta = {"issuer": ISSUER, "token_endpoint": ISSUER + "/t", "jwks_uri": ISSUER + "/k"}
            return httpx.Response(200, json=meta)
        return httpx.Response(200, json=document)

    http = httpx.Client(transport=httpx.MockTransport(handle))
    return OAuthClient(ISSUER, client_id=client_id, http_client=http)


def test_signature_algorithm_comes_from_the_key() -> None:
    oauth = scripted_oauth()
    now = time.time()
    good = id_claims(iat=int(now), exp=int(now) + 300)
    assert verify_id_token(oauth, sign(RSA, good, typ="JWT"), nonce="n-1")["sub"] == "ada"
    assert verify_id_token(oauth, sign(EC, good, alg="ES256", typ=None), nonce="n-1")
    with pytest.raises(ProviderError, match="RFC 8725"):
        verify_id_token(oauth, relabel(sign(RSA, good), alg="PS256"), nonce="n-1")
    with pytest.raises(ProviderError, match="does not verify"):
        verify_id_token(oauth, "[].x.y", nonce="n-1")


def test_an_expired_id_token_with_a_valid_signature_is_refused() -> None:
    oauth = scripted_oauth()
    old = id_claims(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    with pytest.raises(ProviderError, match="expired"):
        verify_id_token(oauth, sign(RSA, old), nonce="n-1")
