"""Pushed authorization requests (RFC 9126).

Skipped when the metadata has no ``pushed_authorization_request_endpoint``.
Uses the client (authenticated as at the token endpoint) with what the code flow
checks need: ``--authmock-contract-redirect-uri`` and ``--authmock-contract-user``.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from pytest_authmock.contract.checks import Provider, oauth_error, said
from pytest_authmock.contract.codeflow import CodeFlow, pkce_pair
from pytest_authmock.contract.signin import SignInError, sign_in

ENDPOINT = "pushed_authorization_request_endpoint"


@pytest.fixture(scope="module")
def endpoint(provider: Provider) -> str:
    return provider.endpoint_or_skip(ENDPOINT)


@pytest.fixture(scope="module")
def redirect_uri(code_flow: CodeFlow) -> str:
    """The code flow's redirect URI: PAR needs what the code flow needs."""
    return code_flow.redirect_uri


def request(provider: Provider, redirect_uri: str, challenge: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": provider.settings.client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid",
        "state": "authmock-contract-par",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }


def push(provider: Provider, data: dict[str, str], *, auth: bool = True) -> httpx.Response:
    response = provider.post(ENDPOINT, data, auth=auth)
    if response.status_code == 400 and oauth_error(response)[0] == "unauthorized_client":
        pytest.skip(
            f"client {provider.settings.client_id!r} may not use the authorization code grant"
            f" ({said(response)})"
        )
    return response


def test_metadata(metadata: dict[str, Any], endpoint: str) -> None:
    required = metadata.get("require_pushed_authorization_requests", False)
    assert isinstance(required, bool), (
        "require_pushed_authorization_requests must be a boolean (RFC 9126 §5)"
    )


def test_a_pushed_request_gets_a_request_uri(
    provider: Provider, endpoint: str, redirect_uri: str
) -> None:
    response = push(provider, request(provider, redirect_uri, pkce_pair()[1]))
    assert response.status_code == 201, (
        f"a valid pushed request answered {said(response)} (RFC 9126 §2.2: 201)"
    )
    body = response.json()
    assert isinstance(body.get("request_uri"), str) and body["request_uri"], (
        "the answer has no request_uri (RFC 9126 §2.2 REQUIRED)"
    )
    assert isinstance(body.get("expires_in"), int) and body["expires_in"] > 0, (
        "the answer has no positive integer expires_in (RFC 9126 §2.2 REQUIRED)"
    )


def test_a_confidential_client_must_authenticate(
    provider: Provider, endpoint: str, redirect_uri: str
) -> None:
    if provider.settings.client_secret is None:
        pytest.skip("the contract client is public; it pushes with its client_id only")
    data = request(provider, redirect_uri, pkce_pair()[1])
    response = push(provider, data, auth=False)
    assert response.status_code in (400, 401), (
        f"a push without client authentication answered {said(response)} (RFC 9126 §2.1)"
    )
    error, _ = oauth_error(response)
    assert error == "invalid_client", f"it answered {error} (RFC 9126 §2.1, RFC 6749 §5.2)"


def test_errors_are_answered_not_redirected(
    provider: Provider, endpoint: str, redirect_uri: str
) -> None:
    data = request(provider, redirect_uri, pkce_pair()[1])
    del data["response_type"]
    response = push(provider, data)
    assert response.status_code == 400, (
        f"a pushed request without response_type answered {said(response)} (RFC 9126 §2.3)"
    )
    error, _ = oauth_error(response)
    assert error == "invalid_request", f"it answered {error} (RFC 9126 §2.3)"


@dataclasses.dataclass(frozen=True)
class SignedIn:
    """A sign-in through a pushed request: where it started, and what came back."""

    start: str
    answer: dict[str, str]
    verifier: str
    redirect_uri: str

    def arrived(self, location: str) -> bool:
        a, b = urlsplit(location), urlsplit(self.redirect_uri)
        return (a.scheme, a.netloc, a.path) == (b.scheme, b.netloc, b.path)


@pytest.fixture(scope="module")
def signed_in(
    provider: Provider,
    endpoint: str,
    redirect_uri: str,
    code_flow: CodeFlow,
    browser: httpx.Client,
) -> SignedIn:
    verifier, challenge = pkce_pair()
    pushed = push(provider, request(provider, redirect_uri, challenge))
    assert pushed.status_code == 201, f"the push answered {said(pushed)}"
    authorize = provider.endpoint("authorization_endpoint")
    assert authorize, "the metadata has no authorization_endpoint"
    start = f"{authorize}?" + urlencode(
        {"client_id": provider.settings.client_id, "request_uri": pushed.json()["request_uri"]}
    )
    done = SignedIn(start, {}, verifier, redirect_uri)
    try:
        landed = sign_in(
            browser,
            start,
            username=code_flow.username,
            password=code_flow.password,
            arrived=done.arrived,
        )
    except SignInError as exc:
        pytest.skip(f"could not sign in through the provider's pages: {exc}")
    done.answer.update(parse_qsl(urlsplit(landed.url or "").query))
    return done


def test_sign_in_with_the_request_uri(provider: Provider, signed_in: SignedIn) -> None:
    answer = signed_in.answer
    assert answer.get("state") == "authmock-contract-par", (
        "the redirect does not carry the pushed request's state (RFC 9126 §4)"
    )
    assert answer.get("code"), f"the pushed request was answered with {answer} (RFC 9126 §4)"
    exchange = provider.token(
        {
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": signed_in.redirect_uri,
            "code_verifier": signed_in.verifier,
        }
    )
    assert exchange.status_code == 200, f"the code exchange answered {said(exchange)}"


def test_a_spent_request_uri_gives_no_second_code(
    browser: httpx.Client, signed_in: SignedIn
) -> None:
    if not signed_in.answer.get("code"):
        pytest.skip("the sign-in with the request_uri gave no code")
    again = browser.get(signed_in.start, follow_redirects=False)
    location = again.headers.get("location", "")
    if again.is_redirect and signed_in.arrived(location) and "code=" in location:
        # RFC 9126 §4: SHOULD be one-time, but MAY allow a reload of the same page.
        pytest.skip("the provider lets a spent request_uri sign the user in again")
