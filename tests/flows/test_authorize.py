"""Authorization code + PKCE: the endpoint, its sign-in page, and the code exchange."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from pytest_authmock import FakeIdP
from tests.flows.helpers import VERIFIER, alert, challenge, hidden_fields, submit
from tests.helpers import bearer

APP = "http://127.0.0.1/callback"


def authorize_url(idp: FakeIdP, **params: str | None) -> str:
    query = {
        "response_type": "code",
        "client_id": "app",
        "redirect_uri": "http://127.0.0.1:53682/callback",
        "scope": "openid read",
        "state": "st-123",
        "nonce": "n-456",
        "code_challenge": challenge(),
        "code_challenge_method": "S256",
    }
    query.update(params)
    return str(
        httpx.URL(
            idp.metadata()["authorization_endpoint"],
            params={k: v for k, v in query.items() if v is not None},
        )
    )


def redirected(response: httpx.Response) -> dict[str, str]:
    assert response.status_code in (302, 303), response.text
    return dict(httpx.URL(response.headers["location"]).params)


def exchange(http: httpx.Client, idp: FakeIdP, code: str, **params: str | None) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "client_id": "app",
        "code": code,
        "redirect_uri": "http://127.0.0.1:53682/callback",
        "code_verifier": VERIFIER,
    }
    data.update(params)
    return http.post(idp.url_for("token"), data={k: v for k, v in data.items() if v is not None})


@pytest.fixture
def app(provider: FakeIdP) -> Any:
    provider.add_user("ada", "correct horse")
    return provider.add_client("app", public=True, redirect_uris=[APP])


def sign_in(http: httpx.Client, idp: FakeIdP, **params: str | None) -> dict[str, str]:
    page = http.get(authorize_url(idp, **params))
    assert page.status_code == 200, page.text
    done = submit(
        http,
        page,
        idp.url_for("authorization"),
        username="ada",
        password="correct horse",
        action="approve",
    )
    assert done.status_code == 303
    return redirected(done)


def test_metadata(provider: FakeIdP, http: httpx.Client) -> None:
    meta = http.get(provider.issuer + "/.well-known/oauth-authorization-server").json()
    assert meta["authorization_endpoint"] == provider.issuer + "/oauth2/authorize"
    assert meta["response_types_supported"] == ["code"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert "authorization_code" in meta["grant_types_supported"]
    provider.flow_settings.allow_plain_pkce = True
    assert provider.metadata()["code_challenge_methods_supported"] == ["S256", "plain"]


def test_sign_in_page_then_code_exchange(
    provider: FakeIdP, http: httpx.Client, app: Any, api: str
) -> None:
    page = http.get(authorize_url(provider))
    assert "<strong>app</strong> wants to access your account" in page.text
    assert "<code>openid</code>" in page.text
    assert hidden_fields(page.text)["state"] == "st-123"
    params = sign_in(http, provider)
    assert params["state"] == "st-123"
    assert params["iss"] == provider.issuer
    tokens = exchange(http, provider, params["code"])
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    keys = KeySet.import_key_set(http.get(provider.url_for("jwks")).json())
    claims = jwt.decode(body["id_token"], keys).claims
    assert (claims["nonce"], claims["aud"]) == ("n-456", "app")
    assert http.get(api, headers=bearer(body["access_token"])).json()["username"] == "ada"
    entry = provider.journal.last(endpoint="token")
    assert (entry.grant_type, entry.username, entry.client_id) == (
        "authorization_code",
        "ada",
        "app",
    )


def test_code_is_single_use_and_a_replay_revokes_its_tokens(
    provider: FakeIdP, http: httpx.Client, app: Any, api: str
) -> None:
    code = sign_in(http, provider)["code"]
    access = exchange(http, provider, code).json()["access_token"]
    replay = exchange(http, provider, code)
    assert replay.json()["error"] == "invalid_grant"
    assert "already used" in replay.json()["error_description"]
    assert http.get(api, headers=bearer(access)).status_code == 401


def test_code_expires_after_a_minute(provider: FakeIdP, http: httpx.Client, app: Any) -> None:
    code = sign_in(http, provider)["code"]
    provider.clock.advance(61)
    response = exchange(http, provider, code)
    assert response.json()["error"] == "invalid_grant"
    assert "expired at" in response.json()["error_description"]


def test_auto_approve_skips_the_page(provider: FakeIdP, http: httpx.Client, app: Any) -> None:
    provider.auto_approve = "ada"
    response = http.get(authorize_url(provider))
    assert response.status_code == 302
    params = redirected(response)
    assert response.headers["location"].startswith("http://127.0.0.1:53682/callback?")
    assert exchange(http, provider, params["code"]).status_code == 200
    with pytest.raises(LookupError, match="no user 'bob'"):
        provider.auto_approve = "bob"
    provider.auto_approve = None
    assert http.get(authorize_url(provider)).status_code == 200


def test_auto_approve_of_a_removed_user(provider: FakeIdP, http: httpx.Client, app: Any) -> None:
    provider.flow_settings.auto_approve = "ghost"
    page = http.get(authorize_url(provider))
    assert page.status_code == 400
    assert "auto_approve names user 'ghost'" in (alert(page.text) or "")


def test_deny_redirects_with_access_denied(provider: FakeIdP, http: httpx.Client, app: Any) -> None:
    page = http.get(authorize_url(provider))
    params = redirected(submit(http, page, provider.url_for("authorization"), action="deny"))
    assert params["error"] == "access_denied"
    assert params["state"] == "st-123"


def test_wrong_password_shows_the_page_again(
    provider: FakeIdP, http: httpx.Client, app: Any
) -> None:
    page = http.get(authorize_url(provider))
    again = submit(
        http,
        page,
        provider.url_for("authorization"),
        username="ada",
        password="guess",
        action="approve",
    )
    assert again.status_code == 401
    assert alert(again.text) == "Wrong username or password."
    assert "guess" not in again.text
    assert hidden_fields(again.text)["code_challenge"] == challenge()
    done = submit(
        http,
        again,
        provider.url_for("authorization"),
        username="ada",
        password="correct horse",
        action="approve",
    )
    assert "code" in redirected(done)


def test_csrf_is_required(provider: FakeIdP, http: httpx.Client, app: Any) -> None:
    page = http.get(authorize_url(provider))
    fields = {k: v for k, v in hidden_fields(page.text).items() if k != "csrf"}
    forged = http.post(
        provider.url_for("authorization"),
        data={**fields, "username": "ada", "password": "correct horse", "action": "approve"},
    )
    assert forged.status_code == 403
    assert "has expired or was not sent from this page" in (alert(forged.text) or "")


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        (
            {"code_challenge": None, "code_challenge_method": None},
            "invalid_request",
            "PKCE is required for public clients",
        ),
        (
            {"code_challenge_method": "plain", "code_challenge": VERIFIER},
            "invalid_request",
            "'plain' is refused",
        ),
        ({"code_challenge_method": "S512"}, "invalid_request", "'S512' is not supported"),
        ({"code_challenge": "short"}, "invalid_request", "43-128 characters"),
        ({"code_challenge": None}, "invalid_request", "without a code_challenge"),
        ({"response_type": "token"}, "unsupported_response_type", "only 'code'"),
        ({"response_type": None}, "invalid_request", "response_type parameter is missing"),
        ({"scope": "bad\\scope"}, "invalid_scope", "RFC 6749 section 3.3"),
        ({"prompt": "none"}, "login_required", "prompt=none"),
    ],
)
def test_errors_go_back_to_the_client(
    provider: FakeIdP,
    http: httpx.Client,
    app: Any,
    params: dict[str, str | None],
    error: str,
    message: str,
) -> None:
    response = http.get(authorize_url(provider, **params))
    got = redirected(response)
    assert got["error"] == error
    assert message in got["error_description"]
    assert got["state"] == "st-123"
    assert provider.journal.last(endpoint="authorization").error == error


def test_plain_pkce_when_switched_on(provider: FakeIdP, http: httpx.Client, app: Any) -> None:
    provider.flow_settings.allow_plain_pkce = True
    code = sign_in(http, provider, code_challenge=VERIFIER, code_challenge_method="plain")["code"]
    assert exchange(http, provider, code).status_code == 200


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"client_id": None}, "The request has no client_id"),
        ({"client_id": "ghost"}, "Unknown or disabled client 'ghost'."),
        ({"redirect_uri": "https://evil.example/callback"}, "is not registered for client 'app'"),
        ({"redirect_uri": "http://127.0.0.1:53682/callback/other"}, "is not registered"),
        ({"redirect_uri": "http://127.0.0.1:53682/callback?x=1"}, "is not registered"),
    ],
)
def test_untrusted_requests_get_a_page_not_a_redirect(
    provider: FakeIdP, http: httpx.Client, app: Any, params: dict[str, str | None], message: str
) -> None:
    response = http.get(authorize_url(provider, **params))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert message in (alert(response.text) or "")


def test_repeated_parameter_is_refused(provider: FakeIdP, http: httpx.Client, app: Any) -> None:
    response = http.get(authorize_url(provider) + "&state=again")
    assert response.status_code == 400
    assert alert(response.text) == "Parameter 'state' was sent more than once."


def test_client_without_redirect_uris(provider: FakeIdP, http: httpx.Client) -> None:
    provider.add_client("app", public=True)
    response = http.get(authorize_url(provider))
    assert "Pass redirect_uris=[...] to add_client()" in (alert(response.text) or "")


def test_redirect_uri_may_be_omitted_with_one_registered(
    provider: FakeIdP, http: httpx.Client
) -> None:
    provider.add_user("ada", "correct horse")
    provider.add_client("app", public=True, redirect_uris=["https://app.example/cb"])
    params = sign_in(http, provider, redirect_uri=None)
    assert exchange(http, provider, params["code"], redirect_uri=None).status_code == 200


def test_several_registered_need_one_named(provider: FakeIdP, http: httpx.Client) -> None:
    provider.add_client(
        "app", public=True, redirect_uris=["https://a.example/cb", "https://b.example/cb"]
    )
    response = http.get(authorize_url(provider, redirect_uri=None))
    assert "must name one in redirect_uri" in (alert(response.text) or "")


def test_exact_match_for_non_loopback(provider: FakeIdP, http: httpx.Client) -> None:
    provider.add_client("app", public=True, redirect_uris=["https://app.example/cb"])
    for wrong in (
        "https://app.example:8443/cb",
        "https://app.example/cb/",
        "http://app.example/cb",
    ):
        assert http.get(authorize_url(provider, redirect_uri=wrong)).status_code == 400


def test_redirect_uri_must_match_at_the_token_endpoint(
    provider: FakeIdP, http: httpx.Client, app: Any
) -> None:
    code = sign_in(http, provider)["code"]
    response = exchange(http, provider, code, redirect_uri="http://127.0.0.1:1/callback")
    assert response.json()["error"] == "invalid_grant"
    assert "redirect_uri does not match" in response.json()["error_description"]


@pytest.mark.parametrize(
    ("verifier", "message"),
    [
        (None, "send code_verifier"),
        ("x" * 43, "does not match the code_challenge"),
        ("short", "43-128 characters"),
    ],
)
def test_bad_verifier(
    provider: FakeIdP, http: httpx.Client, app: Any, verifier: str | None, message: str
) -> None:
    code = sign_in(http, provider)["code"]
    response = exchange(http, provider, code, code_verifier=verifier)
    assert response.json()["error"] == "invalid_grant"
    assert message in response.json()["error_description"]


def test_unknown_code_and_other_client(provider: FakeIdP, http: httpx.Client, app: Any) -> None:
    assert exchange(http, provider, "nope").json()["error"] == "invalid_grant"
    assert exchange(http, provider, None).json()["error"] == "invalid_request"  # type: ignore[arg-type]
    provider.add_client("other", public=True)
    code = sign_in(http, provider)["code"]
    response = exchange(http, provider, code, client_id="other")
    assert "another client" in response.json()["error_description"]


def test_confidential_client_without_pkce(provider: FakeIdP, http: httpx.Client) -> None:
    provider.add_user("ada", "correct horse")
    web = provider.add_client("app", "s3cret", redirect_uris=["https://app.example/cb"])
    params = sign_in(
        http,
        provider,
        redirect_uri="https://app.example/cb",
        code_challenge=None,
        code_challenge_method=None,
    )
    token_url = provider.url_for("token")
    form = {
        "grant_type": "authorization_code",
        "code": params["code"],
        "redirect_uri": "https://app.example/cb",
    }
    downgrade = http.post(
        token_url, data={**form, "code_verifier": VERIFIER}, auth=(web.client_id, "s3cret")
    )
    assert "had no PKCE" in downgrade.json()["error_description"]
    http.cookies.clear()  # another browser: no session, so the page is shown again
    params = sign_in(
        http,
        provider,
        redirect_uri="https://app.example/cb",
        code_challenge=None,
        code_challenge_method=None,
    )
    form["code"] = params["code"]
    assert http.post(token_url, data=form, auth=(web.client_id, "s3cret")).status_code == 200
    provider.flow_settings.require_pkce_for_confidential = True
    got = redirected(
        http.get(
            authorize_url(
                provider,
                redirect_uri="https://app.example/cb",
                code_challenge=None,
                code_challenge_method=None,
            )
        )
    )
    assert "PKCE is required for every client" in got["error_description"]


def test_client_without_the_grant(provider: FakeIdP, http: httpx.Client) -> None:
    provider.add_client("app", public=True, grant_types=["password"], redirect_uris=[APP])
    got = redirected(http.get(authorize_url(provider)))
    assert got["error"] == "unauthorized_client"


@pytest.mark.parametrize(
    ("uris", "error", "message"),
    [
        ("https://app.example/cb", TypeError, "not the string"),
        (["/relative"], ValueError, "must be absolute"),
        (["https://app.example/cb#frag"], ValueError, "has a fragment"),
        (["https:///cb"], ValueError, "has no host"),
    ],
)
def test_redirect_uris_are_validated(
    idp: FakeIdP, uris: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        idp.add_client(redirect_uris=uris)


def test_native_app_schemes_are_accepted(idp: FakeIdP) -> None:
    client = idp.add_client(
        public=True, redirect_uris=["com.example.app:/oauth2redirect", "http://[::1]/cb"]
    )
    assert client.redirect_uris == ("com.example.app:/oauth2redirect", "http://[::1]/cb")
