"""A small platform SDK, the kind under test: client id + secret in, bearer token managed.

This is *your* code in the scenario, not pytest-authmock's: it shows what the
``idp`` fixture lets you test. It finds the token endpoint through discovery,
caches the token until it expires, and fetches a new one once on a 401.
"""

from __future__ import annotations

import time

import httpx


class PlatformError(Exception):
    pass


class Platform:
    def __init__(
        self,
        host: str,
        *,
        issuer: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        bearer_token: str | None = None,
    ) -> None:
        if bearer_token is None and not (issuer and client_id and client_secret):
            raise PlatformError("pass bearer_token, or issuer with client_id and client_secret")
        self.host = host
        self._issuer = issuer
        self._credentials = (client_id or "", client_secret or "")
        self._token = bearer_token
        self._expires_at = float("inf") if bearer_token else 0.0
        self._http = httpx.Client()

    def _fetch_token(self) -> None:
        meta = self._http.get(f"{self._issuer}/.well-known/openid-configuration").json()
        response = self._http.post(
            meta["token_endpoint"],
            data={"grant_type": "client_credentials"},
            auth=self._credentials,
        )
        if response.status_code != 200:
            raise PlatformError(f"could not get a token: {response.json()['error']}")
        body = response.json()
        self._token = body["access_token"]
        self._expires_at = time.time() + body.get("expires_in", float("inf"))

    def get(self, path: str) -> httpx.Response:
        if self._token is None or time.time() >= self._expires_at:
            self._fetch_token()
        response = self._http.get(
            self.host + path, headers={"Authorization": f"Bearer {self._token}"}
        )
        if response.status_code == 401 and self._issuer:
            self._fetch_token()  # the server says no: one fresh token, one retry
            response = self._http.get(
                self.host + path, headers={"Authorization": f"Bearer {self._token}"}
            )
        return response
