"""Attacks on the JWTs others sign, over both transports: each must end in an RFC error.

Algorithm confusion (an HMAC keyed with a registered RSA public key), ``none``,
a key carried in the token itself (``jwk``), keys to fetch from where the token
says (``jku``, ``x5u``: never fetched), and a DPoP proof that leaks its private
key (RFC 9449 §4.3). RFC 8725 §3.1 and §3.10 describe them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.hashes import SHA256
from joserfc import jws
from joserfc.jwk import ECKey, RSAKey

from tests.breadth.conftest import DocumentHost

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
TRUSTED = "https://sa.example"


@pytest.fixture(scope="module")
def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "r1"}, private=True)


@pytest.fixture(scope="module")
def attacker() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "r1"}, private=True)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: dict[str, Any]) -> str:
    return b64(json.dumps(value).encode())


def claims(iss: str, sub: str, aud: str) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": iss,
        "sub": sub,
        "aud": aud,
        "jti": secrets.token_hex(8),
        "iat": now,
        "exp": now + 60,
    }


def hmac_forged(header: dict[str, Any], body: dict[str, Any], secret: bytes) -> str:
    signing_input = f"{segment(header)}.{segment(body)}"
    return (
        f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"
    )


def rsa_public_secrets(key: RSAKey) -> list[bytes]:
    """What an attacker uses as the HMAC key: the public key as PEM, as JWK JSON, its modulus."""
    public = key.as_dict(private=False)
    return [key.as_pem(private=False), json.dumps(public).encode(), public["n"].encode()]


def client_form(assertion: str, client_id: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }


def refused(answer: httpx.Response, status: int, error: str, *words: str) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["error"] == error, body
    for word in words:
        assert word in body["error_description"], body
    return str(body["error_description"])


# -- client assertions (RFC 7523 §2.2) ----------------------------------------------------


def test_hs256_keyed_with_the_registered_rsa_key_is_refused(
    provider: Any, http: httpx.Client, rsa_key: RSAKey
) -> None:
    client = provider.add_client(jwks={"keys": [rsa_key.as_dict(private=False)]})
    aud = provider.issuer
    for secret in rsa_public_secrets(rsa_key):
        forged = hmac_forged(
            {"alg": "HS256", "kid": "r1"}, claims(client.client_id, client.client_id, aud), secret
        )
        answer = http.post(provider.url_for("token"), data=client_form(forged, client.client_id))
        # The HMAC makes it a client_secret_jwt attempt, which this client is not registered for.
        refused(answer, 401, "invalid_client", "client_secret_jwt")


@pytest.mark.parametrize("alg", ["none", "None", "NONE", ""])
def test_an_unsigned_client_assertion_is_refused(
    provider: Any, http: httpx.Client, rsa_key: RSAKey, alg: str
) -> None:
    client = provider.add_client(jwks={"keys": [rsa_key.as_dict(private=False)]})
    body = claims(client.client_id, client.client_id, provider.issuer)
    unsigned = f"{segment({'alg': alg, 'kid': 'r1'})}.{segment(body)}."
    answer = http.post(provider.url_for("token"), data=client_form(unsigned, client.client_id))
    refused(answer, 401, "invalid_client")


def test_a_key_in_the_assertion_header_is_not_trusted(
    provider: Any, http: httpx.Client, rsa_key: RSAKey, attacker: ECKey, documents: DocumentHost
) -> None:
    client = provider.add_client(jwks={"keys": [rsa_key.as_dict(private=False)]})
    url = documents.publish("/evil.json", {"keys": [attacker.as_dict(private=False)]})
    body = json.dumps(claims(client.client_id, client.client_id, provider.issuer))
    for extra in ({"jwk": attacker.as_dict(private=False)}, {"jku": url}, {"x5u": url}):
        header = {"alg": "ES256", "kid": "r1", **extra}
        forged = jws.serialize_compact(header, body, attacker, algorithms=["ES256"])
        answer = http.post(provider.url_for("token"), data=client_form(forged, client.client_id))
        refused(answer, 401, "invalid_client", "ES256")
    assert documents.fetches == {}  # jku and x5u were never fetched


# -- JWT bearer grant (RFC 7523 §2.1) and token exchange (RFC 8693) -----------------------


@pytest.fixture
def trusting(provider: Any, rsa_key: RSAKey) -> Any:
    provider.trust_issuer(TRUSTED, jwks={"keys": [rsa_key.as_dict(private=False)]})
    return provider.add_client()


def grant(http: httpx.Client, provider: Any, client: Any, assertion: str) -> httpx.Response:
    return http.post(
        provider.url_for("token"),
        data={"grant_type": JWT_BEARER, "assertion": assertion},
        auth=(client.client_id, client.client_secret),
    )


def test_grant_algorithm_confusion_and_none(
    provider: Any, http: httpx.Client, rsa_key: RSAKey, trusting: Any
) -> None:
    body = claims(TRUSTED, "svc", provider.issuer)
    for secret in rsa_public_secrets(rsa_key):
        forged = hmac_forged(
            {"alg": "HS256", "kid": "r1"}, {**body, "jti": secrets.token_hex(8)}, secret
        )
        refused(grant(http, provider, trusting, forged), 400, "invalid_grant", "HS256")
    unsigned = f"{segment({'alg': 'none'})}.{segment(body)}."
    refused(grant(http, provider, trusting, unsigned), 400, "invalid_grant", "unsigned")


def test_grant_keys_from_the_token_are_not_trusted(
    provider: Any, http: httpx.Client, attacker: ECKey, trusting: Any, documents: DocumentHost
) -> None:
    url = documents.publish("/evil.json", {"keys": [attacker.as_dict(private=False)]})
    for extra in ({"jwk": attacker.as_dict(private=False)}, {"jku": url}, {"x5u": url}):
        body = json.dumps(claims(TRUSTED, "svc", provider.issuer))
        forged = jws.serialize_compact(
            {"alg": "ES256", "kid": "r1", **extra}, body, attacker, algorithms=["ES256"]
        )
        refused(grant(http, provider, trusting, forged), 400, "invalid_grant")
        exchanged = http.post(
            provider.url_for("token"),
            data={
                "grant_type": TOKEN_EXCHANGE,
                "subject_token": forged,
                "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            },
            auth=(trusting.client_id, trusting.client_secret),
        )
        refused(exchanged, 400, "invalid_request")
    assert documents.fetches == {}


def test_a_grant_assertion_valid_for_years_is_refused(
    provider: Any, http: httpx.Client, rsa_key: RSAKey, trusting: Any
) -> None:
    body = {**claims(TRUSTED, "svc", provider.issuer), "exp": int(time.time()) + 20 * 365 * 86400}
    forged = jws.serialize_compact({"alg": "RS256", "kid": "r1"}, json.dumps(body), rsa_key)
    refused(
        grant(http, provider, trusting, forged),
        400,
        "invalid_grant",
        "refuses assertions valid that long",
    )


# -- DPoP proofs (RFC 9449) --------------------------------------------------------------


def proof(provider: Any, key: ECKey, jwk: dict[str, Any], **header: Any) -> str:
    body = {
        "jti": secrets.token_hex(8),
        "htm": "POST",
        "htu": provider.url_for("token"),
        "iat": int(time.time()),
    }
    return jws.serialize_compact(
        {"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk, **header},
        json.dumps(body),
        key,
        algorithms=["ES256"],
    )


def es256(signing_input: str, key: ECKey) -> str:
    """A compact JWS signed by hand (RFC 7518 §3.4), for parts joserfc will not write."""
    r, s = decode_dss_signature(key.private_key.sign(signing_input.encode(), ECDSA(SHA256())))
    return f"{signing_input}.{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def with_proof(http: httpx.Client, provider: Any, client: Any, dpop: str) -> httpx.Response:
    """A client-credentials token request carrying ``dpop`` as its proof."""
    return http.post(
        provider.url_for("token"),
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
        headers={"DPoP": dpop},
    )


def test_a_proof_with_its_private_key_is_refused(
    provider: Any, http: httpx.Client, attacker: ECKey
) -> None:
    client = provider.add_client()
    leaked = proof(provider, attacker, attacker.as_dict(private=True))
    answer = with_proof(http, provider, client, leaked)
    refused(answer, 400, "invalid_dpop_proof", "private")


def test_a_proof_names_no_key_to_fetch(
    provider: Any, http: httpx.Client, attacker: ECKey, documents: DocumentHost
) -> None:
    """``jku``/``x5u`` in a proof are ignored: the key is the ``jwk`` header, checked."""
    client = provider.add_client()
    url = documents.publish("/evil.json", {"keys": [attacker.as_dict(private=False)]})
    other = ECKey.generate_key("P-256", private=True)
    for name in ("jku", "x5u"):
        # Signed by the attacker, jwk of another key, jku to the attacker's key: refused.
        forged = proof(provider, attacker, other.as_dict(private=False), **{name: url})
        answer = with_proof(http, provider, client, forged)
        refused(answer, 400, "invalid_dpop_proof", "signature does not verify")
    assert documents.fetches == {}


# -- JSON bombs inside JWTs (found by the fuzz suite: a RecursionError, answered 500) ------


def bomb(depth: int = 2_500) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("part", ["header", "payload"])
def test_a_deeply_nested_jwt_is_refused_not_a_500(
    provider: Any, http: httpx.Client, rsa_key: RSAKey, part: str
) -> None:
    client = provider.add_client(jwks={"keys": [rsa_key.as_dict(private=False)]})
    header = segment({"alg": "RS256", "kid": "r1"})
    payload = segment(claims(client.client_id, client.client_id, provider.issuer))
    nested = b64(bomb().encode())
    token = (
        f"{nested if part == 'header' else header}.{nested if part == 'payload' else payload}.c2ln"
    )
    answer = http.post(provider.url_for("token"), data=client_form(token, client.client_id))
    refused(answer, 401, "invalid_client")
    answer = grant(http, provider, provider.add_client(), token)
    refused(answer, 400, "invalid_grant")
    refused(with_proof(http, provider, provider.add_client(), token), 400, "invalid_dpop_proof")
    assert provider.check() == []


def test_error_messages_do_not_echo_huge_claims(
    provider: Any, http: httpx.Client, rsa_key: RSAKey, trusting: Any
) -> None:
    huge = "x" * 5_000
    client = provider.add_client(jwks={"keys": [rsa_key.as_dict(private=False)]})
    body = claims(huge, client.client_id, provider.issuer)
    signed = jws.serialize_compact({"alg": "RS256", "kid": "r1"}, json.dumps(body), rsa_key)
    answer = http.post(provider.url_for("token"), data=client_form(signed, client.client_id))
    assert len(refused(answer, 401, "invalid_client", "characters")) < 600
    foreign = jws.serialize_compact(
        {"alg": "RS256", "kid": "r1"}, json.dumps(claims(huge, "svc", provider.issuer)), rsa_key
    )
    assert len(refused(grant(http, provider, trusting, foreign), 400, "invalid_grant")) < 600


@pytest.mark.parametrize("crit", [[None], [1], ["exp"], ["b64"], "exp", []])
def test_a_crit_header_is_refused_not_a_500(
    provider: Any, http: httpx.Client, attacker: ECKey, crit: Any
) -> None:
    """RFC 7515 §4.1.11: no extension is understood here, so any ``crit`` is refused
    (found by the fuzz suite: joserfc raised TypeError on ``[null]``, answered 500)."""
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": attacker.as_dict(private=False)}
    body = {"jti": secrets.token_hex(8), "htm": "POST", "htu": provider.url_for("token")}
    signing_input = (
        f"{segment({**header, 'crit': crit})}.{segment({**body, 'iat': int(time.time())})}"
    )
    # By hand: joserfc refuses to write a crit it does not know.
    answer = with_proof(http, provider, provider.add_client(), es256(signing_input, attacker))
    refused(answer, 400, "invalid_dpop_proof", "crit")
    assert provider.check() == []


def test_basic_and_a_malformed_assertion_is_two_methods(provider: Any, http: httpx.Client) -> None:
    """Found by the fuzz suite: the assertion was read first, and its refusal (401 without
    the Basic challenge RFC 6749 §5.2 requires) hid that two methods were used."""
    client = provider.add_client()
    answer = http.post(
        provider.url_for("token"),
        data=client_form(f"{segment({'alg': 'ES256'})}.bnVsbA.c2ln", client.client_id),
        auth=(client.client_id, client.client_secret),
    )
    refused(answer, 400, "invalid_request", "HTTP Basic", "allows one method")


@pytest.mark.parametrize("htu", ["\\ud800", "https://x/\\udfff", "http://a b/"])
def test_an_unencodable_htu_is_refused_not_a_500(
    provider: Any, http: httpx.Client, attacker: ECKey, htu: str
) -> None:
    """Found by the fuzz suite: a lone surrogate in ``htu`` (valid JSON, no valid URL)
    made httpx raise UnicodeEncodeError, answered 500."""
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": attacker.as_dict(private=False)}
    body = f'{{"jti":"{secrets.token_hex(8)}","htm":"POST","htu":"{htu}","iat":{int(time.time())}}}'
    signing_input = f"{segment(header)}.{b64(body.encode())}"
    answer = with_proof(http, provider, provider.add_client(), es256(signing_input, attacker))
    refused(answer, 400, "invalid_dpop_proof", "htu")
    assert provider.check() == []
