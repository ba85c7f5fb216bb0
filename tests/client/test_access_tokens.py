"""Local validation of JWT access tokens (RFC 9068) from the provider's keys.

Against the fake provider over both transports, and against a scripted issuer
whose keys and tokens the tests make, for what a provider never signs: alg
confusion, ``none``, hostile headers, odd times.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import ECKey, OctKey, RSAKey

from pytest_authmock.client import (
    AccessTokenValidator,
    InvalidToken,
    JwksCache,
    OAuthClient,
    PasswordGrant,
    ProviderError,
    TokenExpired,
    avalidate_token,
    validate_token,
)

# -- against the fake provider -------------------------------------------------------


def jwks_fetches(server: Any) -> int:
    return server.journal.count(endpoint="jwks")


def test_a_provider_token_validates_locally_with_one_key_fetch(
    server: Any, make_oauth: Callable[..., OAuthClient]
) -> None:
    client = server.add_client()
    user = server.add_user()
    oauth = make_oauth(client)
    validator = AccessTokenValidator(oauth, audience=server.issuer)
    token = oauth.request_token(PasswordGrant(user.username, user.password, ["read"]))
    for _ in range(5):
        identity = validator.validate(token.access_token)
    assert identity.checked_with == "jwt"
    assert identity.subject == user.sub
    assert identity.client_id == client.client_id
    assert identity.scopes == ("read",)
    assert identity.expires_at == identity.claims["exp"]
    assert jwks_fetches(server) == 1
    assert server.journal.count(endpoint="introspection") == 0


def test_validate_token_jwt_method_and_async(
    server: Any, make_oauth: Callable[..., OAuthClient]
) -> None:
    client = server.add_client()
    token = server.issue_token(client, scopes=["read"])
    oauth = make_oauth(client)
    assert validate_token(oauth, token, method="jwt", audience=server.issuer).client_id
    identity = asyncio.run(avalidate_token(oauth, token, method="jwt", audience=server.issuer))
    assert identity.checked_with == "jwt"
    with pytest.raises(Exception, match="needs the audience"):
        validate_token(oauth, token, method="jwt")


def test_auto_falls_back_to_local_when_introspection_refuses_jwts(
    server: Any, make_oauth: Callable[..., OAuthClient]
) -> None:
    client = server.add_client()
    token = server.issue_token(client)
    oauth = make_oauth(client)
    refusal = {"error": "unsupported_token_type", "error_description": "JWTs are self-contained"}
    server.fail(400, body=refusal, endpoint="introspection", times=2)
    with pytest.raises(ProviderError, match="unsupported_token_type"):
        validate_token(oauth, token)  # no audience: nothing to check locally against
    identity = validate_token(oauth, token, audience=server.issuer)
    assert identity.checked_with == "jwt"


def test_wrong_audience_is_refused(server: Any, make_oauth: Callable[..., OAuthClient]) -> None:
    client = server.add_client()
    token = server.issue_token(client)
    validator = AccessTokenValidator(make_oauth(client), audience="https://other-api.example/")
    with pytest.raises(InvalidToken, match="not for this resource server") as info:
        validator.validate(token)
    assert token not in str(info.value)


def test_expiry_with_leeway(
    server: Any, make_oauth: Callable[..., OAuthClient], clock: Any
) -> None:
    client = server.add_client()
    token = server.issue_token(client, ttl=60)
    validator = AccessTokenValidator(make_oauth(client), audience=server.issuer, leeway=30)
    validator.validate(token)
    clock.advance(80)  # 20 s past exp: within the leeway
    validator.validate(token)
    clock.advance(15)
    with pytest.raises(TokenExpired, match="expired"):
        validator.validate(token)


def test_an_id_token_is_not_an_access_token(
    server: Any, make_oauth: Callable[..., OAuthClient]
) -> None:
    client = server.add_client()
    user = server.add_user()
    oauth = make_oauth(client)
    token = oauth.request_token(PasswordGrant(user.username, user.password, ["openid"]))
    assert token.id_token is not None
    validator = AccessTokenValidator(oauth, audience=client.client_id)  # the ID token's aud
    with pytest.raises(InvalidToken, match="RFC 9068"):
        validator.validate(token.id_token)


def test_rotated_keys_are_fetched_again_at_most_once_a_minute(
    server: Any, make_oauth: Callable[..., OAuthClient], clock: Any
) -> None:
    client = server.add_client()
    oauth = make_oauth(client)
    validator = AccessTokenValidator(oauth, audience=server.issuer)
    validator.validate(server.issue_token(client))
    server.rotate_keys(grace=None, kid="new-key")
    fresh = server.issue_token(client)
    clock.advance(10)
    with pytest.raises(InvalidToken, match="'new-key'"):
        validator.validate(fresh)  # fetched 10 s ago: no new fetch yet
    for kid in ("made-up-1", "made-up-2", "made-up-3"):
        with pytest.raises(InvalidToken):
            validator.validate(relabel(fresh, kid=kid))
    assert jwks_fetches(server) == 1
    clock.advance(60)
    assert validator.validate(fresh).client_id == client.client_id
    assert jwks_fetches(server) == 2


def relabel(token: str, **changes: Any) -> str:
    """The token with its JOSE header changed (the signature no longer matches)."""
    header, payload, signature = token.split(".")
    fields = json.loads(base64.urlsafe_b64decode(header + "=="))
    fields.update(changes)
    raw = base64.urlsafe_b64encode(json.dumps(fields).encode()).rstrip(b"=").decode()
    return f"{raw}.{payload}.{signature}"


# -- against a scripted issuer ---------------------------------------------------------

ISSUER = "https://idp.example.com"
API = "https://api.example.com/"
RSA = RSAKey.generate_key(2048, parameters={"kid": "rsa", "alg": "RS256", "use": "sig"})
RSA_NO_ALG = RSAKey.generate_key(2048, parameters={"kid": "rsa-bare"})
EC = ECKey.generate_key("P-256", parameters={"kid": "ec"})


def b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "aud": API,
        "sub": "ada",
        "client_id": "app",
        "iat": now,
        "exp": now + 300,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def sign(key: Any, payload: dict[str, Any], **header: Any) -> str:
    protected = {"alg": "RS256", "kid": key.kid, "typ": "at+jwt", **header}
    protected = {k: v for k, v in protected.items() if v is not None}
    return jws.serialize_compact(
        protected, json.dumps(payload).encode(), key, algorithms=[protected["alg"]]
    )


def hs256_with_the_public_key() -> str:
    # The classic confusion: HMAC keyed with the RSA public key, which anyone has.
    signing_input = f"{b64({'alg': 'HS256', 'kid': 'rsa', 'typ': 'at+jwt'})}.{b64(claims())}"
    mac = hmac.new(RSA.as_pem(private=False), signing_input.encode(), hashlib.sha256)
    return f"{signing_input}.{b64(mac.digest())}"


@pytest.fixture
def scripted() -> Callable[..., AccessTokenValidator]:
    def make(*keys: Any, leeway: float = 60.0) -> AccessTokenValidator:
        document = {"keys": [k.as_dict(private=False) for k in keys]}

        def handle(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("openid-configuration"):
                meta = {
                    "issuer": ISSUER,
                    "token_endpoint": ISSUER + "/t",
                    "jwks_uri": ISSUER + "/k",
                }
                return httpx.Response(200, json=meta)
            return httpx.Response(200, json=document)

        http = httpx.Client(transport=httpx.MockTransport(handle))
        return AccessTokenValidator(
            OAuthClient(ISSUER, http_client=http), audience=API, leeway=leeway
        )

    return make


def test_valid_tokens_of_every_key_kind(scripted: Callable[..., AccessTokenValidator]) -> None:
    validator = scripted(RSA, RSA_NO_ALG, EC)
    assert validator.validate(sign(RSA, claims())).subject == "ada"
    assert validator.validate(sign(RSA_NO_ALG, claims())).subject == "ada"  # RS256 implied
    assert validator.validate(sign(EC, claims(), alg="ES256")).subject == "ada"
    assert validator.validate(sign(RSA, claims(), typ="application/AT+JWT")).subject == "ada"


@pytest.mark.parametrize(
    ("token", "message"),
    [
        # RFC 8725 §3.1: the RSA public key used as an HMAC secret.
        (hs256_with_the_public_key, "RFC 8725"),
        (
            lambda: b64({"alg": "none", "kid": "rsa", "typ": "at+jwt"}) + "." + b64(claims()) + ".",
            "RFC 8725",
        ),
        (lambda: relabel(sign(RSA, claims()), alg="PS256"), "RFC 8725"),  # the key: RS256
        (lambda: sign(RSA_NO_ALG, claims(), alg="PS256"), "RFC 8725"),  # RS256 implied
        (lambda: relabel(sign(EC, claims(), alg="ES256"), alg="ES384"), "RFC 8725"),
        (lambda: sign(RSA, claims(), typ="JWT"), "RFC 9068"),
        (lambda: sign(RSA, claims(), typ=None), "RFC 9068"),
        (lambda: sign(RSA, claims(iss="https://evil.example")), "issued by"),
        (lambda: sign(RSA, claims(aud=["https://a.example", "https://b.example"])), "not for this"),
        (lambda: sign(RSA, claims(exp=None)), "no 'exp'"),
        (lambda: sign(RSA, claims(exp="soon")), "not a number"),
        (lambda: sign(RSA, claims(exp=True)), "not a number"),
        (lambda: sign(RSA, claims(nbf=int(time.time()) + 600)), "not valid before"),
        (lambda: sign(RSA, claims(iat=int(time.time()) + 600)), "in the future"),
        (lambda: sign(RSA, claims(iat=None)), "no 'iat'"),
        (lambda: sign(RSA, claims(), kid="unknown"), "does not publish"),
        (lambda: sign(RSA, claims()) + "x", "does not verify"),
        (
            lambda: sign(RSA, claims())[:-10] + sign(EC, claims(), alg="ES256")[-10:],
            "does not verify",
        ),
    ],
    ids=[
        "hs256-with-public-key",
        "none",
        "other-alg",
        "other-alg-implied",
        "other-curve",
        "typ-jwt",
        "no-typ",
        "issuer",
        "audience",
        "no-exp",
        "exp-string",
        "exp-bool",
        "nbf-future",
        "iat-future",
        "no-iat",
        "unknown-kid",
        "bad-signature",
        "spliced",
    ],
)
def test_refused(scripted: Callable[..., AccessTokenValidator], token: Any, message: str) -> None:
    validator = scripted(RSA, RSA_NO_ALG, EC)
    value = token()
    with pytest.raises(InvalidToken, match=message) as info:
        validator.validate(value)
    assert value not in str(info.value)


@pytest.mark.parametrize(
    "header",
    [b"[]", b"null", b'"x"', b"1", b"[" * 5000, b"{" * 5000, b"\xff\xfe", b"{}", b'{"kid": 5}'],
    ids=[
        "list",
        "null",
        "string",
        "number",
        "nested-lists",
        "nested-objects",
        "not-utf8",
        "empty",
        "kid-int",
    ],
)
def test_hostile_headers_are_invalid_tokens_never_crashes(
    scripted: Callable[..., AccessTokenValidator], header: bytes
) -> None:
    token = f"{b64(header)}.{b64(claims())}.c2ln"
    with pytest.raises(InvalidToken):
        scripted(RSA).validate(token)


@pytest.mark.parametrize("bad", ["", "a.b", "a.b.c.d", "." * 2, "x" * 20000 + ".a.b"])
def test_not_a_jws_is_an_invalid_token(
    scripted: Callable[..., AccessTokenValidator], bad: str
) -> None:
    with pytest.raises(InvalidToken):
        scripted(RSA).validate(bad)


def test_without_kid_only_a_single_key_is_used(
    scripted: Callable[..., AccessTokenValidator],
) -> None:
    token = sign(RSA, claims(), kid=None)
    assert scripted(RSA).validate(token).subject == "ada"
    with pytest.raises(InvalidToken, match="names no key"):
        scripted(RSA, EC).validate(token)


def test_keys_that_cannot_verify_are_skipped(scripted: Callable[..., AccessTokenValidator]) -> None:
    secret = OctKey.generate_key(256, parameters={"kid": "secret", "alg": "HS256"})
    validator = scripted(RSA, secret)
    assert validator.validate(sign(RSA, claims())).subject == "ada"
    with pytest.raises(InvalidToken, match="RFC 8725"):
        validator.validate(sign(secret, claims(), alg="HS256"))


def test_bad_arguments_fail_at_once() -> None:
    oauth = OAuthClient(ISSUER)
    with pytest.raises(ValueError, match="audience"):
        AccessTokenValidator(oauth, audience=[])
    with pytest.raises(ValueError, match="leeway"):
        AccessTokenValidator(oauth, audience=API, leeway=-1)
    with pytest.raises(ValueError, match="min_refetch_interval"):
        JwksCache(oauth, min_refetch_interval=-1)
