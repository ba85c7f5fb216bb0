"""The private_key_jwt client's key for the oidc-provider run: made once per process.

server.mjs registers its public half (``INTEROP_PKJWT_JWKS``) for the client
``interop-pkjwt``; the tests sign client assertions with the private half.
"""

from __future__ import annotations

import json

from joserfc.jwk import ECKey

PKJWT_CLIENT = "interop-pkjwt"
PKJWT_KEY = ECKey.generate_key("P-256", parameters={"kid": "interop-pkjwt-1"}, private=True)


def public_jwks_json() -> str:
    return json.dumps({"keys": [PKJWT_KEY.as_dict(private=False)]})
