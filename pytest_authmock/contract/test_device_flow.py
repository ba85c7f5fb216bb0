"""The device authorization grant (RFC 8628), up to the first poll."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_authmock.contract.checks import Choices, Provider, said

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture(scope="module")
def device(device_answer: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = device_answer.json()
    return body


@pytest.fixture(scope="module")
def device_answer(provider: Provider) -> httpx.Response:
    if not provider.settings.device:
        pytest.skip("pass --authmock-contract-device to check the device flow")
    provider.endpoint_or_skip("device_authorization_endpoint")
    response = provider.post(
        "device_authorization_endpoint", {"scope": provider.settings.scope or ""}
    )
    assert response.status_code == 200, (
        f"the device authorization request answered {said(response)} (RFC 8628 §3.2 answers 200)"
    )
    return response


def test_device_authorization_answer(device_answer: httpx.Response, choices: Choices) -> None:
    device = device_answer.json()
    # RFC 8628 §3.2
    for name in ("device_code", "user_code", "verification_uri", "expires_in"):
        assert name in device, (
            f"the device authorization answer lacks {name} (RFC 8628 §3.2 REQUIRED)"
        )
    answer = device_answer
    choices.record("device_interval", device.get("interval"), answer, field="interval")
    choices.record("device_code_lifetime", device["expires_in"], answer, field="expires_in")
    complete = "verification_uri_complete" in device
    choices.record("verification_uri_complete", complete, answer, field="verification_uri_complete")


def test_polling_before_approval_is_pending(provider: Provider, device: dict[str, Any]) -> None:
    response = provider.token({"grant_type": DEVICE_GRANT, "device_code": device["device_code"]})
    assert response.status_code == 400 and response.json().get("error") in (
        "authorization_pending",
        "slow_down",
    ), (
        f"polling before the user approved answered {said(response)} (RFC 8628 §3.5: authorization_pending)"
    )


def test_unknown_device_code(provider: Provider, device: dict[str, Any]) -> None:
    response = provider.token(
        {"grant_type": DEVICE_GRANT, "device_code": "authmock-contract-unknown"}
    )
    assert response.status_code == 400 and response.json().get("error") in (
        "invalid_grant",
        "expired_token",
    ), f"an unknown device code answered {said(response)} (RFC 6749 §5.2 invalid_grant)"
