"""Hostile bearer tokens: a 401 ``invalid_token`` and a result, never a 500 or an exception.

A JOSE header is attacker-written JSON: it may be valid base64url of anything
(an array, ``null``, a string, thousands of nested brackets). And the algorithm
to verify with comes from the provider's key, never from the token
(RFC 8725 §3.1).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import ECKey, RSAKey

from pytest_authmock import FakeIdP
from tests.helpers import bearer


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jose(header: bytes, payload: bytes = b"{}", signature: bytes = b"sig") -> str:
    return f"{b64(header)}.{b64(payload)}.{b64(signature)}"


HOSTILE_HEADERS = {
    "array": b"[]",
    "null": b"null",
    "string": b'"x"',
    "number": b"1e999",
    "nested arrays": b"[" * 4000,
    "nested objects": b'{"a":' * 1500 + b"1" + b"}" * 1500,
    "alg is a list": b'{"alg":["RS256"],"kid":"k"}',
    "kid is an object": b'{"alg":"RS256","kid":{"x":1}}',
    "not json": b"\xff\xfe{",
}
HOSTILE_TOKENS = {name: jose(header) for name, header in HOSTILE_HEADERS.items()}
HOSTILE_TOKENS["nested payload"] = jose(b'{"alg":"RS256"}', b"[" * 4000)
HOSTILE_TOKENS["payload is null"] = jose(b'{"alg":"RS256"}', b"null")


@pytest.fixture
def api(provider: FakeIdP) -> str:
    # On the issuer's origin: the loopback server routes only its own.
    url = provider.issuer + "/api/me"
    provider.protect(url)
    return url


def assert_invalid_token(response: httpx.Response, realm: str) -> str:
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_token"
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith(f'Bearer realm="{realm}", error="invalid_token"'), challenge
    description: str = response.json()["error_description"]
    return description


@pytest.mark.parametrize("token", list(HOSTILE_TOKENS.values()), ids=list(HOSTILE_TOKENS))
def test_hostile_jose_at_every_bearer_endpoint(
    provider: FakeIdP, http: httpx.Client, api: str, token: str
) -> None:
    for url in (api, provider.url_for("userinfo"), provider.metadata()["api_tokens_endpoint"]):
        assert_invalid_token(http.get(url, headers=bearer(token)), provider.issuer)
    assert provider.check() == []


@pytest.mark.parametrize("token", list(HOSTILE_TOKENS.values()), ids=list(HOSTILE_TOKENS))
def test_check_bearer_returns_a_result(idp: FakeIdP, token: str) -> None:
    result = idp.check_bearer(f"Bearer {token}")
    assert not result.ok
    assert (result.status_code, result.error) == (401, "invalid_token")
    assert result.www_authenticate is not None
    assert result.www_authenticate.startswith(f'Bearer realm="{idp.issuer}", error="invalid_token"')


def _claims(idp: FakeIdP) -> bytes:
    return json.dumps({"iss": idp.issuer, "sub": "mallory", "exp": 4102444800}).encode()


def _without_alg(key: RSAKey | ECKey) -> RSAKey | ECKey:
    """The provider's own private key, stripped of the ``alg`` it is meant for."""
    data: dict[str, Any] = dict(key.as_dict(private=True))
    data.pop("alg")
    stripped: RSAKey | ECKey = type(key).import_key(data)
    return stripped


def test_the_algorithm_comes_from_the_key_not_the_token(
    provider: FakeIdP, http: httpx.Client, api: str
) -> None:
    # Signed with the provider's very RSA key, but with another algorithm than the
    # key is published for: RFC 8725 §3.1 says to verify with the key's algorithm.
    key = provider.keys.active
    token = jws.serialize_compact(
        {"alg": "RS512", "kid": key.kid}, _claims(provider), _without_alg(key), algorithms=["RS512"]
    )
    description = assert_invalid_token(http.get(api, headers=bearer(token)), provider.issuer)
    assert "'RS512'" in description
    assert f"{key.kid!r} is an RS256 key" in description
    assert "RFC 8725 section 3.1" in description


def test_an_unsigned_token_is_refused_as_unsigned(
    provider: FakeIdP, http: httpx.Client, api: str
) -> None:
    header = json.dumps({"alg": "none", "kid": provider.keys.kid}).encode()
    token = f"{b64(header)}.{b64(_claims(provider))}."
    description = assert_invalid_token(http.get(api, headers=bearer(token)), provider.issuer)
    assert "'none'" in description
    assert provider.check() == []


def test_an_unknown_kid_is_named(provider: FakeIdP, http: httpx.Client, api: str) -> None:
    token = jose(json.dumps({"alg": "RS256", "kid": "someone-else"}).encode(), _claims(provider))
    description = assert_invalid_token(http.get(api, headers=bearer(token)), provider.issuer)
    assert "'someone-else'" in description
    assert "does not publish" in description


def test_a_token_with_the_right_key_and_algorithm_still_says_unknown(idp: FakeIdP) -> None:
    # Signed correctly, but never issued (no record): the signature check passes and
    # the description says what is wrong, so the explanation is not a blanket refusal.
    key = idp.keys.active
    token = jws.serialize_compact(
        {"alg": "RS256", "kid": key.kid}, _claims(idp), key, algorithms=["RS256"]
    )
    result = idp.check_bearer(f"Bearer {token}")
    assert (result.status_code, result.error) == (401, "invalid_token")
    assert result.description is not None
    assert result.description.startswith("unknown token"), result.description
