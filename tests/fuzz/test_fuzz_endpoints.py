"""Property: no request, however malformed, gets a 5xx, a traceback or no answer.

Every endpoint (see ``endpoints.py``) over both transports receives random
malformed requests: form and JSON bodies, duplicate parameters, wrong content
types, invalid UTF-8, huge values, bad ``Authorization`` headers, odd methods and
hostile JOSE headers. After each one the provider must still issue a token.
"""

from __future__ import annotations

import base64
import concurrent.futures
import dataclasses
import json
import re
import secrets
from typing import Any

import httpx
import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from pytest_authmock import Client, FakeIdP, User
from pytest_authmock.provider.dpop import access_token_hash
from tests.fuzz.baselines import requests_for
from tests.fuzz.conftest import fuzz_settings, seeded
from tests.fuzz.endpoints import DISCOVERY
from tests.fuzz.keys import TRUSTED_ISSUER, public_jwk
from tests.fuzz.plans import Now, RequestPlan, SignedJWT, Template, render, urlencode

#: Longer than any answer the provider may take, short enough to fail a hang fast.
TIMEOUT = 15.0
MAX_QUERY = 48 * 1024
#: RFC 6749 §5.2: the characters ``error`` and ``error_description`` may contain.
ERROR_CODE = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]+")
#: An ``error_description`` auth-param of a challenge, escapes and all (RFC 9110 §5.6.4).
CHALLENGE_DESCRIPTION = re.compile(r'error_description="((?:[^"\\]|\\.)*)"')
_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")
TRACEBACK = re.compile(r'Traceback \(most recent call last\)|File "[^"]+", line \d+')
_pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="fuzz")


@dataclasses.dataclass
class Target:
    """The provider under test and the live values the plans refer to."""

    idp: FakeIdP
    http: httpx.Client
    client: Client
    user: User
    resource: str
    live: dict[str, str] = dataclasses.field(default_factory=dict)

    def refresh(self) -> None:
        """Replace live values an earlier example used up (revoked, consumed, denied)."""
        idp, live = self.idp, self.live
        admin = live.get("admin")
        if admin is None or not idp.check_bearer(f"Bearer {admin}").ok:
            tokens = self.token(
                grant_type="password",
                username=self.user.username,
                password=self.user.password,
                scope="openid read api_tokens:admin",
            )
            live.update(admin=tokens["access_token"], refresh=tokens["refresh_token"])
        if not any(t.id == live.get("api_token_id") for t in idp.api_tokens()):
            made = idp.create_api_token(self.user, client=self.client, scopes=["read"])
            live.update(api_token=made.token, api_token_id=made.id)
        if not idp.device_authorizations():
            device = self.post("device_authorization_endpoint", scope="openid")
            # RFC 8628 §3.2: the codes, and the pages the user is sent to.
            live.update({k: v for k, v in device.items() if isinstance(v, str)})
        if live.get("reg_client_id") not in idp.clients:
            self.register()
        record = idp._ctx.store.tokens.get(live.get("dpop_token", ""))
        if record is None or record.revoked or record.expired(idp.clock.now()):
            self.dpop_token()

    def register(self) -> None:
        """A dynamically registered client (RFC 7591), to fuzz its management (RFC 7592)."""
        answer = self.http.post(
            self.idp.metadata()["registration_endpoint"],
            json={"redirect_uris": ["https://app.fuzz.example/cb"], "client_name": "fuzz"},
        )
        assert answer.status_code == 201, answer.text
        body = answer.json()
        self.live.update(
            reg_client_id=body["client_id"],
            reg_token=body["registration_access_token"],
            registration_client_uri=body["registration_client_uri"],
        )

    def dpop_token(self) -> None:
        """A DPoP-bound access token (RFC 9449 §5), for the resource's DPoP checks."""
        url = self.idp.metadata()["token_endpoint"]
        claims = {"jti": secrets.token_urlsafe(8), "htm": "POST", "htu": url}
        proof = SignedJWT(
            {"typ": "dpop+jwt", "alg": "ES256", "jwk": public_jwk("dpop")},
            {**claims, "iat": Now(0)},
            "dpop",
        ).render({"now": str(self.idp.clock.now())})
        assert self.client.client_secret is not None
        answer = self.http.post(
            url,
            data={"grant_type": "client_credentials", "scope": "read"},
            auth=(self.client.client_id, self.client.client_secret),
            headers={"DPoP": proof},
        )
        assert answer.status_code == 200, answer.text
        token = answer.json()["access_token"]
        self.live.update(dpop_token=token, dpop_ath=access_token_hash(token))

    def post(self, endpoint: str, **form: str) -> dict[str, Any]:
        assert self.client.client_secret is not None
        response = self.http.post(
            self.idp.metadata()[endpoint],
            data=form,
            auth=(self.client.client_id, self.client.client_secret),
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def token(self, **form: str) -> dict[str, Any]:
        return self.post("token_endpoint", **form)

    def url(self, endpoint: str) -> str:
        metadata = self.idp.metadata()
        if endpoint in metadata:
            return str(metadata[endpoint])
        if endpoint in DISCOVERY:
            return self.idp.issuer + endpoint
        if endpoint in ("verification_uri", "verification_uri_complete"):
            return self.live[endpoint]
        if endpoint == "registration_item":
            return self.live["registration_client_uri"]
        if endpoint == "api_token_item":
            return f"{metadata['api_tokens_endpoint']}/{self.live['api_token_id']}"
        if endpoint == "protected_resource":
            return self.resource
        assert endpoint == "unknown_path", endpoint
        return self.idp.issuer + "/no/such/endpoint"


@pytest.fixture
def target(provider: FakeIdP, http: httpx.Client) -> Target:
    client = provider.add_client(
        redirect_uris=["https://app.authmock.test/callback"],
        post_logout_redirect_uris=["https://app.authmock.test/bye"],
    )
    # RFC 7523: a client authenticating with JWTs, and an issuer whose JWTs are grants.
    jwt_client = provider.add_client(
        jwks={"keys": [public_jwk("client")]}, token_endpoint_auth_method="private_key_jwt"
    )
    provider.trust_issuer(TRUSTED_ISSUER, jwks={"keys": [public_jwk("issuer")]})
    user = provider.add_user()
    # The loopback server routes only its own origin, so the API lives there too.
    resource = provider.issuer + "/api/fuzzed"
    provider.protect(resource, scopes=["read"])
    found = Target(provider, http, client, user, resource)
    found.live.update(
        client_id=client.client_id,
        client_secret=client.client_secret or "",
        username=user.username,
        password=user.password,
        redirect_uri="https://app.authmock.test/callback",
        kid=provider.keys.kid,
        issuer=provider.issuer,
        jwt_client_id=jwt_client.client_id,
        token_url=provider.metadata()["token_endpoint"],
    )
    found.refresh()
    found.live["id_token"] = found.token(
        grant_type="password",
        username=user.username,
        password=user.password,
        scope="openid",
    )["id_token"]
    return found


def _authorization(auth: tuple[Template, ...], target: Target) -> list[tuple[str, bytes]]:
    live = target.live
    if not auth:
        return []
    kind, *rest = auth
    if kind == "basic":
        pair = f"{live['client_id']}:{live['client_secret']}".encode()
        return [("Authorization", b"Basic " + base64.b64encode(pair))]
    if kind == "basic-raw":
        assert isinstance(rest[0], bytes)
        return [("Authorization", _latin1(b"Basic " + base64.b64encode(rest[0])))]
    if kind == "twice":
        return [("Authorization", _latin1(b"Bearer " + _latin1(render(r, live)))) for r in rest]
    value = _latin1(render(rest[0], live))
    if kind == "dpop":
        return [("Authorization", b"DPoP " + value)]
    return [("Authorization", value if kind == "header" else _latin1(b"Bearer " + value))]


def _latin1(value: str | bytes) -> bytes:
    """A header value: no control characters, no whitespace at either end (RFC 9110 §5.5)."""
    if isinstance(value, str):
        # A header carries bytes; anything outside Latin-1 goes as UTF-8 (obs-text).
        value = value.encode("utf-8", "replace")
    return _CONTROL.sub(b"", value).strip(b" \t")


def build(plan: RequestPlan, target: Target, endpoint: str) -> httpx.Request:
    url = target.url(endpoint)
    base, _, query = url.partition("?")
    # What a proof names: this request's method and URL (RFC 9449 §4.2), and now.
    values = {
        **target.live,
        "url": base + plan.suffix,
        "method": plan.method,
        "now": str(target.idp.clock.now()),
        "dpop_nonce": target.idp._ctx.store.dpop.nonce(target.idp.clock.now()),
    }
    # httpx refuses to send a URL over 64 KiB: pairs that would pass that stay home.
    extra = [urlencode([pair], values) for pair in plan.query]
    while len("&".join(extra)) > MAX_QUERY:
        extra.pop()
    query = "&".join(part for part in (query, *extra) if part)
    full = base + plan.suffix + (f"?{query}" if query else "")
    headers: list[tuple[str, bytes]] = _authorization(plan.authorization, target)
    headers += [("DPoP", _latin1(render(proof, values))) for proof in plan.dpop]
    if plan.content_type is not None:
        headers.append(("Content-Type", plan.content_type.encode()))
    if plan.cookie is not None:
        headers.append(("Cookie", _latin1(plan.cookie)))
    body = plan.body.render(values) if plan.method not in ("GET", "HEAD") else b""
    return target.http.build_request(plan.method, full, headers=headers, content=body)


def send(http: httpx.Client, request: httpx.Request) -> httpx.Response:
    future = _pool.submit(http.send, request)
    try:
        return future.result(timeout=TIMEOUT)
    except concurrent.futures.TimeoutError:
        raise AssertionError(f"no answer within {TIMEOUT} s: the provider hangs") from None


def check_descriptions(response: httpx.Response) -> None:
    """Every ``error_description`` on the wire is in RFC 6749 §5.2's characters.

    The ones in a ``WWW-Authenticate`` challenge (RFC 6750 §3) and in an error
    redirect's ``Location`` (RFC 6749 §4.1.2.1) too.
    """
    for challenge in response.headers.get_list("www-authenticate"):
        for described in CHALLENGE_DESCRIPTION.findall(challenge):
            assert ERROR_CODE.fullmatch(described), challenge
    location = response.headers.get("location")
    if location:
        for name, value in httpx.URL(location).params.multi_items():
            if name == "error_description":
                assert ERROR_CODE.fullmatch(value), location


def check_answer(response: httpx.Response, request: httpx.Request) -> None:
    """An answer a client can act on: no 5xx, no traceback, RFC-shaped error JSON."""
    status, method = response.status_code, request.method
    text = response.content.decode("utf-8", "replace")
    check_descriptions(response)
    # Both transports hand every method to the provider: an odd one is 405, never 501.
    assert status < 500, f"{status}: {text[:500]}"
    assert not TRACEBACK.search(text), text[:2000]
    if status == 405:
        assert response.headers.get("allow"), "405 without an Allow header (RFC 9110 §15.5.6)"
    mime = response.headers.get("content-type", "").split(";")[0].strip()
    if method == "HEAD" or mime != "application/json":
        return
    body = json.loads(text)  # every answer that says JSON is JSON
    if status < 400:
        return
    assert isinstance(body, dict), text[:500]
    challenge = response.headers.get("www-authenticate", "")
    if status == 401 and "error" not in body:
        # RFC 6750 §3.1: a request without credentials gets a bare challenge.
        assert body == {}, text[:500]
        assert challenge.startswith(("Bearer realm=", "DPoP realm=")), challenge
        return
    assert isinstance(body.get("error"), str), text[:500]
    assert ERROR_CODE.fullmatch(body["error"]), body["error"]
    description = body.get("error_description")
    assert description is None or (isinstance(description, str) and description), text[:500]
    assert description is None or ERROR_CODE.fullmatch(description), text[:500]
    check_error(body["error"], response, request)


def check_error(error: str, response: httpx.Response, request: httpx.Request) -> None:
    """The status and headers each error code comes with."""
    status, challenge = response.status_code, response.headers.get("www-authenticate", "")
    if error in ("invalid_token", "insufficient_scope"):
        # RFC 6750 §3.1, RFC 9449 §7.1: the scheme the token was sent with challenges.
        assert challenge.startswith(("Bearer realm=", "DPoP realm=")), response.headers
    if error in ("invalid_dpop_proof", "use_dpop_nonce"):
        # RFC 9449 §5 (token endpoint: 400) and §7.1 (resource: 401 with a DPoP challenge).
        assert status in (400, 401), status
        assert status == 400 or challenge.startswith("DPoP "), response.headers
    if error == "use_dpop_nonce":
        assert response.headers.get("dpop-nonce"), "use_dpop_nonce without DPoP-Nonce (§8)"
    if error == "invalid_client" and request.headers.get("authorization", "").lower().startswith(
        "basic"
    ):
        # RFC 6749 §5.2: a client that authenticated with the header gets 401 and its
        # scheme back (the fuzzed provider keeps the default invalid_client status).
        assert status == 401, status
        assert challenge.lower().startswith("basic "), response.headers
    if status == 429:
        assert error == "temporarily_unavailable", error


def check_still_serves(target: Target) -> None:
    """The provider survived: it issues a token and recorded no internal error."""
    issued = target.token(grant_type="client_credentials")
    assert issued["token_type"] == "Bearer"
    assert target.idp.check() == []


def test_hostile_requests(target: Target, endpoint: str, request: pytest.FixtureRequest) -> None:
    @fuzz_settings()
    @seeded(request.node.nodeid)
    @given(plan=requests_for(endpoint), nonces=st.booleans())
    def run(plan: RequestPlan, nonces: bool) -> None:
        target.idp.dpop_settings.require_nonce = False
        target.refresh()
        # RFC 9449 §8: half the examples run with server nonces required.
        target.idp.dpop_settings.require_nonce = nonces
        outgoing = build(plan, target, endpoint)
        note(
            f"{outgoing.method} {outgoing.url} {outgoing.headers.raw!r} {outgoing.content[:300]!r}"
        )
        check_answer(send(target.http, outgoing), outgoing)
        check_still_serves(target)

    run()
