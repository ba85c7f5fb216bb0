"""Resource indicators (RFC 8707): the token's audience follows the ``resource`` asked for.

Uses ``--authmock-contract-resource-indicator URI`` (a resource the client may
ask for) with the client credentials grant. RFC 8707 has no metadata entry, so
a provider that ignores the parameter is reported, not failed.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from pytest_authmock.contract.checks import Provider, jwt_header, oauth_error, said
from pytest_authmock.contract.discovery_options import DiscoverySettings
from pytest_authmock.contract.jwts import verify_jwt

IGNORED = (
    "the provider ignores the resource parameter: the token's aud does not name it (no RFC 8707)"
)


def audience(provider: Provider, token: str) -> list[str]:
    """The token's ``aud``: from the verified JWT, else from introspection."""
    if jwt_header(token) is not None:
        claims = verify_jwt(token, provider.jwks(), what="the access token")
        aud = claims.get("aud")
    else:
        if not provider.endpoint("introspection_endpoint"):
            pytest.skip("the access token is opaque and there is no introspection_endpoint")
        answer = provider.post("introspection_endpoint", {"token": token})
        assert answer.status_code == 200, f"introspection answered {said(answer)} (RFC 7662 §2.2)"
        aud = answer.json().get("aud")
    if aud is None:
        return []
    return [aud] if isinstance(aud, str) else [str(a) for a in aud]


@pytest.fixture(scope="module")
def indicator(discovery: DiscoverySettings) -> str:
    if discovery.resource_indicator is None:
        pytest.skip(
            "pass --authmock-contract-resource-indicator URI (a resource the client may ask"
            " tokens for) to check RFC 8707 resource indicators"
        )
    return discovery.resource_indicator


@pytest.fixture(scope="module")
def follows(
    provider: Provider,
    indicator: str,
    client_credentials: Callable[..., httpx.Response],
) -> bool:
    """Whether the provider gives a token for the resource asked for (else it ignores it)."""
    response = client_credentials(resource=indicator)
    assert response.status_code == 200, (
        f"a token request for resource {indicator!r} answered {said(response)}; is it a"
        " resource this client may ask for?"
    )
    return indicator in audience(provider, str(response.json()["access_token"]))


def test_the_token_is_for_the_resource_asked_for(follows: bool) -> None:
    if not follows:
        pytest.skip(IGNORED)


def test_a_resource_with_a_fragment_is_invalid_target(
    follows: bool, indicator: str, client_credentials: Callable[..., httpx.Response]
) -> None:
    if not follows:
        pytest.skip(IGNORED)
    response = client_credentials(resource=indicator.split("#")[0] + "#fragment")
    assert response.status_code == 400, (
        f"a resource with a fragment answered {said(response)} (RFC 8707 §2: it MUST NOT"
        " include a fragment; the answer is invalid_target)"
    )
    error, _ = oauth_error(response)
    assert error == "invalid_target", f"a resource with a fragment answered {error} (RFC 8707 §2)"


def test_an_unknown_resource_is_invalid_target(
    follows: bool, client_credentials: Callable[..., httpx.Response]
) -> None:
    if not follows:
        pytest.skip(IGNORED)
    unknown = "https://authmock-contract.invalid/unknown-resource"
    response = client_credentials(resource=unknown)
    if response.status_code == 200:
        # RFC 8707 §2 lets a provider accept any resource it can issue a token for.
        pytest.skip(
            "the provider issues tokens for any resource (the fake's default; it refuses"
            " unknown ones with idp.protocol_settings.resources)"
        )
    error, _ = oauth_error(response)
    assert response.status_code == 400 and error == "invalid_target", (
        f"an unknown resource answered {said(response)} (RFC 8707 §2: invalid_target)"
    )
