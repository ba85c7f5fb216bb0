"""What each protocol and DPoP setting does, seen from a client over HTTP.

The settings-surface tests set a switch through one surface (setup file, marker,
``authmock serve`` flag or variable, control API) and use these probes, against an
in-process provider or a served one, to see that the switch took effect.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from pytest_authmock.client.dpop import DPoPKey

#: RFC 7636 Appendix B's challenge: any valid S256 challenge will do here.
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
REDIRECT_URI = "http://127.0.0.1/callback"


def metadata(http: httpx.Client, issuer: str) -> dict[str, object]:
    answer = http.get(issuer + "/.well-known/openid-configuration")
    assert answer.status_code == 200, answer.text
    found: dict[str, object] = answer.json()
    return found


def register(http: httpx.Client, issuer: str, token: str | None = None) -> httpx.Response:
    """An RFC 7591 registration, with ``token`` as its initial access token."""
    endpoint = str(metadata(http, issuer)["registration_endpoint"])
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return http.post(endpoint, json={"redirect_uris": [REDIRECT_URI]}, headers=headers)


def plain_authorization(http: httpx.Client, issuer: str, client_id: str) -> dict[str, list[str]]:
    """An authorization request sent directly (not pushed): the redirect's query."""
    endpoint = str(metadata(http, issuer)["authorization_endpoint"])
    answer = http.get(
        endpoint,
        params={
            "client_id": client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "code_challenge": CHALLENGE,
            "code_challenge_method": "S256",
            "state": "s",
        },
    )
    if answer.status_code != 302:  # the sign-in page: the request was accepted
        assert answer.status_code == 200, answer.text
        return {}
    return parse_qs(urlsplit(answer.headers["location"]).query)


def refuses_plain_requests(http: httpx.Client, issuer: str, client_id: str) -> bool:
    query = plain_authorization(http, issuer, client_id)
    if not query:
        return False
    assert query["error"] == ["invalid_request"], query
    assert "requires pushed authorization requests" in query["error_description"][0]
    return True


def dpop_token(
    http: httpx.Client, issuer: str, client: tuple[str, str], nonce: str | None = None
) -> httpx.Response:
    """A client-credentials token request with a DPoP proof (with ``nonce`` if given)."""
    endpoint = str(metadata(http, issuer)["token_endpoint"])
    proof = DPoPKey.generate().proof("POST", endpoint, nonce=nonce)
    return http.post(
        endpoint, data={"grant_type": "client_credentials"}, auth=client, headers={"DPoP": proof}
    )


def demands_dpop_nonce(http: httpx.Client, issuer: str, client: tuple[str, str]) -> bool:
    first = dpop_token(http, issuer, client)
    if first.status_code == 200:
        return False
    assert first.status_code == 400, first.text
    assert first.json()["error"] == "use_dpop_nonce"
    retried = dpop_token(http, issuer, client, nonce=first.headers["DPoP-Nonce"])
    assert retried.status_code == 200, retried.text
    assert retried.json()["token_type"] == "DPoP"
    return True
