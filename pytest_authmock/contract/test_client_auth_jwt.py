"""JWT client authentication (RFC 7523 §2.2, OIDC Core §9): private_key_jwt and client_secret_jwt.

Run with ``--authmock-contract-jwt-client ID:KEY_PEM`` for the private_key_jwt checks.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_authmock.client.assertion import ClientSecretJwt, PrivateKeyJwt
from pytest_authmock.contract.breadth_options import breadth_settings
from pytest_authmock.contract.checks import Choices, Provider

JWT_METHODS = ("private_key_jwt", "client_secret_jwt")


def _methods(metadata: dict[str, Any]) -> list[str]:
    value = metadata.get("token_endpoint_auth_methods_supported") or []
    return [m for m in value if isinstance(m, str)]


def _error(response: httpx.Response) -> str:
    assert response.headers.get("content-type", "").startswith("application/json"), (
        f"error answer ({response.status_code}) is not JSON"
    )
    error = response.json().get("error")
    assert isinstance(error, str), f"error answer has no 'error' member: {response.text}"
    return error


def _token(
    provider: Provider, auth: Any, *, token_endpoint: str
) -> tuple[httpx.Response, dict[str, str]]:
    form = {"grant_type": "client_credentials"}
    if provider.settings.scope:
        form["scope"] = provider.settings.scope
    auth.apply_for({}, form, issuer=provider.settings.issuer, token_endpoint=token_endpoint)
    response = provider.http.post(token_endpoint, data=form, headers={"Accept": "application/json"})
    return response, form


def test_signing_algorithms_are_advertised_only_with_jwt_methods(
    metadata: dict[str, Any], choices: Choices
) -> None:
    algs = metadata.get("token_endpoint_auth_signing_alg_values_supported")
    jwt_methods = [m for m in _methods(metadata) if m in JWT_METHODS]
    choices.observe("JWT client authentication methods", ", ".join(jwt_methods) or "none")
    if algs is None:
        return
    assert isinstance(algs, list) and algs, (
        "token_endpoint_auth_signing_alg_values_supported is empty"
    )
    # RFC 8414 §2: "none" MUST NOT be used.
    assert "none" not in algs, "token_endpoint_auth_signing_alg_values_supported lists 'none'"
    assert jwt_methods, (
        "the metadata lists token_endpoint_auth_signing_alg_values_supported but no JWT "
        "client authentication method (private_key_jwt, client_secret_jwt)"
    )


@pytest.fixture(scope="module")
def key_client(pytestconfig: pytest.Config, metadata: dict[str, Any]) -> PrivateKeyJwt:
    settings = breadth_settings(pytestconfig)
    if settings.jwt_client_id is None or settings.jwt_key is None:
        pytest.skip("pass --authmock-contract-jwt-client ID:KEY_PEM to check private_key_jwt")
    if "private_key_jwt" not in _methods(metadata):
        pytest.skip("the provider does not list private_key_jwt")
    return PrivateKeyJwt(settings.jwt_client_id, settings.jwt_key.read_bytes())


def test_private_key_jwt(provider: Provider, key_client: PrivateKeyJwt, choices: Choices) -> None:
    metadata = provider.metadata()
    algs = metadata.get("token_endpoint_auth_signing_alg_values_supported")
    if isinstance(algs, list):
        assert key_client.alg in algs, f"{key_client.alg} is not advertised ({algs})"
    token_endpoint = metadata["token_endpoint"]
    accepted = []
    for audience in ("issuer", "token_endpoint"):
        auth = PrivateKeyJwt(key_client.client_id, key_client.key, audience=audience)
        response, _ = _token(provider, auth, token_endpoint=token_endpoint)
        if response.status_code == 200:
            accepted.append(audience.replace("_", " "))
        else:
            assert _error(response) == "invalid_client", response.text
    choices.observe("client assertion aud accepted", ", ".join(accepted) or "neither")
    assert accepted, "private_key_jwt failed with aud=issuer and aud=token endpoint"


def test_private_key_jwt_replay(
    provider: Provider, key_client: PrivateKeyJwt, choices: Choices
) -> None:
    token_endpoint = provider.metadata()["token_endpoint"]
    first, form = _token(provider, key_client, token_endpoint=token_endpoint)
    if first.status_code != 200:
        auth = PrivateKeyJwt(key_client.client_id, key_client.key, audience="token_endpoint")
        first, form = _token(provider, auth, token_endpoint=token_endpoint)
    assert first.status_code == 200, first.text
    again = provider.http.post(token_endpoint, data=form, headers={"Accept": "application/json"})
    if again.status_code == 200:
        choices.observe("replayed client assertion (same jti)", "accepted")
    else:
        # RFC 7523 §3 lets a server refuse a jti it has seen.
        assert _error(again) == "invalid_client", again.text
        choices.observe("replayed client assertion (same jti)", "refused (invalid_client)")


def test_client_secret_jwt(provider: Provider, metadata: dict[str, Any], choices: Choices) -> None:
    if "client_secret_jwt" not in _methods(metadata):
        pytest.skip("the provider does not list client_secret_jwt")
    secret = provider.settings.client_secret
    if secret is None:
        pytest.skip("the --authmock-contract-client has no secret")
    auth = ClientSecretJwt(provider.settings.client_id, secret)
    response, _ = _token(provider, auth, token_endpoint=metadata["token_endpoint"])
    if response.status_code == 200:
        choices.observe("client_secret_jwt for the contract client", "accepted")
        return
    # The client may simply not be registered for it; the answer must still be RFC 6749 §5.2.
    assert response.status_code in (400, 401), response.text
    choices.observe("client_secret_jwt for the contract client", f"refused ({_error(response)})")
