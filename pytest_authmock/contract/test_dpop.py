"""DPoP (RFC 9449): sender-constrained tokens with proofs of possession.

Uses ``--authmock-contract-client`` with the client credentials grant; skipped when the
provider does not list ``dpop_signing_alg_values_supported``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_authmock.client.dpop import DPoPKey, is_nonce_challenge
from pytest_authmock.contract.checks import Choices, Provider, jwt_header, oauth_error
from pytest_authmock.contract.jwts import verify_jwt


@pytest.fixture(scope="module")
def dpop_algs(metadata: dict[str, Any]) -> list[str]:
    algs = metadata.get("dpop_signing_alg_values_supported")
    if not algs:
        pytest.skip("the provider does not list dpop_signing_alg_values_supported (no DPoP)")
    assert isinstance(algs, list), "dpop_signing_alg_values_supported is not a list"
    # RFC 9449 §4.2: proofs are signed with an asymmetric algorithm.
    assert not [a for a in algs if a == "none" or str(a).startswith("HS")], algs
    return algs


def _post(
    provider: Provider,
    key: DPoPKey,
    url: str,
    *,
    htu: str | None = None,
    proof: str | None = None,
    nonce_retry: bool = True,
) -> httpx.Response:
    """A client credentials request with a DPoP proof (a new one per send, unless given)."""
    form, basic = provider.authenticated({"grant_type": "client_credentials"})
    if provider.settings.scope:
        form["scope"] = provider.settings.scope

    def send() -> httpx.Response:
        return provider.http.post(
            url,
            data=form,
            auth=basic if basic is not None else httpx.USE_CLIENT_DEFAULT,
            headers={"Accept": "application/json", "DPoP": proof or key.proof("POST", htu or url)},
        )

    response = send()
    if key.observe(url, response) and nonce_retry:
        response = send()  # RFC 9449 §8: once more, with the server's nonce
    return response


@pytest.fixture(scope="module")
def dpop_key(dpop_algs: list[str], needs_grant: Any) -> DPoPKey:
    needs_grant("client_credentials")  # every DPoP check asks for a client credentials token
    alg = "ES256" if "ES256" in dpop_algs else dpop_algs[0]
    return DPoPKey.generate(alg)


def test_dpop_bound_client_credentials_token(
    provider: Provider, dpop_key: DPoPKey, choices: Choices
) -> None:
    url = provider.metadata()["token_endpoint"]
    first = _post(provider, DPoPKey(dpop_key.key), url, nonce_retry=False)
    choices.observe(
        "DPoP server nonce at the token endpoint (RFC 9449 §8)",
        "required" if is_nonce_challenge(first) else "not required",
        "idp.dpop_settings.require_nonce = True" if is_nonce_challenge(first) else None,
    )
    response = _post(provider, dpop_key, url)
    assert response.status_code == 200, (
        f"a DPoP token request answered {response.status_code}: {response.text}"
    )
    body = response.json()
    # RFC 9449 §5: the token type says the token is bound.
    assert str(body.get("token_type", "")).lower() == "dpop", (
        f"token_type {body.get('token_type')!r}"
    )
    token = body["access_token"]
    if jwt_header(token) is not None:
        claims = verify_jwt(token, provider.jwks(), what="the DPoP-bound access token")
        assert claims.get("cnf", {}).get("jkt") == dpop_key.jkt, (
            "cnf jkt is not the proof key's thumbprint"
        )


def test_a_proof_for_another_url_is_refused(
    provider: Provider, dpop_key: DPoPKey, choices: Choices
) -> None:
    url = provider.metadata()["token_endpoint"]
    response = _post(provider, DPoPKey(dpop_key.key), url, htu=url + "/elsewhere")
    assert response.status_code == 400, f"a proof with a wrong htu answered {response.status_code}"
    assert response.json().get("error") == "invalid_dpop_proof", response.text


def test_a_replayed_proof(provider: Provider, dpop_key: DPoPKey, choices: Choices) -> None:
    url = provider.metadata()["token_endpoint"]
    key = DPoPKey(dpop_key.key)
    assert _post(provider, key, url).status_code == 200
    proof = key.proof("POST", url)  # with the nonce the first request brought, if any
    answers = [_post(provider, key, url, proof=proof, nonce_retry=False) for _ in range(2)]
    assert answers[0].status_code == 200, answers[0].text
    outcome = "accepted"
    if answers[1].status_code != 200:
        # RFC 9449 §11.1 asks servers to refuse a replay; §5 names invalid_dpop_proof for a
        # bad proof, but some providers answer invalid_grant: recorded, not failed.
        error, _ = oauth_error(answers[1], "the answer to a replayed DPoP proof")
        outcome = f"refused ({error})"
    choices.observe("replayed DPoP proof (same jti) at the token endpoint", outcome)
