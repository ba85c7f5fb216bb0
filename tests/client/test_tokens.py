"""Token parsing, expiry arithmetic and redaction."""

from __future__ import annotations

import pytest

from pytest_authmock.client import ProviderError, Token, fingerprint
from pytest_authmock.client.challenge import is_invalid_token, parse_bearer_challenge


def test_fingerprint_is_short_stable_and_not_the_secret() -> None:
    assert fingerprint("s3cret") == fingerprint(b"s3cret")
    assert fingerprint("s3cret").startswith("sha256:")
    assert len(fingerprint("s3cret")) == len("sha256:") + 8
    assert "s3cret" not in fingerprint("s3cret")
    assert fingerprint("a") != fingerprint("b")
    assert fingerprint(None) == "none"


def test_from_response_computes_expiry_from_send_time() -> None:
    token = Token.from_response(
        {"access_token": "AT", "token_type": "bearer", "expires_in": 300, "scope": "a b"},
        issued_at=1000.0,
    )
    assert token.expires_at == 1300.0
    assert token.token_type == "Bearer"
    assert token.scopes == ("a", "b")
    assert token.expires_in(now=1100.0) == 200.0


def test_missing_expires_in_means_never_expires() -> None:
    token = Token.from_response({"access_token": "AT"}, issued_at=0.0)
    assert token.expires_at is None
    assert token.expires_in() is None
    assert not token.is_stale(now=10**12, leeway=60)


def test_refresh_answer_without_refresh_token_keeps_the_old_one() -> None:
    # RFC 6749 §6: the provider MAY omit a new refresh token.
    token = Token.from_response(
        {"access_token": "AT2", "expires_in": 60}, issued_at=0.0, previous_refresh_token="RT1"
    )
    assert token.refresh_token == "RT1"
    rotated = Token.from_response(
        {"access_token": "AT2", "refresh_token": "RT2"}, issued_at=0.0, previous_refresh_token="RT1"
    )
    assert rotated.refresh_token == "RT2"


@pytest.mark.parametrize(
    "payload",
    [{}, {"access_token": ""}, {"access_token": 5}, {"access_token": "x", "expires_in": "soon"}],
)
def test_malformed_token_responses_are_provider_errors(payload: dict[str, object]) -> None:
    with pytest.raises(ProviderError):
        Token.from_response(payload, issued_at=0.0)


def test_leeway_is_capped_at_half_the_lifetime() -> None:
    token = Token(access_token="x", expires_at=120.0, issued_at=100.0)  # a 20 s token
    # A 60 s leeway would make it stale from birth; capped to 10 s it is not.
    assert not token.is_stale(now=105.0, leeway=60)
    assert token.is_stale(now=110.0, leeway=60)
    long = Token(access_token="x", expires_at=4000.0, issued_at=400.0)
    assert not long.is_stale(now=3969.0, leeway=30)
    assert long.is_stale(now=3970.0, leeway=30)


def test_repr_and_str_show_fingerprints_never_tokens() -> None:
    token = Token(
        access_token="ACCESS-SECRET",
        refresh_token="REFRESH-SECRET",
        id_token="ID-SECRET",
        expires_at=0.0,
    )
    for text in (repr(token), str(token), f"{token}"):
        assert "SECRET" not in text
        assert fingerprint("ACCESS-SECRET") in text
        assert fingerprint("REFRESH-SECRET") in text


def test_round_trip_through_dict() -> None:
    token = Token(access_token="a", refresh_token="r", expires_at=5.0, scope="s", issued_at=1.0)
    assert Token.from_dict({**token.to_dict(), "unknown_future_field": 1}) == token


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('Bearer error="invalid_token"', {"error": "invalid_token"}),
        (
            'Bearer realm="api", error="invalid_token", error_description="The token expired"',
            {"realm": "api", "error": "invalid_token", "error_description": "The token expired"},
        ),
        ("bearer error=invalid_token", {"error": "invalid_token"}),
        (
            'Basic realm="x", Bearer error="insufficient_scope", scope="a b"',
            {"error": "insufficient_scope", "scope": "a b"},
        ),
        ('Bearer error_description="say \\"hi\\""', {"error_description": 'say "hi"'}),
        ('Basic realm="x"', {}),
        ("Bearer", {}),
        ("", {}),
    ],
)
def test_parse_bearer_challenge(header: str, expected: dict[str, str]) -> None:
    assert parse_bearer_challenge(header) == expected


def test_is_invalid_token() -> None:
    assert is_invalid_token('Bearer realm="x", error="invalid_token"')
    assert not is_invalid_token('Bearer error="insufficient_scope"')
    assert not is_invalid_token(None)
    assert not is_invalid_token('Basic error="invalid_token"')
