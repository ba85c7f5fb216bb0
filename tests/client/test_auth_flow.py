"""The httpx.Auth flows driven as generators: next, send, StopIteration."""

from __future__ import annotations

import itertools

import httpx
import pytest

from pytest_authmock.client import (
    BearerAuth,
    ClientCredentialsGrant,
    LoginRequired,
    OAuth2Auth,
    OAuthClient,
    Token,
    TokenManager,
)

ISSUER = "https://idp.example"
META = {"issuer": ISSUER, "token_endpoint": ISSUER + "/token"}
INVALID = {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="expired"'}


class FakeIssuer:
    """A MockTransport provider issuing tok-1, tok-2, ...; records token requests."""

    def __init__(self) -> None:
        self.token_requests: list[dict[str, str]] = []
        self.counter = itertools.count(1)
        self.refresh_answer: httpx.Response | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("openid-configuration"):
            return httpx.Response(200, json=META)
        form = dict(httpx.QueryParams(request.content.decode()))
        self.token_requests.append(form)
        if form["grant_type"] == "refresh_token" and self.refresh_answer is not None:
            return self.refresh_answer
        n = next(self.counter)
        return httpx.Response(
            200,
            json={"access_token": f"tok-{n}", "expires_in": 3600, "refresh_token": f"rt-{n}"},
        )

    def oauth(self) -> OAuthClient:
        http = httpx.Client(transport=httpx.MockTransport(self))
        return OAuthClient(ISSUER, client_id="c", client_secret="s", http_client=http)


class Sent:
    """A snapshot of a yielded request (the flow may mutate the object later)."""

    def __init__(self, request: httpx.Request) -> None:
        self.request = request
        self.headers = dict(request.headers)
        self.content = request.content


def drive(auth: httpx.Auth, request: httpx.Request, *statuses: tuple[int, dict[str, str]]):
    """Run the sync flow, answering each yielded request; return what was sent."""
    flow = auth.sync_auth_flow(request)
    sent = [Sent(next(flow))]
    for status, headers in statuses:
        try:
            answer = httpx.Response(status, headers=headers, request=sent[-1].request)
            sent.append(Sent(flow.send(answer)))
        except StopIteration:
            return sent
    return sent


def request(body: bytes = b"") -> httpx.Request:
    return httpx.Request("POST", "https://api.example/things", content=body)


def test_bearer_auth_sets_the_header_and_does_not_retry() -> None:
    sent = drive(BearerAuth("abc"), request(), (401, INVALID))
    assert len(sent) == 1
    assert sent[0].headers["authorization"] == "Bearer abc"


@pytest.mark.parametrize("bad", ["", "a\nb"])
def test_bearer_auth_rejects_bad_tokens(bad: str) -> None:
    with pytest.raises(ValueError, match="single line"):
        BearerAuth(bad)


def test_first_request_fetches_a_token_then_reuses_it() -> None:
    issuer = FakeIssuer()
    auth = OAuth2Auth.client_credentials(issuer.oauth())
    for _ in range(3):
        sent = drive(auth, request(), (200, {}))
        assert len(sent) == 1
        assert sent[0].headers["authorization"] == "Bearer tok-1"
    assert len(issuer.token_requests) == 1


def test_401_invalid_token_renews_once_and_resends_the_body() -> None:
    issuer = FakeIssuer()
    auth = OAuth2Auth.client_credentials(issuer.oauth())
    sent = drive(auth, request(b'{"x": 1}'), (401, INVALID), (200, {}))
    assert [r.headers["authorization"] for r in sent] == ["Bearer tok-1", "Bearer tok-2"]
    assert sent[1].content == b'{"x": 1}'
    # The rejected client-credentials token had a refresh token: refresh is tried first.
    assert [f["grant_type"] for f in issuer.token_requests] == [
        "client_credentials",
        "refresh_token",
    ]


def test_a_second_401_is_returned_not_looped() -> None:
    issuer = FakeIssuer()
    auth = OAuth2Auth.client_credentials(issuer.oauth())
    flow = auth.sync_auth_flow(request())
    first = next(flow)
    second = flow.send(httpx.Response(401, headers=INVALID, request=first))
    with pytest.raises(StopIteration):
        flow.send(httpx.Response(401, headers=INVALID, request=second))
    assert len(issuer.token_requests) == 2


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (401, {"WWW-Authenticate": 'Bearer realm="api"'}),
        (403, {"WWW-Authenticate": 'Bearer error="insufficient_scope"'}),
        (401, {}),
        (500, {}),
    ],
)
def test_other_failures_are_not_retried(status: int, headers: dict[str, str]) -> None:
    issuer = FakeIssuer()
    auth = OAuth2Auth.client_credentials(issuer.oauth())
    assert len(drive(auth, request(), (status, headers))) == 1
    assert len(issuer.token_requests) == 1


def test_static_token_without_refresh_hands_back_the_401() -> None:
    issuer = FakeIssuer()
    auth = OAuth2Auth.from_token(issuer.oauth(), Token(access_token="fixed"))
    sent = drive(auth, request(), (401, INVALID))
    assert len(sent) == 1
    assert issuer.token_requests == []


def test_proactive_refresh_uses_the_refresh_token_before_expiry() -> None:
    now = [1000.0]
    issuer = FakeIssuer()
    oauth = issuer.oauth()
    oauth.clock = lambda: now[0]
    token = Token(access_token="old", refresh_token="rt-0", expires_at=1100.0, issued_at=0.0)
    auth = OAuth2Auth.from_token(oauth, token, leeway=30)
    assert drive(auth, request(), (200, {}))[0].headers["authorization"] == "Bearer old"
    now[0] = 1071.0  # within 30 s of expiry
    assert drive(auth, request(), (200, {}))[0].headers["authorization"] == "Bearer tok-1"
    assert issuer.token_requests == [{"grant_type": "refresh_token", "refresh_token": "rt-0"}]
    # The new token's expiry is counted from the client's clock at send time.
    assert auth.manager.token is not None
    assert auth.manager.token.expires_at == 1071.0 + 3600


def test_rejected_refresh_falls_back_to_client_credentials() -> None:
    issuer = FakeIssuer()
    issuer.refresh_answer = httpx.Response(400, json={"error": "invalid_grant"})
    oauth = issuer.oauth()
    expired = Token(access_token="old", refresh_token="rt-0", expires_at=0.0)
    manager = TokenManager(oauth, ClientCredentialsGrant(), token=expired)
    assert manager.get_token().access_token == "tok-1"
    assert [f["grant_type"] for f in issuer.token_requests] == [
        "refresh_token",
        "client_credentials",
    ]


def test_rejected_refresh_without_a_reusable_grant_asks_to_log_in_again() -> None:
    issuer = FakeIssuer()
    issuer.refresh_answer = httpx.Response(
        400, json={"error": "invalid_grant", "error_description": "refresh token was revoked"}
    )
    expired = Token(access_token="old", refresh_token="rt-0", expires_at=0.0)
    manager = TokenManager(issuer.oauth(), token=expired)
    with pytest.raises(LoginRequired, match="log in again") as info:
        manager.get_token()
    assert "revoked" in str(info.value)
    assert manager.token is None


def test_expired_token_without_refresh_token_asks_to_log_in_again() -> None:
    issuer = FakeIssuer()
    manager = TokenManager(issuer.oauth(), token=Token(access_token="old", expires_at=0.0))
    with pytest.raises(LoginRequired, match="expired at 1970-01-01"):
        manager.get_token()
    assert issuer.token_requests == []


def test_password_is_used_once_then_refresh() -> None:
    issuer = FakeIssuer()
    auth = OAuth2Auth.password(issuer.oauth(), "alice", "pw")
    drive(auth, request(), (401, INVALID), (200, {}))
    assert [f["grant_type"] for f in issuer.token_requests] == ["password", "refresh_token"]
    assert "pw" not in repr(auth)


def test_manager_rejects_bad_arguments() -> None:
    oauth = FakeIssuer().oauth()
    with pytest.raises(TypeError, match="grant, a token"):
        TokenManager(oauth)
    with pytest.raises(ValueError, match="leeway"):
        TokenManager(oauth, ClientCredentialsGrant(), leeway=-1)


def test_invalidate_is_ignored_for_a_token_already_replaced() -> None:
    issuer = FakeIssuer()
    manager = TokenManager(issuer.oauth(), ClientCredentialsGrant())
    first = manager.get_token()
    manager.invalidate(first)
    second = manager.get_token()
    manager.invalidate(first)  # a late 401 for the old token
    assert manager.get_token() is second
    assert len(issuer.token_requests) == 2
