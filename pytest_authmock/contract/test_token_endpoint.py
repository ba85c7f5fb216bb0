"""The token endpoint: client credentials (RFC 6749 §4.4) and its errors (§5.2)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from pytest_authmock.contract.checks import Choices, Provider, jwt_header, oauth_error, said
from pytest_authmock.contract.choices import json_type
from pytest_authmock.contract.jwts import verify_jwt

UNKNOWN_SCOPE = "authmock-contract-no-such-scope"
#: RFC 6749 §5.2's error codes for the token endpoint.
KNOWN_ERRORS = {
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
}


@pytest.fixture(scope="module")
def issued(client_credentials: Callable[..., httpx.Response]) -> httpx.Response:
    return client_credentials()


def test_client_credentials_succeeds(issued: httpx.Response, choices: Choices) -> None:
    assert issued.status_code == 200, (
        f"client_credentials answered {said(issued)} (RFC 6749 §4.4.3 answers a token)"
    )
    body = issued.json()
    assert isinstance(body.get("access_token"), str) and body["access_token"], (
        "the token answer has no access_token (RFC 6749 §5.1)"
    )
    token_type = body.get("token_type")
    assert isinstance(token_type, str) and token_type.lower() == "bearer", (
        f"token_type {token_type!r} is not Bearer (RFC 6749 §5.1, RFC 6750 §4)"
    )
    choices.record("token_type", token_type, issued, field="token_type")
    expires_in = body.get("expires_in")
    assert expires_in is None or (
        isinstance(expires_in, int) and not isinstance(expires_in, bool)
    ), f"expires_in {expires_in!r} is not a number of seconds (RFC 6749 §5.1)"
    choices.record("expires_in", expires_in, issued, field="expires_in")
    # RFC 6749 §4.4.3: a refresh token SHOULD NOT be included.
    choices.record(
        "refresh_for_client_credentials", "refresh_token" in body, issued, field="refresh_token"
    )


def test_token_answers_are_not_cached(issued: httpx.Response) -> None:
    assert issued.status_code == 200, said(issued)
    assert "no-store" in issued.headers.get("cache-control", "").lower(), (
        "a token answer without Cache-Control: no-store (RFC 6749 §5.1 MUST)"
    )


def test_access_token_format(provider: Provider, issued: httpx.Response, choices: Choices) -> None:
    assert issued.status_code == 200, said(issued)
    token = issued.json()["access_token"]
    header = jwt_header(token)
    if header is None:
        choices.record("access_token_format", "opaque", issued, field="access_token")
        for key in ("access_token_typ", "access_token_claims"):
            choices.unobservable(key, "access tokens are opaque")
        return
    choices.record("access_token_format", "jwt", issued, field="access_token")
    choices.record("access_token_typ", header.get("typ"), issued, field="access_token header typ")
    claims = verify_jwt(token, provider.jwks(), what="the access token")
    layout = {name: kind for name, value in sorted(claims.items()) if (kind := json_type(value))}
    choices.record("access_token_claims", layout, issued, field="access_token claims")
    assert claims.get("iss") == provider.settings.issuer, (
        f"the access token's iss {claims.get('iss')!r} is not the issuer (RFC 9068 §2.2)"
    )
    if "exp" in claims and "iat" in claims:
        assert claims["exp"] > claims["iat"], (
            "the access token expires before it was issued (RFC 7519 §4.1.4)"
        )


def test_wrong_client_secret(
    provider: Provider, client_credentials: Callable[..., httpx.Response], choices: Choices
) -> None:
    if provider.settings.client_secret is None:
        pytest.skip("the client is public")
    client_credentials()  # skips when this client may not use the grant at all
    response = provider.token(
        {"grant_type": "client_credentials"}, secret="authmock-contract-wrong-secret"
    )
    error, _ = oauth_error(response, "the answer to a wrong client secret")
    assert error == "invalid_client", (
        f"a wrong client secret answered {said(response)} (RFC 6749 §5.2: invalid_client)"
    )
    assert response.status_code in (400, 401), (
        f"invalid_client with HTTP {response.status_code} (RFC 6749 §5.2)"
    )
    choices.record(
        "invalid_client_status", response.status_code, response, auth_method=provider.auth_method
    )
    if response.status_code == 401 and provider.auth_method == "client_secret_basic":
        assert "www-authenticate" in response.headers, (
            "a 401 to Basic client authentication without WWW-Authenticate (RFC 6749 §5.2 MUST)"
        )


def test_unknown_grant_type(provider: Provider) -> None:
    response = provider.token({"grant_type": "urn:authmock:contract:no-such-grant"})
    error, _ = oauth_error(response, "the answer to an unknown grant_type")
    assert (response.status_code, error) == (400, "unsupported_grant_type"), (
        f"an unknown grant_type answered {said(response)} (RFC 6749 §5.2: 400 unsupported_grant_type)"
    )


def test_missing_grant_type(provider: Provider) -> None:
    response = provider.token({})
    assert response.status_code == 400, (
        f"a token request without grant_type answered {said(response)}"
        " (RFC 6749 §5.2: a missing parameter is 400 invalid_request)"
    )
    error, _ = oauth_error(response, "the answer to a missing grant_type")
    assert error in ("invalid_request", "unsupported_grant_type"), (
        f"a missing grant_type answered {error} (RFC 6749 §5.2: invalid_request)"
    )


def test_token_endpoint_refuses_get(provider: Provider, choices: Choices) -> None:
    url = provider.endpoint("token_endpoint")
    assert url, "the metadata has no token_endpoint (RFC 8414 §2)"
    response = provider.http.get(url)
    assert response.status_code != 200, (
        "the token endpoint answered a GET with 200 (RFC 6749 §3.2: POST)"
    )
    choices.record("token_endpoint_get", response.status_code, response)


def test_forbidden_grant(
    provider: Provider, needs_grant: Callable[[str], None], choices: Choices
) -> None:
    grant = provider.settings.forbidden_grant
    if grant is None:
        pytest.skip("pass --authmock-contract-forbidden-grant GRANT (one the client may not use)")
    # A grant the provider does not support at all tells nothing about this choice.
    needs_grant(grant)
    data = {"grant_type": grant}
    if grant == "password":
        data.update(username="authmock-contract", password="authmock-contract")
    elif grant == "refresh_token":
        data["refresh_token"] = "authmock-contract-invalid"
    elif grant == "authorization_code":
        data.update(code="authmock-contract-invalid", redirect_uri="https://authmock.invalid/cb")
    response = provider.token(data)
    error, _ = oauth_error(response, f"the answer to the forbidden {grant} grant")
    assert response.status_code in (400, 401), (
        f"a forbidden grant answered {said(response)} (RFC 6749 §5.2)"
    )
    assert error in KNOWN_ERRORS, f"unregistered error code {error!r} (RFC 6749 §5.2)"
    choices.record("forbidden_grant_error", error, response, field="error")


def test_unknown_scope(client_credentials: Callable[..., httpx.Response], choices: Choices) -> None:
    response = client_credentials(scope=UNKNOWN_SCOPE)
    if response.status_code == 200:
        granted = response.json().get("scope")
        chosen = "granted" if granted and UNKNOWN_SCOPE in granted.split() else "ignored"
    else:
        error, _ = oauth_error(response, "the answer to an unknown scope")
        assert response.status_code == 400, (
            f"an unknown scope answered {said(response)} (RFC 6749 §5.2)"
        )
        assert error in KNOWN_ERRORS, f"unregistered error code {error!r} (RFC 6749 §5.2)"
        chosen = error
    choices.record("unknown_scope", chosen, response, field="scope", scope=UNKNOWN_SCOPE)


def test_client_secret_methods(provider: Provider, choices: Choices) -> None:
    """Which ways of sending the secret (RFC 6749 §2.3.1) the provider takes from this client."""
    if provider.settings.client_secret is None:
        pytest.skip("the client is public")
    # A request that authenticates the client and changes nothing: introspecting an
    # unknown token, revoking one, or an unknown grant at the token endpoint.
    probes = (
        ("introspection_endpoint", {"token": "authmock-contract-probe"}, _answered_200),
        ("revocation_endpoint", {"token": "authmock-contract-probe"}, _answered_200),
        ("token_endpoint", {"grant_type": "urn:authmock:contract:probe"}, _not_invalid_client),
    )
    endpoint, form, accepted = next(p for p in probes if provider.endpoint(p[0]))
    answers = {
        method: provider.post(endpoint, form, method=method)
        for method in ("client_secret_basic", "client_secret_post")
    }
    taken = [method for method, response in answers.items() if accepted(response)]
    if not taken:
        said_ = "; ".join(f"{m}: {said(r)}" for m, r in answers.items())
        pytest.skip(f"the {endpoint} accepted the client's secret neither way ({said_})")
    refused = {m: r for m, r in answers.items() if m not in taken}
    for method, response in refused.items():
        error, _ = oauth_error(response, f"the answer to the secret sent by {method}")
        assert error in ("invalid_client", "invalid_request"), (
            f"a secret sent by {method} the provider does not take answered {said(response)}"
            " (RFC 6749 §5.2: invalid_client)"
        )
    evidence = {m: said(r) for m, r in answers.items()}
    choices.record("client_auth_methods", taken, None, endpoint=endpoint, answers=evidence)


def _answered_200(response: httpx.Response) -> bool:
    return response.status_code == 200


def _not_invalid_client(response: httpx.Response) -> bool:
    try:
        return bool(response.json().get("error") not in ("invalid_client", "invalid_request"))
    except ValueError:
        return False
