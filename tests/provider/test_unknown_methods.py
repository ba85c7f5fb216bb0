"""A method an endpoint does not serve: 405 with ``Allow``, the same over both transports.

RFC 9110 §15.5.6: the origin server knows the resource but not this method for it,
and names the ones it serves. The loopback server hands any method that is a token
(§9.1) to the provider, as the in-process transport does.
"""

from __future__ import annotations

import httpx
import pytest

from pytest_authmock import FakeIdP

TOKEN_ALLOW = "POST"
DOCUMENT_ALLOW = "GET, HEAD"


@pytest.mark.parametrize("method", ["BREW", "PROPFIND", "M-SEARCH", "TRACE", "PUT", "OPTIONS"])
@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/oauth2/token", TOKEN_ALLOW),
        ("/.well-known/openid-configuration", DOCUMENT_ALLOW),
        ("/.well-known/oauth-authorization-server", DOCUMENT_ALLOW),
    ],
    ids=["token", "openid-configuration", "oauth-authorization-server"],
)
def test_405_with_allow(
    provider: FakeIdP, http: httpx.Client, method: str, path: str, allow: str
) -> None:
    response = http.request(method, provider.issuer + path, content=b"")
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == allow
    assert response.json() == {
        "error": "invalid_request",
        "error_description": f"{method} is not allowed here; use {allow.replace(', ', ' or ')}",
    }
    provider.journal.assert_count(1, method=method, status_code=405)
    # The connection stays usable: the next request is served.
    assert http.get(provider.issuer + "/.well-known/openid-configuration").status_code == 200


def test_a_lowercase_method_is_the_same_method(provider: FakeIdP, http: httpx.Client) -> None:
    # RFC 9110 §9.1: methods are case-sensitive; httpx sends them upper-cased either way.
    response = http.request("brew", provider.url_for("token"))
    assert response.status_code == 405
    assert response.headers["allow"] == TOKEN_ALLOW
