"""A platform SDK with PKI, the kind under test in scenario 004 (your code, not ours).

It connects with a client id + secret (exchanged for a bearer token and renewed
as needed) or with a bearer token handed in directly, and can present a client
certificate from a PKCS#12 file with its password or from separate PEM
certificate and key files: the certificate and the bearer token travel on the
same request. The TLS contexts come from ``pytest_authmock.client``; everything
else is what an SDK would write itself.
"""

from __future__ import annotations

import os
import ssl
import time
from typing import Any

import httpx

from pytest_authmock.client import ConfigurationError, ssl_context_from_pem, ssl_context_from_pkcs12


class PlatformError(Exception):
    """Anything the SDK user has to act on; never carries a secret."""


class PlatformClient:
    def __init__(self, http: httpx.Client, host: str, token_source: _TokenSource) -> None:
        self._http = http
        self.host = host.rstrip("/")
        self._tokens = token_source

    def get(self, path: str) -> httpx.Response:
        response = self._http.get(self.host + path, headers=self._tokens.header())
        if response.status_code == 401 and self._tokens.renewable:
            self._tokens.invalidate()  # the server says no: one fresh token, one retry
            response = self._http.get(self.host + path, headers=self._tokens.header())
        return response

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _TokenSource:
    def __init__(
        self,
        http: httpx.Client,
        issuer: str | None,
        client_id: str | None,
        client_secret: str | None,
        bearer_token: str | None,
    ) -> None:
        self._http = http
        self._issuer = issuer
        self._credentials = (client_id or "", client_secret or "")
        self._token = bearer_token
        self._expires_at = float("inf") if bearer_token else 0.0
        self.renewable = bearer_token is None

    def header(self) -> dict[str, str]:
        if self._token is None or time.time() >= self._expires_at - 30:
            self._fetch()
        return {"Authorization": f"Bearer {self._token}"}

    def invalidate(self) -> None:
        self._token = None

    def _fetch(self) -> None:
        metadata = self._http.get(f"{self._issuer}/.well-known/openid-configuration").json()
        response = self._http.post(
            metadata["token_endpoint"],
            data={"grant_type": "client_credentials"},
            auth=self._credentials,
        )
        body: dict[str, Any] = response.json()
        if response.status_code != 200:
            raise PlatformError(f"could not get a bearer token: {body.get('error')}")
        self._token = body["access_token"]
        self._expires_at = time.time() + body.get("expires_in", float("inf"))


def connect(
    host: str,
    *,
    issuer: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    bearer_token: str | None = None,
    pkcs12: str | os.PathLike[str] | bytes | None = None,
    pkcs12_password: str | None = None,
    cert_filename: str | os.PathLike[str] | None = None,
    key_filename: str | os.PathLike[str] | None = None,
    ca: str | os.PathLike[str] | None = None,
) -> PlatformClient:
    """Connect with credentials or a bearer token, and optionally a client certificate."""
    if bearer_token is None and not (issuer and client_id and client_secret):
        raise PlatformError("pass bearer_token, or issuer with client_id and client_secret")
    if pkcs12 is not None and (cert_filename or key_filename):
        raise PlatformError("pass pkcs12 or cert_filename/key_filename, not both")
    if (cert_filename is None) != (key_filename is None):
        raise PlatformError("cert_filename and key_filename go together")
    try:
        if pkcs12 is not None:
            verify: ssl.SSLContext = ssl_context_from_pkcs12(pkcs12, pkcs12_password, ca=ca)
        elif cert_filename is not None and key_filename is not None:
            verify = ssl_context_from_pem(cert_filename, key_filename, ca=ca)
        else:
            verify = ssl.create_default_context(cafile=None if ca is None else os.fspath(ca))
    except ConfigurationError as error:
        raise PlatformError(f"cannot load the client certificate: {error}") from None
    http = httpx.Client(verify=verify)  # every request presents the certificate
    tokens = _TokenSource(http, issuer, client_id, client_secret, bearer_token)
    return PlatformClient(http, host, tokens)
