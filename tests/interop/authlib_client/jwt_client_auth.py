"""Authlib's RFC 7523 client authentication against the fake: run in authlib's own venv.

Reads from the environment the token endpoint (``requests`` trusts the fake's
CA through ``REQUESTS_CA_BUNDLE``) and three clients: ``private_key_jwt``
with its RSA key, the same client with a key it never registered, and
``client_secret_jwt`` with its secret. Prints one JSON object: per case, the
access token or the OAuth error authlib raised.
"""

from __future__ import annotations

import json
import os

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import ClientSecretJWT, PrivateKeyJWT


def client_credentials(client_id: str, secret: str, method: ClientSecretJWT) -> dict[str, str]:
    endpoint = os.environ["TOKEN_ENDPOINT"]
    with OAuth2Session(client_id, secret, token_endpoint_auth_method=method.name) as session:
        session.register_client_auth_method(method)
        try:
            token = session.fetch_token(endpoint, grant_type="client_credentials")
        except OAuthError as error:
            return {"error": str(error.error)}
    return {"access_token": str(token["access_token"])}


def main() -> None:
    endpoint = os.environ["TOKEN_ENDPOINT"]
    pkjwt, csjwt = os.environ["PKJWT_CLIENT"], os.environ["CSJWT_CLIENT"]
    results = {
        "private_key_jwt": client_credentials(
            pkjwt, os.environ["PKJWT_KEY"], PrivateKeyJWT(endpoint)
        ),
        "private_key_jwt, unregistered key": client_credentials(
            pkjwt, os.environ["STRANGER_KEY"], PrivateKeyJWT(endpoint)
        ),
        "client_secret_jwt": client_credentials(
            csjwt, os.environ["CSJWT_SECRET"], ClientSecretJWT(endpoint)
        ),
    }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
