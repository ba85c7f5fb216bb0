"""Authlib (a Python OAuth library we did not write) authenticates to the fake with JWTs.

``authlib_client/jwt_client_auth.py`` runs in a venv of its own in the interop
cache (see providers.py; authlib is no dependency of this project) and gets
client credentials tokens with ``private_key_jwt`` and ``client_secret_jwt``
(RFC 7523 §2.2) from the ``idp_server`` fixture over HTTPS.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from joserfc.jwk import RSAKey

from pytest_authmock import IdPServer
from tests.interop.providers import AUTHLIB, peer_venv

SCRIPT = Path(__file__).resolve().parent / "authlib_client" / "jwt_client_auth.py"


def _pem(key: RSAKey) -> str:
    return key.as_pem(private=True).decode("ascii")


@pytest.mark.authmock(tls=True)
def test_authlib_private_key_jwt_and_client_secret_jwt(idp_server: IdPServer) -> None:
    interpreter = peer_venv(AUTHLIB, sys.executable, extra=["requests>=2.31"])
    key = RSAKey.generate_key(2048, private=True)
    pkjwt = idp_server.add_client(
        token_endpoint_auth_method="private_key_jwt", jwks={"keys": [key.as_dict(private=False)]}
    )
    csjwt = idp_server.add_client(token_endpoint_auth_method="client_secret_jwt")
    assert csjwt.client_secret is not None
    result = subprocess.run(
        [str(interpreter), str(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            "REQUESTS_CA_BUNDLE": idp_server.ca_pem,
            "TOKEN_ENDPOINT": f"{idp_server.issuer}/oauth2/token",
            "PKJWT_CLIENT": pkjwt.client_id,
            "PKJWT_KEY": _pem(key),
            "STRANGER_KEY": _pem(RSAKey.generate_key(2048, private=True)),
            "CSJWT_CLIENT": csjwt.client_id,
            "CSJWT_SECRET": csjwt.client_secret,
        },
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)
    assert answers["private_key_jwt, unregistered key"] == {"error": "invalid_client"}
    for case, client in (("private_key_jwt", pkjwt), ("client_secret_jwt", csjwt)):
        token = answers[case].get("access_token")
        assert token, f"{case}: {answers[case]}"
        check = idp_server.check_bearer(f"Bearer {token}")
        assert check.token is not None, f"{case}: {check.error} {check.description}"
        assert check.token.client_id == client.client_id
    token_requests = [
        (entry.status_code, entry.error) for entry in idp_server.journal.filter(endpoint="token")
    ]
    assert token_requests == [(200, None), (401, "invalid_client"), (200, None)]
