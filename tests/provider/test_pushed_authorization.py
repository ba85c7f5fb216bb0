"""Pushed authorization requests (RFC 9126), over both transports."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_authmock import FakeIdP
from tests.flows.helpers import VERIFIER, alert, challenge, hidden_fields, submit

REDIRECT = "https://app.example/cb"
ORDERS = "https://orders.example.com/"
BILLING = "https://billing.example.com/"


@pytest.fixture
def web(provider: FakeIdP) -> Any:
    provider.add_user("ada", "correct horse")
    return provider.add_client("web", "s3cret", redirect_uris=[REDIRECT])


def request_params(**extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "web",
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "st-1",
        "code_challenge": challenge(),
        "code_challenge_method": "S256",
        **extra,
    }


def push(http: httpx.Client, idp: FakeIdP, data: Any = None, **kwargs: Any) -> httpx.Response:
    kwargs.setdefault("auth", ("web", "s3cret"))
    return http.post(
        idp.metadata()["pushed_authorization_request_endpoint"],
        data=request_params() if data is None else data,
        **kwargs,
    )


def authorize(http: httpx.Client, idp: FakeIdP, request_uri: str, client_id: str = "web") -> Any:
    return http.get(
        idp.url_for("authorization"), params={"client_id": client_id, "request_uri": request_uri}
    )


def error_of(response: httpx.Response, status: int = 400) -> tuple[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    return body["error"], body["error_description"]


def test_metadata(provider: FakeIdP) -> None:
    meta = provider.metadata()
    assert meta["pushed_authorization_request_endpoint"] == provider.issuer + "/oauth2/par"
    assert meta["require_pushed_authorization_requests"] is False


def test_push_sign_in_and_exchange(provider: FakeIdP, http: httpx.Client, web: Any) -> None:
    pushed = push(http, provider)
    assert pushed.status_code == 201, pushed.text
    assert pushed.headers["cache-control"] == "no-store"
    body = pushed.json()
    assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert body["expires_in"] == 60
    page = authorize(http, provider, body["request_uri"])
    assert page.status_code == 200
    # The form carries the reference, not the parameters.
    carried = hidden_fields(page.text)
    assert carried["request_uri"] == body["request_uri"]
    assert "code_challenge" not in carried
    # A reload of the page does not spend the request.
    page = authorize(http, provider, body["request_uri"])
    done = submit(
        http,
        page,
        provider.url_for("authorization"),
        username="ada",
        password="correct horse",
        action="approve",
    )
    assert done.status_code == 303, done.text
    answer = httpx.URL(done.headers["location"]).params
    assert answer["state"] == "st-1"
    tokens = http.post(
        provider.url_for("token"),
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": VERIFIER,
        },
        auth=("web", "s3cret"),
    )
    assert tokens.status_code == 200, tokens.text
    provider.journal.assert_count(1, endpoint="pushed_authorization_request", client_id="web")


def test_a_request_uri_works_once(provider: FakeIdP, http: httpx.Client, web: Any) -> None:
    provider.auto_approve = "ada"
    request_uri = push(http, provider).json()["request_uri"]
    assert authorize(http, provider, request_uri).status_code == 302
    again = authorize(http, provider, request_uri)
    assert again.status_code == 400
    assert "already used" in (alert(again.text) or "")
    provider.journal.assert_count(1, endpoint="authorization", error="invalid_request_uri")


def test_a_request_uri_expires(provider: FakeIdP, http: httpx.Client, web: Any) -> None:
    provider.protocol_settings.request_uri_ttl = 30
    body = push(http, provider).json()
    assert body["expires_in"] == 30
    provider.clock.advance(31)
    late = authorize(http, provider, body["request_uri"])
    assert late.status_code == 400
    assert "expired" in (alert(late.text) or "")


def test_only_the_client_that_pushed_may_use_it(
    provider: FakeIdP, http: httpx.Client, web: Any
) -> None:
    provider.add_client("other", "x", redirect_uris=[REDIRECT])
    request_uri = push(http, provider).json()["request_uri"]
    stolen = authorize(http, provider, request_uri, client_id="other")
    assert "another client" in (alert(stolen.text) or "")
    unknown = authorize(http, provider, "urn:ietf:params:oauth:request_uri:made-up")
    assert "unknown" in (alert(unknown.text) or "")
    without_client = http.get(
        provider.url_for("authorization"), params={"request_uri": request_uri}
    )
    assert "client_id" in (alert(without_client.text) or "")


def test_confidential_clients_authenticate(provider: FakeIdP, http: httpx.Client, web: Any) -> None:
    error, _ = error_of(push(http, provider, auth=None), 401)
    assert error == "invalid_client"
    wrong, _ = error_of(push(http, provider, auth=("web", "guess")), 401)
    assert wrong == "invalid_client"


def test_a_public_client_pushes_with_its_id(provider: FakeIdP, http: httpx.Client) -> None:
    provider.add_client("cli", public=True, redirect_uris=["http://127.0.0.1/cb"])
    data = request_params(client_id="cli", redirect_uri="http://127.0.0.1:9000/cb")
    pushed = push(http, provider, data, auth=None)
    assert pushed.status_code == 201, pushed.text


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"redirect_uri": "https://evil.example/cb"}, "invalid_request", "not registered"),
        ({"response_type": None}, "invalid_request", "response_type"),
        ({"code_challenge_method": "plain"}, "invalid_request", "plain"),
        ({"resource": "not a uri"}, "invalid_target", "absolute URI"),
        ({"request_uri": "urn:x"}, "invalid_request", "must not carry request_uri"),
    ],
)
def test_errors_are_answered_not_redirected(
    provider: FakeIdP, http: httpx.Client, web: Any, change: dict[str, Any], error: str, words: str
) -> None:
    data = {k: v for k, v in {**request_params(), **change}.items() if v is not None}
    found, description = error_of(push(http, provider, data))
    assert found == error
    assert words in description


def test_scope_is_checked(provider: FakeIdP, http: httpx.Client) -> None:
    provider.add_client("narrow", "x", redirect_uris=[REDIRECT], scopes=["openid"])
    data = request_params(client_id="narrow", scope="openid admin")
    assert error_of(push(http, provider, data, auth=("narrow", "x")))[0] == "invalid_scope"


def test_pushed_resources_bound_the_code(provider: FakeIdP, http: httpx.Client, web: Any) -> None:
    provider.auto_approve = "ada"
    form = httpx.QueryParams(
        [*request_params().items(), ("resource", ORDERS), ("resource", BILLING)]
    )
    request_uri = http.post(
        provider.metadata()["pushed_authorization_request_endpoint"],
        content=str(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=("web", "s3cret"),
    ).json()["request_uri"]
    code = httpx.URL(authorize(http, provider, request_uri).headers["location"]).params["code"]
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": VERIFIER,
        "resource": "https://other.example.com/",
    }
    refused = http.post(provider.url_for("token"), data=exchange, auth=("web", "s3cret"))
    assert error_of(refused)[0] == "invalid_target"


def test_required_for_the_provider(provider: FakeIdP, http: httpx.Client, web: Any) -> None:
    provider.auto_approve = "ada"
    provider.protocol_settings.require_pushed_authorization_requests = True
    assert provider.metadata()["require_pushed_authorization_requests"] is True
    plain = http.get(provider.url_for("authorization"), params=request_params())
    assert plain.status_code == 302
    refused = httpx.URL(plain.headers["location"]).params
    assert refused["error"] == "invalid_request"
    assert "RFC 9126" in refused["error_description"]
    request_uri = push(http, provider).json()["request_uri"]
    assert "code" in httpx.URL(authorize(http, provider, request_uri).headers["location"]).params


def test_required_for_one_client(provider: FakeIdP, http: httpx.Client) -> None:
    provider.auto_approve = provider.add_user()
    provider.add_client(
        "strict", "x", redirect_uris=[REDIRECT], require_pushed_authorization_requests=True
    )
    plain = http.get(provider.url_for("authorization"), params=request_params(client_id="strict"))
    assert (
        "client 'strict' requires pushed"
        in httpx.URL(plain.headers["location"]).params["error_description"]
    )


def test_switched_off(provider: FakeIdP, http: httpx.Client, web: Any) -> None:
    url = provider.metadata()["pushed_authorization_request_endpoint"]
    provider.protocol_settings.pushed_authorization_requests = False
    provider.protocol_settings.require_pushed_authorization_requests = True  # ignored without PAR
    meta = provider.metadata()
    assert "pushed_authorization_request_endpoint" not in meta
    assert "require_pushed_authorization_requests" not in meta
    assert (
        error_of(http.post(url, data=request_params(), auth=("web", "s3cret")), 404)[0]
        == "not_found"
    )
    page = http.get(provider.url_for("authorization"), params=request_params())
    assert page.status_code == 200  # the sign-in page: no PAR required


def test_a_provider_without_the_code_grant_has_no_par_and_no_logout() -> None:
    idp = FakeIdP(grant_types=("client_credentials",))
    meta = idp.metadata()
    for name in ("pushed_authorization_request_endpoint", "end_session_endpoint"):
        assert name not in meta
    assert "registration_endpoint" in meta  # registration is no browser flow
    with httpx.Client(transport=httpx.MockTransport(idp.handler)) as http:
        assert http.post(idp.issuer + "/oauth2/par", data=request_params()).status_code == 404
        assert http.get(idp.issuer + "/oauth2/logout").status_code == 404
