"""Browser sessions of the sign-in page, and RP-initiated logout (OIDC RP-Initiated Logout 1.0)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from pytest_authmock import FakeIdP
from tests.flows.helpers import VERIFIER, alert, challenge, hidden_fields, status_text, submit

CALLBACK = "https://app.example/cb"
AFTER = "https://app.example/signed-out"


@pytest.fixture
def app(provider: FakeIdP) -> Any:
    provider.add_user("ada", "correct horse")
    return provider.add_client(
        "app", "s3cret", redirect_uris=[CALLBACK], post_logout_redirect_uris=[AFTER]
    )


def authorize(http: httpx.Client, idp: FakeIdP, **extra: str) -> httpx.Response:
    params = {
        "response_type": "code",
        "client_id": "app",
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "state": "st",
        "code_challenge": challenge(),
        "code_challenge_method": "S256",
        **extra,
    }
    return http.get(idp.url_for("authorization"), params=params)


def code_of(response: httpx.Response) -> str:
    assert response.status_code in (302, 303), response.text
    return str(httpx.URL(response.headers["location"]).params["code"])


def sign_in(http: httpx.Client, idp: FakeIdP) -> str:
    """Sign in on the page; the code."""
    page = authorize(http, idp)
    assert page.status_code == 200, page.text
    done = submit(
        http,
        page,
        idp.url_for("authorization"),
        username="ada",
        password="correct horse",
        action="approve",
    )
    return code_of(done)


def tokens(http: httpx.Client, idp: FakeIdP, code: str) -> dict[str, Any]:
    answer = http.post(
        idp.url_for("token"),
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": VERIFIER,
        },
        auth=("app", "s3cret"),
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def logout(http: httpx.Client, idp: FakeIdP, **params: str) -> httpx.Response:
    return http.get(idp.metadata()["end_session_endpoint"], params=params)


def claims(idp: FakeIdP, id_token: str) -> dict[str, Any]:
    return dict(jwt.decode(id_token, KeySet.import_key_set(idp.keys.jwks())).claims)


# -- the browser session -------------------------------------------------------------


def test_a_second_login_from_the_same_browser_needs_no_page(
    provider: FakeIdP, http: httpx.Client, app: Any
) -> None:
    first = tokens(http, provider, sign_in(http, provider))
    signed_in_at = claims(provider, first["id_token"])["auth_time"]
    (session,) = provider.browser_sessions("ada")
    assert "sid=<sha256:" in repr(session)
    provider.clock.advance(120)
    again = tokens(http, provider, code_of(authorize(http, provider)))
    # OIDC Core §2: auth_time is when the user signed in, not when the code was issued.
    assert claims(provider, again["id_token"])["auth_time"] == signed_in_at
    assert claims(provider, again["id_token"])["iat"] >= signed_in_at + 120


def test_prompt_login_and_none(provider: FakeIdP, http: httpx.Client, app: Any) -> None:
    refused = authorize(http, provider, prompt="none")
    assert httpx.URL(refused.headers["location"]).params["error"] == "login_required"
    sign_in(http, provider)
    assert authorize(http, provider, prompt="login").status_code == 200  # the page again
    assert code_of(authorize(http, provider, prompt="none"))


def test_sessions_can_be_switched_off(provider: FakeIdP, http: httpx.Client, app: Any) -> None:
    provider.protocol_settings.browser_sessions = False
    sign_in(http, provider)
    assert not provider.browser_sessions()
    assert authorize(http, provider).status_code == 200


def test_a_disabled_user_has_no_session(provider: FakeIdP, http: httpx.Client, app: Any) -> None:
    sign_in(http, provider)
    provider.disable_user("ada")
    assert authorize(http, provider).status_code == 200


def test_the_test_can_end_sessions(provider: FakeIdP, http: httpx.Client, app: Any) -> None:
    sign_in(http, provider)
    assert provider.end_browser_sessions("ada") == 1
    assert provider.browser_sessions() == []
    assert authorize(http, provider).status_code == 200


# -- RP-initiated logout -------------------------------------------------------------


def test_metadata(provider: FakeIdP) -> None:
    assert provider.metadata()["end_session_endpoint"] == provider.issuer + "/oauth2/logout"


def test_logout_with_the_id_token_ends_the_session(
    provider: FakeIdP, http: httpx.Client, app: Any
) -> None:
    id_token = tokens(http, provider, sign_in(http, provider))["id_token"]
    answer = logout(
        http, provider, id_token_hint=id_token, post_logout_redirect_uri=AFTER, state="bye-1"
    )
    assert answer.status_code == 302
    assert answer.headers["location"] == AFTER + "?state=bye-1"
    assert "authmock_session=;" in answer.headers["set-cookie"]
    assert "Max-Age=0" in answer.headers["set-cookie"]
    assert provider.browser_sessions() == []
    # The next login asks to sign in again.
    assert authorize(http, provider).status_code == 200
    provider.journal.assert_count(1, endpoint="end_session", client_id="app", username="ada")


def test_an_expired_id_token_still_identifies_the_user(
    provider: FakeIdP, http: httpx.Client, app: Any
) -> None:
    id_token = tokens(http, provider, sign_in(http, provider))["id_token"]
    provider.clock.advance(2 * 3600)
    answer = logout(http, provider, id_token_hint=id_token, post_logout_redirect_uri=AFTER)
    assert answer.headers["location"] == AFTER


def test_the_redirect_uri_must_be_registered_exactly(
    provider: FakeIdP, http: httpx.Client, app: Any
) -> None:
    id_token = tokens(http, provider, sign_in(http, provider))["id_token"]
    for near_miss in (AFTER + "/", "https://evil.example/", AFTER + "?x=1"):
        answer = logout(http, provider, id_token_hint=id_token, post_logout_redirect_uri=near_miss)
        assert answer.status_code == 400
        assert "location" not in answer.headers
        assert "must match exactly" in (alert(answer.text) or "")
    assert provider.browser_sessions("ada")  # nothing was ended


def test_a_redirect_needs_to_know_the_client(
    provider: FakeIdP, http: httpx.Client, app: Any
) -> None:
    answer = logout(http, provider, post_logout_redirect_uri=AFTER)
    assert answer.status_code == 400
    assert "send id_token_hint or client_id" in (alert(answer.text) or "")


@pytest.mark.parametrize(
    ("hint", "words"),
    [
        ("not-a-jwt", "not an ID token signed by this provider"),
        (
            "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.",  # alg none
            "not an ID token signed by this provider",
        ),
    ],
)
def test_a_bad_id_token_hint(
    provider: FakeIdP, http: httpx.Client, app: Any, hint: str, words: str
) -> None:
    answer = logout(http, provider, id_token_hint=hint)
    assert answer.status_code == 400
    assert words in (alert(answer.text) or "")


def test_a_token_of_another_issuer(http: httpx.Client, provider: FakeIdP, app: Any) -> None:
    other = FakeIdP(issuer="https://other.authmock.test")
    foreign = other.internals.minter.id_token(
        client=other.add_client(), user=other.add_user(), scope=("openid",), access_token="x"
    )
    answer = logout(http, provider, id_token_hint=foreign)
    assert answer.status_code == 400


def test_client_id_must_be_the_tokens_audience(
    provider: FakeIdP, http: httpx.Client, app: Any
) -> None:
    provider.add_client("other", "x", post_logout_redirect_uris=[AFTER])
    id_token = tokens(http, provider, sign_in(http, provider))["id_token"]
    answer = logout(http, provider, id_token_hint=id_token, client_id="other")
    assert answer.status_code == 400
    assert "not the audience" in (alert(answer.text) or "")


def test_without_the_id_token_the_user_is_asked(
    provider: FakeIdP, http: httpx.Client, app: Any
) -> None:
    sign_in(http, provider)
    page = logout(http, provider, client_id="app", post_logout_redirect_uri=AFTER, state="s2")
    assert page.status_code == 200
    assert "signed in as <strong>ada</strong>" in page.text
    assert provider.browser_sessions("ada")  # not yet
    url = provider.metadata()["end_session_endpoint"]
    stay = submit(http, page, url, action="stay")
    assert status_text(stay.text) == "You stay signed in."
    assert code_of(authorize(http, provider))  # still signed in
    page = logout(http, provider, client_id="app", post_logout_redirect_uri=AFTER, state="s2")
    forged = http.post(url, data={**hidden_fields(page.text), "csrf": "forged", "action": "logout"})
    assert forged.status_code == 403
    done = submit(http, page, url, action="logout")
    assert done.status_code == 303
    assert done.headers["location"] == AFTER + "?state=s2"
    assert provider.browser_sessions() == []


def test_without_anything_to_end(provider: FakeIdP, http: httpx.Client) -> None:
    answer = logout(http, provider)
    assert answer.status_code == 200
    assert status_text(answer.text) == "You are signed out. You can close this window."


def test_the_id_token_ends_the_users_sessions_from_elsewhere(
    provider: FakeIdP, http: httpx.Client, app: Any
) -> None:
    id_token = tokens(http, provider, sign_in(http, provider))["id_token"]
    with httpx.Client(verify=getattr(provider, "httpx_verify", True)) as cli:  # no cookie
        answer = logout(cli, provider, id_token_hint=id_token)
    assert answer.status_code == 200
    assert provider.browser_sessions() == []
    assert authorize(http, provider).status_code == 200


def test_switched_off(provider: FakeIdP, http: httpx.Client) -> None:
    url = provider.metadata()["end_session_endpoint"]
    provider.protocol_settings.end_session = False
    assert "end_session_endpoint" not in provider.metadata()
    assert http.get(url).status_code == 404
