"""The contract suite's profile of the fake itself: a valid document that says why it lacks what it lacks."""

from __future__ import annotations

import json

import jsonschema
import pytest

from pytest_authmock.provider.profile import SCHEMA_PATH, load_profile
from tests.interop.contract_run import run_contract
from tests.interop.replay import serve


def test_the_profile_of_authmock_serve(pytester: pytest.Pytester) -> None:
    path = pytester.path / "fake-profile.json"
    with serve() as issuer:
        run = run_contract(
            pytester,
            "--authmock-contract-issuer",
            issuer,
            "--authmock-contract-client",
            "interop-basic:interop-basic-secret",
            "--authmock-contract-user",
            "alice:alice-password",
            "--authmock-contract-profile",
            str(path),
        )
    assert not run.failed, run.report()
    document = json.loads(path.read_text())
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    assert document["issuer"] == issuer
    assert document["recorded_with"].startswith("pytest-authmock ")
    choices = document["choices"]
    assert choices["access_token_format"] == {
        "value": "jwt",
        "evidence": {
            "request": "POST /oauth2/token grant_type=client_credentials",
            "status": 200,
            "field": "access_token",
        },
    }
    # RFC 9068 §2.2's claims, and the layout of each.
    assert choices["access_token_claims"]["value"] == {
        "aud": "string",
        "client_id": "string",
        "exp": "number",
        "iat": "number",
        "iss": "string",
        "jti": "string",
        "nbf": "number",
        "sub": "string",
    }
    assert choices["refresh_for_password"]["value"] is True
    # Unobserved choices say why: the check that would see them skipped, with its reason.
    assert choices["device_interval"] == {
        "observed": False,
        "reason": "test_device_authorization_answer skipped: pass --authmock-contract-device"
        " to check the device flow",
    }
    assert choices["pkce_required"]["observed"] is False
    assert "--authmock-contract-redirect-uri" in choices["pkce_required"]["reason"]
    profile = load_profile(path)
    assert profile.options["token_format"] == "jwt"
    assert "device_interval" in profile.unobserved
