"""JWT client authentication, checked without HTTP: the provider's verifier and the client's assertions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import ECKey, RSAKey

from pytest_authmock.client.assertion import ClientSecretJwt, PrivateKeyJwt
from pytest_authmock.provider.client_assertion import (
    Assertion,
    read_assertion,
    secret_key,
    verify_assertion,
)
from pytest_authmock.provider.errors import InvalidClient, InvalidRequest
from pytest_authmock.provider.jwtcheck import import_jwks
from pytest_authmock.provider.replay import ReplayCache

ISSUER = "https://idp.example"
TOKEN = ISSUER + "/oauth2/token"
NOW = 1_700_000_000.0


def read(value: str) -> Assertion:
    found = read_assertion(
        {
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": value,
        }
    )
    assert found is not None
    return found


def verify(value: str, keys: Any, *, replay: ReplayCache | None = None, **kw: Any) -> None:
    options: dict[str, Any] = {
        "client_id": "svc",
        "keys": lambda refresh: keys,
        "registered_alg": None,
        "issuer": ISSUER,
        "endpoints": (TOKEN,),
        "now": NOW,
        "replay": replay if replay is not None else ReplayCache(),
    }
    options.update(kw)
    verify_assertion(read(value), **options)


def signed(claims: dict[str, Any], key: Any, **header: Any) -> str:
    return jws.serialize_compact(
        {"alg": "ES256", **header}, json.dumps(claims), key, algorithms=[header.get("alg", "ES256")]
    )


def b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def claims(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": "svc",
        "sub": "svc",
        "aud": ISSUER,
        "jti": "j1",
        "iat": int(NOW),
        "exp": int(NOW) + 60,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture(scope="module")
def ec_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True)


@pytest.fixture(scope="module")
def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "r1"}, private=True)


def public(*keys: Any) -> list[Any]:
    return import_jwks({"keys": [k.as_dict(private=False) for k in keys]}, what="jwks")


def test_client_library_assertion_verifies(ec_key: ECKey) -> None:
    auth = PrivateKeyJwt("svc", ec_key, clock=lambda: NOW)
    form: dict[str, str] = {}
    auth.apply_for({}, form, issuer=ISSUER, token_endpoint=TOKEN)
    assert form["client_id"] == "svc"
    found = read(form["client_assertion"])
    assert found.method == "private_key_jwt"
    assert found.client_id == "svc"
    assert found.header == {"alg": "ES256", "typ": "JWT", "kid": "k1"}
    assert found.claims["aud"] == ISSUER
    verify(form["client_assertion"], public(ec_key))


def test_token_endpoint_audience(ec_key: ECKey) -> None:
    auth = PrivateKeyJwt("svc", ec_key, audience="token_endpoint", clock=lambda: NOW)
    form: dict[str, str] = {}
    auth.apply_for({}, form, issuer=ISSUER, token_endpoint=TOKEN)
    assert read(form["client_assertion"]).claims["aud"] == TOKEN
    verify(form["client_assertion"], public(ec_key))


def test_each_request_gets_a_new_jti(ec_key: ECKey) -> None:
    auth = PrivateKeyJwt("svc", ec_key, clock=lambda: NOW)
    first, second = (read(auth.assertion(ISSUER)).claims["jti"] for _ in range(2))
    assert first != second


def test_replayed_assertion_is_refused(ec_key: ECKey) -> None:
    replay = ReplayCache()
    value = signed(claims(), ec_key, kid="k1")
    verify(value, public(ec_key), replay=replay)
    with pytest.raises(InvalidClient, match="jti 'j1' was already used"):
        verify(value, public(ec_key), replay=replay)
    # Once the assertion has expired, its jti is forgotten (it fails on exp instead).
    with pytest.raises(InvalidClient, match="expired"):
        verify(value, public(ec_key), replay=replay, now=NOW + 61)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"iss": "other"}, "'iss' is 'other'"),
        ({"sub": "other"}, "'sub' is 'other'"),
        ({"aud": "https://elsewhere"}, "does not name this server"),
        ({"aud": None}, "does not name this server"),
        ({"exp": None}, "no 'exp' claim"),
        ({"exp": int(NOW) - 1}, "expired at"),
        ({"nbf": int(NOW) + 100}, "not valid before"),
        ({"iat": int(NOW) + 3600, "exp": int(NOW) + 7200}, "issued in the future"),
        ({"jti": None}, "no 'jti' claim"),
    ],
)
def test_claims_are_checked(ec_key: ECKey, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidClient, match=message) as info:
        verify(signed(claims(**changes), ec_key, kid="k1"), public(ec_key))
    assert info.value.status_code == 401


def test_audience_list_with_token_endpoint(ec_key: ECKey) -> None:
    verify(signed(claims(aud=["https://x", TOKEN]), ec_key), public(ec_key))


def test_explicitly_typed_assertion_needs_the_issuer_alone(ec_key: ECKey) -> None:
    typed = {"typ": "client-authentication+jwt"}
    verify(signed(claims(), ec_key, **typed), public(ec_key))
    with pytest.raises(InvalidClient, match=r"issuer 'https://idp\.example' alone"):
        verify(signed(claims(aud=[ISSUER], jti="j2"), ec_key, **typed), public(ec_key))
    with pytest.raises(InvalidClient, match="alone"):
        verify(signed(claims(aud=TOKEN, jti="j3"), ec_key, **typed), public(ec_key))


def test_wrong_key_and_unknown_kid(ec_key: ECKey) -> None:
    other = ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True)
    with pytest.raises(InvalidClient, match="signature does not verify"):
        verify(signed(claims(), other, kid="k1"), public(ec_key))
    with pytest.raises(InvalidClient, match="names key 'nope', which is not registered"):
        verify(signed(claims(), ec_key, kid="nope"), public(ec_key))


def test_algorithm_comes_from_the_key_not_the_token(rsa_key: RSAKey) -> None:
    # The classic confusion: an HS256 "signature" keyed with the RSA public key's PEM.
    # joserfc refuses to build such a key, so the attacker's MAC is made by hand.
    pem = rsa_key.as_pem(private=False)
    signing_input = f"{b64({'alg': 'HS256', 'kid': 'r1'})}.{b64(claims())}"
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    forged = signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    with pytest.raises(
        InvalidClient,
        match=r"signed with HS256, but the registered key allows only PS256.*RFC 8725",
    ):
        verify(forged, public(rsa_key))


def test_key_alg_parameter_pins_the_algorithm(rsa_key: RSAKey) -> None:
    pinned = import_jwks(
        {"keys": [{**rsa_key.as_dict(private=False), "alg": "PS256"}]}, what="jwks"
    )
    with pytest.raises(InvalidClient, match="allows only PS256"):
        verify(signed(claims(), rsa_key, alg="RS256", kid="r1"), pinned)
    verify(signed(claims(), rsa_key, alg="PS256", kid="r1"), pinned)


def test_registered_alg_pins_the_algorithm(rsa_key: RSAKey) -> None:
    with pytest.raises(InvalidClient, match="allows only RS512"):
        verify(
            signed(claims(), rsa_key, alg="RS256", kid="r1"),
            public(rsa_key),
            registered_alg="RS512",
        )


def test_unsigned_assertion_is_refused() -> None:
    value = f"{b64({'alg': 'none'})}.{b64(claims())}."
    with pytest.raises(InvalidClient, match="unsigned"):
        verify(value, [])


def test_client_secret_jwt_round_trip() -> None:
    secret = "a-client-secret-of-decent-length"
    auth = ClientSecretJwt("svc", secret, clock=lambda: NOW)
    value = auth.assertion(ISSUER)
    found = read(value)
    assert found.method == "client_secret_jwt"
    verify(value, [secret_key(secret)])
    with pytest.raises(InvalidClient, match="signature does not verify"):
        verify(auth.assertion(ISSUER), [secret_key("another-secret-of-some-length")])
    assert secret not in repr(auth)


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"client_assertion_type": "urn:other", "client_assertion": "a.b.c"}, InvalidRequest),
        (
            {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
            InvalidRequest,
        ),
        (
            {
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": "x",
            },
            InvalidClient,
        ),
        (
            {
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": "a.b.c",
            },
            InvalidClient,
        ),
    ],
)
def test_malformed_assertions(params: dict[str, str], error: type[Exception]) -> None:
    with pytest.raises(error):
        read_assertion(params)


def test_no_assertion() -> None:
    assert read_assertion({"client_id": "x"}) is None


def test_jwks_with_a_private_key_is_refused(ec_key: ECKey) -> None:
    with pytest.raises(ValueError, match="public keys only"):
        import_jwks({"keys": [ec_key.as_dict(private=True)]}, what="jwks")
    with pytest.raises(ValueError, match="non-empty 'keys' list"):
        import_jwks({"keys": []}, what="jwks")
