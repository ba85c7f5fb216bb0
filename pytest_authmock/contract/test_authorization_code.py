"""The authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636, RFC 9700 §2.1.1).

The test user signs in on the provider's own pages (see ``signin.py``); each
check that spends a code gets its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from pytest_authmock.contract.checks import Choices, Provider, jwt_header, oauth_error, said
from pytest_authmock.contract.choices import json_type
from pytest_authmock.contract.codeflow import Authorized, CodeFlow, pkce_pair
from pytest_authmock.contract.grants import ClientGrants
from pytest_authmock.contract.jwts import verify_jwt


def _code(flow: CodeFlow) -> Authorized:
    authorized = flow.authorize()
    assert authorized.code, (
        f"the authorization request came back without a code: {authorized.error}"
        f" {authorized.params.get('error_description', '')} (RFC 6749 §4.1.2)"
    )
    return authorized


def _refused(response: httpx.Response, codes: tuple[str, ...], why: str) -> None:
    assert response.status_code == 400, f"{why}: the token endpoint answered {said(response)}"
    error, _ = oauth_error(response, "the refusal")
    assert error in codes, f"{why}: the token endpoint answered {error}, not {' or '.join(codes)}"


def _spend(flow: CodeFlow, authorized: Authorized, choices: Choices) -> None:
    """Exchange a refused code properly, so that no live code is left behind.

    Whether a code survives a refused exchange is the provider's choice (RFC 6749
    §4.1.2 only bounds its lifetime and forbids a second use); recorded here.
    """
    response = flow.exchange(authorized, verifier=authorized.verifier)
    choices.record("refused_exchange_spends_code", response.status_code != 200, response)


@pytest.fixture(scope="module")
def authorized(code_flow: CodeFlow) -> Authorized:
    return _code(code_flow)


@pytest.fixture(scope="module")
def exchanged(
    code_flow: CodeFlow, authorized: Authorized, client_grants: ClientGrants
) -> httpx.Response:
    response = code_flow.exchange(authorized, verifier=authorized.verifier)
    if response.status_code == 200:
        client_grants.saw("authorization_code")
        if response.json().get("refresh_token"):
            client_grants.saw("refresh_token")
    return response


def test_authorization_response(
    provider: Provider, authorized: Authorized, choices: Choices
) -> None:
    assert authorized.params.get("state") == authorized.sent_state, (
        "the authorization response does not return the state unchanged (RFC 6749 §4.1.2 MUST)"
    )
    iss = authorized.params.get("iss")
    if provider.metadata().get("authorization_response_iss_parameter_supported") is True:
        assert iss == provider.settings.issuer, (
            f"iss {iss!r} in the authorization response is not the issuer (RFC 9207 §2.4)"
        )
    choices.record("authorization_response_iss", bool(iss), None, field="iss (redirect)")


def test_code_exchange_with_pkce(exchanged: httpx.Response, choices: Choices) -> None:
    assert exchanged.status_code == 200, (
        f"exchanging a code with its code_verifier answered {said(exchanged)} (RFC 7636 §4.6, RFC 6749 §4.1.4)"
    )
    assert "no-store" in exchanged.headers.get("cache-control", "").lower(), (
        "a token answer without Cache-Control: no-store (RFC 6749 §5.1 MUST)"
    )
    body = exchanged.json()
    assert body.get("access_token"), "the token answer has no access_token (RFC 6749 §5.1)"
    assert str(body.get("token_type", "")).lower() == "bearer", (
        f"token_type {body.get('token_type')!r} is not Bearer (RFC 6749 §5.1)"
    )
    has_refresh = bool(body.get("refresh_token"))
    choices.record("refresh_for_authorization_code", has_refresh, exchanged, field="refresh_token")


def test_id_token(
    provider: Provider, exchanged: httpx.Response, authorized: Authorized, choices: Choices
) -> None:
    assert exchanged.status_code == 200, said(exchanged)
    id_token = exchanged.json().get("id_token")
    if "openid" not in (provider.metadata().get("scopes_supported") or ["openid"]):
        pytest.skip("the provider does not list the openid scope")
    assert isinstance(id_token, str), (
        "openid was requested but no id_token came back (OIDC Core §3.1.3.3)"
    )
    claims = verify_jwt(id_token, provider.jwks(), what="the ID token")
    header = jwt_header(id_token) or {}
    layout = {name: kind for name, value in sorted(claims.items()) if (kind := json_type(value))}
    choices.record("id_token_claims", layout, exchanged, field="id_token claims")
    choices.record("id_token_typ", header.get("typ"), exchanged, field="id_token header typ")
    if isinstance(claims.get("exp"), int) and isinstance(claims.get("iat"), int):
        lifetime = claims["exp"] - claims["iat"]
        choices.record("id_token_lifetime", lifetime, exchanged, field="id_token exp - iat")
    client_id = provider.settings.client_id
    # OIDC Core §3.1.3.7: the checks a client makes, in its order.
    assert claims.get("iss") == provider.settings.issuer, (
        f"ID token iss {claims.get('iss')!r} (OIDC Core §3.1.3.7 #2)"
    )
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    assert client_id in audiences, (
        f"the ID token's aud {audience!r} lacks the client (OIDC Core §3.1.3.7 #3)"
    )
    if len(audiences) > 1:
        assert claims.get("azp") == client_id, (
            "several audiences but azp is not the client (OIDC Core §2)"
        )
    exp, iat = claims.get("exp"), claims.get("iat")
    assert isinstance(exp, int) and exp > time.time(), (
        f"the ID token's exp {exp!r} (OIDC Core §3.1.3.7 #9)"
    )
    assert isinstance(iat, int), f"the ID token's iat {iat!r} is not a NumericDate (OIDC Core §2)"
    assert claims.get("nonce") == authorized.nonce, (
        "the ID token does not carry the nonce sent (OIDC Core §3.1.3.7 #11)"
    )
    assert isinstance(claims.get("sub"), str) and claims["sub"], (
        "the ID token has no sub (OIDC Core §2)"
    )


def test_code_is_single_use(
    provider: Provider,
    code_flow: CodeFlow,
    authorized: Authorized,
    exchanged: httpx.Response,
    choices: Choices,
) -> None:
    assert exchanged.status_code == 200, said(exchanged)
    again = code_flow.exchange(authorized, verifier=authorized.verifier)
    _refused(
        again,
        ("invalid_grant",),
        "a code used a second time (RFC 6749 §4.1.2 MUST deny, §5.2 invalid_grant)",
    )
    if provider.endpoint("introspection_endpoint"):
        token = exchanged.json()["access_token"]
        body = provider.post("introspection_endpoint", {"token": token}).json()
        # RFC 6749 §4.1.2: the provider SHOULD revoke the tokens the code gave.
        choices.record("code_reuse_revokes_tokens", body.get("active") is False, again)


def test_wrong_code_verifier(code_flow: CodeFlow, choices: Choices) -> None:
    authorized = _code(code_flow)
    wrong, _ = pkce_pair()
    response = code_flow.exchange(authorized, verifier=wrong)
    _refused(
        response,
        ("invalid_grant",),
        "a wrong code_verifier (RFC 7636 §4.6 MUST refuse with invalid_grant)",
    )
    _spend(code_flow, authorized, choices)


def test_missing_code_verifier(code_flow: CodeFlow) -> None:
    authorized = _code(code_flow)
    response = code_flow.exchange(authorized)
    _refused(
        response,
        ("invalid_grant", "invalid_request"),
        "a code issued for a code_challenge, exchanged without code_verifier (RFC 7636 §4.6, RFC 9700 §2.1.1)",
    )


def test_redirect_uri_must_match(code_flow: CodeFlow, choices: Choices) -> None:
    authorized = _code(code_flow)
    response = code_flow.exchange(
        authorized, verifier=authorized.verifier, redirect_uri=code_flow.redirect_uri + "-other"
    )
    _refused(
        response,
        ("invalid_grant",),
        "a redirect_uri other than the authorization request's (RFC 6749 §4.1.3)",
    )
    _spend(code_flow, authorized, choices)


def test_pkce_downgrade_is_refused(code_flow: CodeFlow, choices: Choices) -> None:
    plain = code_flow.authorize(challenge_method=None)
    if not plain.code:
        choices.record("pkce_required", plain.error or "an error", None, field="error (redirect)")
        return
    choices.record("pkce_required", False, None, field="code (redirect)")
    verifier, _ = pkce_pair()
    response = code_flow.exchange(plain, verifier=verifier)
    _refused(
        response,
        ("invalid_grant", "invalid_request"),
        "a code_verifier for a code issued without code_challenge (RFC 9700 §2.1.1 and §4.8.2: PKCE downgrade)",
    )


def test_unknown_code(
    provider: Provider, needs_grant: Callable[[str], None], client_grants: ClientGrants
) -> None:
    needs_grant("authorization_code")
    verifier, _ = pkce_pair()
    response = provider.token(
        {
            "grant_type": "authorization_code",
            "code": "authmock-contract-unknown",
            "redirect_uri": provider.settings.redirect_uri or "https://authmock.invalid/callback",
            "code_verifier": verifier,
        }
    )
    reason = client_grants.refusal("authorization_code", response)
    if reason:
        pytest.skip(reason)
    _refused(response, ("invalid_grant",), "an unknown code (RFC 6749 §5.2 invalid_grant)")
