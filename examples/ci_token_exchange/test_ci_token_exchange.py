"""A CI runner's identity token becomes a platform token, without Python in the loop.

Two ``authmock serve`` processes play the two parties, as a Go or Node test
suite would run them: one is the CI system (its tokens are the runner's
identity tokens), the other the platform, trusting the CI issuer through
``--trust-issuer``, the control API or its ``--config`` file. The platform
trades the CI token for its own by token exchange (RFC 8693) or the JWT bearer
grant (RFC 7523 §2.1). Every call is plain HTTP, as from any language.

``platform.toml`` also works in-process, as the marker's ``config=``; its CI
issuer signs with the test key ``ci-signing-key.json`` (it protects nothing).
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from examples.serve_process import ServeProcess
from pytest_authmock import FakeIdP

HERE = Path(__file__).parent
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
DEMO_CLIENT = ("demo-client", "demo-secret")


def exchange(issuer: str, client: tuple[str, str], ci_token: str) -> httpx.Response:
    """RFC 8693 §2.1: the CI token is the subject token."""
    form = {
        "grant_type": TOKEN_EXCHANGE,
        "subject_token": ci_token,
        "subject_token_type": JWT_TOKEN_TYPE,
    }
    return httpx.post(f"{issuer}/oauth2/token", data=form, auth=client)


def jwt_bearer(issuer: str, client: tuple[str, str], ci_token: str) -> httpx.Response:
    """RFC 7523 §2.1: the CI token is the assertion."""
    form = {"grant_type": JWT_BEARER, "assertion": ci_token}
    return httpx.post(f"{issuer}/oauth2/token", data=form, auth=client)


def claims_of(issuer: str, token: str) -> dict[str, Any]:
    """The claims of a platform token, verified with the platform's published keys."""
    keys = KeySet.import_key_set(httpx.get(f"{issuer}/.well-known/jwks.json").json())
    found: dict[str, Any] = jwt.decode(token, keys).claims
    return found


@pytest.fixture
def ci() -> Any:
    """The CI system: an ``authmock serve`` whose tokens are the runners' identity tokens."""
    with ServeProcess() as server:
        yield server


def test_the_platform_trusts_the_ci_issuer_by_flag(ci: ServeProcess) -> None:
    # --8<-- [start:flag]
    # The platform trusts the CI issuer, whose keys are at its JWKS URI.
    jwks_uri = f"{ci.issuer}/.well-known/jwks.json"
    with ServeProcess("--trust-issuer", f"{ci.issuer}={jwks_uri}") as platform:
        # The CI system's workflow client: its tokens are for the platform (aud).
        workflow = {
            "client_id": "workflow",
            "client_secret": "workflow-secret",
            "grant_types": ["client_credentials"],
            "audience": platform.issuer,  # without an audience= trust: the platform's issuer
        }
        assert ci.control("POST", "/clients", workflow).status_code == 201
        ci_token = httpx.post(
            f"{ci.issuer}/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=("workflow", "workflow-secret"),
        ).json()["access_token"]

        exchanged = exchange(platform.issuer, DEMO_CLIENT, ci_token)
        assert exchanged.status_code == 200, exchanged.text
        granted = jwt_bearer(platform.issuer, DEMO_CLIENT, ci_token)
        assert granted.status_code == 200, granted.text
        for answer in (exchanged, granted):
            found = claims_of(platform.issuer, answer.json()["access_token"])
            assert (found["iss"], found["sub"]) == (platform.issuer, "workflow")
    # --8<-- [end:flag]


def test_a_test_suite_trusts_the_ci_issuer_over_the_control_api(ci: ServeProcess) -> None:
    with ServeProcess() as platform:
        # --8<-- [start:control]
        trust = {
            "issuer": ci.issuer,
            "jwks_uri": f"{ci.issuer}/.well-known/jwks.json",
            "audience": "https://platform.example",
            "copy_claims": ["repository"],
        }
        answer = platform.control("POST", "/trusted-issuers", trust)
        assert answer.status_code == 201, answer.text
        assert answer.json()["keys_from"] == "jwks_uri"
        assert platform.control("GET", "/trusted-issuers").json()["trusted_issuers"] == [
            answer.json()
        ]

        workflow = {
            "client_id": "workflow",
            "client_secret": "workflow-secret",
            "audience": "https://platform.example",
            "claims": {"repository": "acme/app"},
        }
        assert ci.control("POST", "/clients", workflow).status_code == 201
        ci_token = ci.control("POST", "/tokens", {"client_id": "workflow"}).json()["access_token"]

        exchanged = exchange(platform.issuer, DEMO_CLIENT, ci_token)
        assert exchanged.status_code == 200, exchanged.text
        found = claims_of(platform.issuer, exchanged.json()["access_token"])
        assert (found["sub"], found["repository"]) == ("workflow", "acme/app")

        # Untrusted again (the issuer is a URL: it goes in the query, URL-encoded).
        query = httpx.QueryParams({"issuer": ci.issuer})
        assert platform.control("DELETE", f"/trusted-issuers?{query}").status_code == 204
        refused = exchange(platform.issuer, DEMO_CLIENT, ci_token)
        assert (refused.status_code, refused.json()["error"]) == (400, "invalid_request")
        # --8<-- [end:control]


def _ci_token(**claims: Any) -> str:
    """An identity token of the CI issuer that platform.toml trusts."""
    key = ECKey.import_key(json.loads((HERE / "ci-signing-key.json").read_text()))
    now = int(time.time())
    payload = {
        "iss": "https://ci.example",
        "sub": "repo:acme/app:ref:refs/heads/main",
        "aud": "https://platform.example",
        "repository": "acme/app",
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
        **claims,
    }
    return jwt.encode({"alg": "ES256", "kid": key.kid}, payload, key)


DEPLOY = ("deploy-action", "deploy-secret-0123456789")


def test_the_setup_file_trusts_the_ci_issuer_in_authmock_serve() -> None:
    # --8<-- [start:serve_config]
    with ServeProcess("--config", str(HERE / "platform.toml")) as platform:
        assert platform.record["trusted_issuers"] == ["https://ci.example"]
        answer = jwt_bearer(platform.issuer, DEPLOY, _ci_token())
        assert answer.status_code == 200, answer.text
        found = claims_of(platform.issuer, answer.json()["access_token"])
        assert found["sub"] == "repo:acme/app:ref:refs/heads/main"
        assert found["repository"] == "acme/app"
    # --8<-- [end:serve_config]


# --8<-- [start:marker]
@pytest.mark.authmock(config="platform.toml")
def test_the_setup_file_trusts_the_ci_issuer_in_process(idp: FakeIdP) -> None:
    answer = exchange(idp.issuer, DEPLOY, _ci_token())
    assert answer.status_code == 200, answer.text
    check = idp.check_bearer(f"Bearer {answer.json()['access_token']}")
    assert check.token is not None
    assert check.token.claims["repository"] == "acme/app"

    wrong_audience = exchange(idp.issuer, DEPLOY, _ci_token(aud="https://elsewhere.example"))
    assert wrong_audience.status_code == 400
    assert "does not name this provider" in wrong_audience.json()["error_description"]


# --8<-- [end:marker]
