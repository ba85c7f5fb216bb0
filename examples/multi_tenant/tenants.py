"""A multi-tenant API gateway's token check, the code under test.

Each tenant has its own identity provider (its own issuer and keys). The
gateway finds the issuer from the token, accepts only issuers it knows,
verifies the signature with that issuer's JWKS and reads the tenant's roles.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet


class Rejected(Exception):
    pass


class Gateway:
    def __init__(self, issuers: dict[str, str]) -> None:
        #: tenant name -> issuer URL
        self.issuers = issuers
        self._http = httpx.Client()

    def close(self) -> None:
        self._http.close()

    def _keys(self, issuer: str) -> KeySet:
        meta = self._http.get(f"{issuer}/.well-known/openid-configuration").json()
        return KeySet.import_key_set(self._http.get(meta["jwks_uri"]).json())

    def authorize(self, tenant: str, token: str) -> dict[str, Any]:
        """The verified claims of ``token`` for ``tenant``, or :class:`Rejected`."""
        issuer = self.issuers.get(tenant)
        if issuer is None:
            raise Rejected(f"unknown tenant {tenant!r}")
        payload = token.split(".")[1] if token.count(".") == 2 else ""
        claimed = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)) or b"{}")
        if claimed.get("iss") != issuer:
            raise Rejected(f"token of issuer {claimed.get('iss')!r}, not of tenant {tenant!r}")
        try:
            claims = dict(
                jwt.decode(token, self._keys(issuer), algorithms=["RS256", "ES256"]).claims
            )
        except JoseError as exc:
            raise Rejected(f"bad signature: {exc.error}") from None
        return claims
