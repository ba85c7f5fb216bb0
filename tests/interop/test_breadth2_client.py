"""The client library's registration, pushed requests, logout and resource indicators
against oidc-provider (server.mjs enables registration and its management, PAR,
RP-initiated logout and RFC 8707 for the API ``https://api.interop.test``).

The discovery from a 401 (RFC 9728) is not here: oidc-provider is an
authorization server, not a protected resource.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from pytest_authmock.client import (
    ClientCredentialsGrant,
    InvalidCredentials,
    OAuthClient,
    RegistrationError,
    authorize_in_browser,
    delete_registration,
    end_session_url,
    push_authorization_request,
    read_registration,
    register_client,
    update_registration,
)
from pytest_authmock.contract.logout import walk
from pytest_authmock.contract.signin import sign_in
from tests.interop.client_helpers import oauth
from tests.interop.conftest import API, USER, NodeProvider
from tests.interop.contract_run import known_deviations_only, run_contract
from tests.interop.deviations import KNOWN_DEVIATIONS
from tests.interop.test_contract_against_peers import SIGN_IN, client

SIGNED_OUT = "http://127.0.0.1/interop/signed-out"
SERVICE = {
    "client_name": "pytest-authmock interop",
    "grant_types": ["client_credentials"],
    "response_types": [],
    "token_endpoint_auth_method": "client_secret_basic",
}


class Browser:
    """One browser for the whole test: it keeps oidc-provider's session cookie, and
    counts the sign-in pages it was shown."""

    def __init__(self) -> None:
        self.http = httpx.Client(timeout=10, event_hooks={"response": [self._seen]})
        self.sign_in_pages = 0

    def _seen(self, response: httpx.Response) -> None:
        if "html" in response.headers.get("content-type", ""):
            response.read()
            if 'type="password"' in response.text:
                self.sign_in_pages += 1

    def __call__(self, url: str) -> bool:
        landed = sign_in(
            self.http,
            url,
            username=USER[0],
            password=USER[1],
            arrived=lambda location: urlsplit(location).path == "/callback",
        )
        assert landed.url is not None
        try:
            urllib.request.urlopen(landed.url, timeout=5).close()  # noqa: S310 - the CLI's listener
        except urllib.error.HTTPError as error:  # an error redirect: the listener answers 400
            error.close()
        return True


@pytest.fixture
def browser() -> Iterator[Browser]:
    browser = Browser()
    yield browser
    browser.http.close()


# -- dynamic registration (RFC 7591, RFC 7592) ---------------------------------------------


def test_register_use_update_delete(node: NodeProvider) -> None:
    with OAuthClient(node.issuer) as anonymous:
        registered = register_client(anonymous, SERVICE)
        assert registered.client_secret
        assert registered.registration_client_uri
        with registered.oauth_client() as client:
            assert client.request_token(ClientCredentialsGrant()).access_token
        assert read_registration(anonymous, registered).client_id == registered.client_id
        renamed = update_registration(anonymous, registered, {**SERVICE, "client_name": "renamed"})
        assert renamed.metadata["client_name"] == "renamed"
        delete_registration(anonymous, renamed)
        with pytest.raises(InvalidCredentials):
            read_registration(anonymous, renamed)


def test_a_refused_redirect_uri(node: NodeProvider) -> None:
    with OAuthClient(node.issuer) as anonymous, pytest.raises(RegistrationError) as refused:
        register_client(anonymous, {"redirect_uris": ["https://app.example/cb#fragment"]})
    assert refused.value.error in ("invalid_redirect_uri", "invalid_client_metadata")
    assert refused.value.status_code == 400


# -- pushed authorization requests (RFC 9126) -----------------------------------------------


def test_push_by_hand(node: NodeProvider) -> None:
    with oauth(node) as client:
        pushed = push_authorization_request(
            client,
            {
                "response_type": "code",
                "redirect_uri": "http://127.0.0.1/interop/callback",
                "scope": "openid",
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                "code_challenge_method": "S256",
            },
        )
    assert pushed.request_uri.startswith("urn:ietf:params:oauth:request_uri:")
    assert isinstance(pushed.expires_in, int)


def test_browser_login_with_par_and_a_resource(node: NodeProvider, browser: Browser) -> None:
    with OAuthClient(node.issuer, client_id="interop-native") as client:
        token = authorize_in_browser(
            client,
            scopes=["openid", "api:read"],
            resource=API,
            par=True,
            open_browser=browser,
        )
        jwks = KeySet.import_key_set(client.http.get(client.metadata().jwks_uri or "").json())
    # RFC 8707: oidc-provider issues a JWT for the API named as the resource.
    claims = jwt.decode(token.access_token, jwks).claims
    assert claims["aud"] == API
    assert token.id_token


# -- RP-initiated logout ----------------------------------------------------------------------


def test_logout_ends_the_providers_session(node: NodeProvider, browser: Browser) -> None:
    with OAuthClient(node.issuer, client_id="interop-native") as client:
        token = authorize_in_browser(client, open_browser=browser)
        authorize_in_browser(client, open_browser=browser)
        assert browser.sign_in_pages == 1  # the second login found the session
        url = end_session_url(
            client,
            id_token_hint=token.id_token,
            post_logout_redirect_uri=SIGNED_OUT,
            state="bye",
        )
        landed = walk(browser.http, url, SIGNED_OUT)
        assert landed is not None
        assert dict(parse_qsl(urlsplit(landed).query))["state"] == "bye"
        authorize_in_browser(client, open_browser=browser)
    assert browser.sign_in_pages == 2  # asked to sign in again


# -- the contract checks of these features, against oidc-provider ---------------------------


def test_the_contract_checks(pytester: pytest.Pytester, oidc_provider: NodeProvider) -> None:
    run = run_contract(
        pytester,
        "--authmock-contract-issuer",
        oidc_provider.issuer,
        *client("interop-basic"),
        *SIGN_IN,
        "--authmock-contract-resource-indicator",
        API,
        "--authmock-contract-post-logout-redirect-uri",
        SIGNED_OUT,
    )
    known_deviations_only(run, KNOWN_DEVIATIONS["oidc-provider"])
    for check in (
        "test_resource_indicators.py::test_the_token_is_for_the_resource_asked_for",
        "test_resource_indicators.py::test_a_resource_with_a_fragment_is_invalid_target",
        # oidc-provider knows its resources (getResourceServerInfo in server.mjs).
        "test_resource_indicators.py::test_an_unknown_resource_is_invalid_target",
        "test_registration.py::test_the_answer_carries_credentials",
        "test_registration.py::test_the_registered_client_gets_a_token",
        "test_registration.py::test_a_bad_redirect_uri_is_refused",
        "test_registration.py::test_read_update_and_delete",
        "test_pushed_authorization.py::test_a_pushed_request_gets_a_request_uri",
        "test_pushed_authorization.py::test_sign_in_with_the_request_uri",
        "test_pushed_authorization.py::test_a_spent_request_uri_gives_no_second_code",
        "test_end_session.py::test_an_unregistered_redirect_is_not_followed",
        "test_end_session.py::test_logout_with_the_id_token",
    ):
        assert check in run.passed, run.report()
