"""No input, however malformed, yields a 5xx or a traceback; each gets an RFC-shaped error."""

from __future__ import annotations

import httpx
import pytest

from pytest_authmock import FakeIdP

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CASES: list[tuple[str, dict[str, str], bytes]] = [
    ("json body", {"Content-Type": "application/json"}, b'{"grant_type": "client_credentials"}'),
    ("malformed json", {"Content-Type": "application/json"}, b"{not json"),
    ("no content type", {}, b"grant_type=client_credentials"),
    ("text/plain", {"Content-Type": "text/plain"}, b"grant_type=password"),
    ("duplicate parameter", FORM, b"grant_type=password&grant_type=client_credentials"),
    ("invalid utf-8", FORM, b"grant_type=\xff\xfe"),
    ("huge body", FORM, b"grant_type=password&username=" + b"a" * 200_000),
    ("too many fields", FORM, b"&".join(b"f%d=1" % i for i in range(500))),
    ("empty body", FORM, b""),
    ("garbage", FORM, b"%%%===&&&"),
    ("nul bytes", FORM, b"grant_type=client_credentials&client_id=%00%00"),
    ("very long scope", FORM, b"grant_type=client_credentials&scope=" + b"x " * 20_000),
]


@pytest.mark.parametrize("endpoint", ["token", "introspection", "revocation"])
@pytest.mark.parametrize(("name", "headers", "body"), CASES, ids=[case[0] for case in CASES])
def test_malformed_requests_get_4xx(
    provider: FakeIdP,
    http: httpx.Client,
    endpoint: str,
    name: str,
    headers: dict[str, str],
    body: bytes,
) -> None:
    client = provider.add_client()
    assert client.client_secret
    response = http.post(
        provider.url_for(endpoint),
        content=body,
        headers=headers,
        auth=(client.client_id, client.client_secret),
    )
    assert 400 <= response.status_code < 500, response.text
    error = response.json()
    assert error["error"] in {
        "invalid_request",
        "invalid_client",
        "invalid_scope",
        "unsupported_grant_type",
    }
    assert error["error_description"]
    assert provider.check() == []  # no internal error was recorded


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer",
        "Bearer a b",
        "Token abc",
        "Bearer \u00e9\u00e9",
        "Basic",
        "bearer " + "x" * 100_000,
    ],
)
def test_malformed_bearer_headers(
    provider: FakeIdP, http: httpx.Client, authorization: str
) -> None:
    url = (
        "https://api.authmock.test/me"
        if provider.issuer.startswith("https://idp.authmock.test")
        else provider.issuer + "/api/me"
    )
    provider.protect(url)
    # Raw bytes, so that even a non-ASCII header reaches the provider.
    response = http.get(url, headers={"Authorization": authorization.encode("latin-1")})
    if response.status_code == 431 and len(authorization) > 65536:
        return  # loopback: a real HTTP server refuses a 100 kB header line itself (RFC 6585 §5)
    assert response.status_code in (400, 401), response.text
    assert response.headers["www-authenticate"].startswith("Bearer realm=")


def test_wrong_methods(provider: FakeIdP, http: httpx.Client) -> None:
    for endpoint in ("token", "introspection", "revocation"):
        response = http.get(provider.url_for(endpoint))
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert response.json()["error"] == "invalid_request"
    assert http.delete(provider.url_for("userinfo")).status_code == 405
