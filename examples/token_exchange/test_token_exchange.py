"""Assertion grants: a CI runner's identity token becomes a platform token (RFC 8693),
and a service account asserts its own identity (RFC 7523 §2.1).

Each test runs in-process (``idp`` and ``idp_factory``) and over loopback sockets
(``idp_server`` and ``idp_server_factory``). The docs embed the marked sections.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pytest_authmock import FakeIdP
from pytest_authmock.client import (
    JwtBearerGrant,
    OAuthClient,
    PrivateKeyJwt,
    ProviderError,
    TokenExchangeGrant,
)
from pytest_authmock.client.exchange import JWT_TOKEN_TYPE


@pytest.fixture(params=["inprocess", "loopback"])
def providers(request: pytest.FixtureRequest) -> tuple[FakeIdP, Callable[[], FakeIdP]]:
    """The platform's provider, and a way to make a second one (the CI system's)."""
    if request.param == "inprocess":
        factory: Any = request.getfixturevalue("idp_factory")
        return request.getfixturevalue("idp"), lambda: factory("https://ci.example")
    return request.getfixturevalue("idp_server"), request.getfixturevalue("idp_server_factory")


def test_ci_token_exchange(providers: tuple[FakeIdP, Callable[[], FakeIdP]]) -> None:
    platform, make_ci = providers
    # --8<-- [start:ci]
    # The CI system: its runner gets an OIDC token whose audience is the platform.
    ci = make_ci()
    runner = ci.add_user(sub="repo:acme/app:ref:refs/heads/main")
    workflow = ci.add_client(audience="https://platform.example", claims={"repository": "acme/app"})
    ci_token = ci.issue_token(workflow, user=runner)

    # The platform trusts the CI issuer's tokens for its audience.
    platform.trust_issuer(ci, audience="https://platform.example", copy_claims=["repository"])
    platform.add_client(
        "deploy-action", client_secret="deploy-secret-0123456789", scopes=["deploy"]
    )

    with OAuthClient(
        platform.issuer, client_id="deploy-action", client_secret="deploy-secret-0123456789"
    ) as oauth:
        token = oauth.request_token(
            TokenExchangeGrant(
                ci_token,
                subject_token_type=JWT_TOKEN_TYPE,
                audience="https://api.platform.example",
                scopes=["deploy"],
            )
        )
    check = platform.check_bearer(
        f"Bearer {token.access_token}", audience="https://api.platform.example"
    )
    assert check.token is not None
    assert check.token.sub == "repo:acme/app:ref:refs/heads/main"
    assert check.token.claims["repository"] == "acme/app"
    # --8<-- [end:ci]


def test_untrusted_issuer_is_refused(providers: tuple[FakeIdP, Callable[[], FakeIdP]]) -> None:
    platform, make_ci = providers
    ci = make_ci()
    ci_token = ci.issue_token(ci.add_client(audience="https://platform.example"))
    client = platform.add_client("deploy-action")
    # --8<-- [start:untrusted]
    with (
        OAuthClient(
            platform.issuer, client_id="deploy-action", client_secret=client.client_secret
        ) as oauth,
        pytest.raises(ProviderError, match="does not trust"),
    ):
        oauth.request_token(TokenExchangeGrant(ci_token, subject_token_type=JWT_TOKEN_TYPE))
    # --8<-- [end:untrusted]


def test_service_account_jwt_bearer(providers: tuple[FakeIdP, Callable[[], FakeIdP]]) -> None:
    platform, _ = providers
    ada = platform.add_user("ada")
    # --8<-- [start:jwt_bearer]
    robot = PrivateKeyJwt.generate("backup-robot")
    platform.add_client("backup-robot", jwks=robot.jwks(), scopes=["backup"])
    with OAuthClient(platform.issuer, client_auth=robot) as oauth:
        assertion = robot.assertion(platform.issuer, subject="ada")  # "I act for ada"
        token = oauth.request_token(JwtBearerGrant(assertion, scopes=["backup"]))
    # --8<-- [end:jwt_bearer]
    check = platform.check_bearer(f"Bearer {token.access_token}", scopes=["backup"])
    assert check.token is not None
    assert check.token.username == ada.username
