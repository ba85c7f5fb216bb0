"""Resource indicators (RFC 8707): ``resource`` on a token request names the API the token is for.

``--authmock-contract-resource-indicator URI`` names a resource the client may
ask for; without it, only the refusal of a malformed one is tried.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_authmock.contract.breadth_options import breadth_settings
from pytest_authmock.contract.checks import Choices, Provider, jwt_header, oauth_error
from pytest_authmock.contract.jwts import verify_jwt


def test_a_malformed_resource(client_credentials: Any, choices: Choices) -> None:
    # RFC 8707 §2: an absolute URI without a fragment; anything else is invalid_target.
    response = client_credentials(resource="not-an-absolute-uri")
    if response.status_code == 200:
        choices.observe(
            "resource indicators (RFC 8707)", "ignored: a malformed resource is accepted"
        )
        return
    error, _ = oauth_error(response, "the answer to a malformed resource")
    choices.observe("resource indicators (RFC 8707)", f"checked ({error})")
    assert error in ("invalid_target", "invalid_request"), response.text


def test_the_token_is_for_the_resource(
    provider: Provider, client_credentials: Any, choices: Choices, pytestconfig: pytest.Config
) -> None:
    resource = breadth_settings(pytestconfig).resource
    if resource is None:
        pytest.skip("pass --authmock-contract-resource-indicator URI to check the token's audience")
    response = client_credentials(resource=resource)
    assert response.status_code == 200, (
        f"a token for {resource} answered {response.status_code}: {response.text}"
    )
    token = response.json()["access_token"]
    if jwt_header(token) is None:
        choices.observe("audience of a resource's token", "opaque token: not visible")
        return
    claims = verify_jwt(token, provider.jwks(), what="the access token for the resource")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else list(audience or [])
    # RFC 8707 §2: the token is audience-restricted to the resource asked for.
    assert resource in audiences, f"aud {audience!r} does not name the resource {resource!r}"
    choices.observe(
        "audience of a resource's token",
        "the resource" if audiences == [resource] else f"{audiences}",
    )
