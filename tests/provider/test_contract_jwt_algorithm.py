"""The contract suite verifies a JWT with its key's algorithm, never the token's (RFC 8725 §3.1)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import RSAKey

from pytest_authmock import FakeIdP
from pytest_authmock.contract.checks import Provider, jwt_header
from pytest_authmock.contract.options import ContractSettings


def _jwks_without_alg(idp: FakeIdP) -> httpx.MockTransport:
    """The provider, but its JWKS omits ``alg`` (RFC 7517 §4.4 makes it optional)."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/jwks.json"):
            keys = [{k: v for k, v in key.items() if k != "alg"} for key in idp.jwks()["keys"]]
            return httpx.Response(200, json={"keys": keys})
        return idp.handle(request)

    return httpx.MockTransport(handle)


@pytest.fixture
def contract(idp: FakeIdP) -> Provider:
    settings = ContractSettings(issuer=idp.issuer, client_id="c", client_secret="s")
    return Provider(settings, httpx.Client(transport=_jwks_without_alg(idp)))


def _signed(idp: FakeIdP, alg: str) -> str:
    data: dict[str, Any] = dict(idp.keys.active.as_dict(private=True))
    data.pop("alg")
    key = RSAKey.import_key(data)
    claims = json.dumps({"iss": idp.issuer, "sub": "x"}).encode()
    return jws.serialize_compact({"alg": alg, "kid": key.kid}, claims, key, algorithms=[alg])


def test_a_token_choosing_another_algorithm_fails_the_check(
    idp: FakeIdP, contract: Provider
) -> None:
    # PS256 verifies with the provider's RSA key; but the provider advertises RS256,
    # and the token does not get to choose.
    with pytest.raises(AssertionError, match=r"RFC 8725 §3\.1") as failure:
        contract.verify_jwt(_signed(idp, "PS256"))
    assert "'PS256'" in str(failure.value)


def test_the_advertised_algorithm_verifies(idp: FakeIdP, contract: Provider) -> None:
    assert contract.verify_jwt(_signed(idp, "RS256"))["sub"] == "x"


def test_a_deeply_nested_header_is_not_a_jwt() -> None:
    header = base64.urlsafe_b64encode(b"[" * 4000).decode()
    assert jwt_header(header + ".e30.sig") is None
