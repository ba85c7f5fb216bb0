"""A billing SDK built on ``requests``, the code under test.

*Your* code in this scenario: it gets a token with the client credentials grant
and calls the billing API with it; its ``requests.Session`` retries a 503 through
urllib3's ``Retry``, as SDKs built on requests usually do.
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


class Billing:
    def __init__(self, api: str, *, token_url: str, client_id: str, client_secret: str) -> None:
        self.api = api
        self.token_url = token_url
        self._auth = (client_id, client_secret)
        self._session = requests.Session()
        retry = Retry(total=2, status_forcelist=[503], allowed_methods=None, backoff_factor=0)
        self._session.mount("https://", HTTPAdapter(max_retries=retry))
        self._token: str | None = None

    def _bearer(self) -> dict[str, str]:
        if self._token is None:
            response = self._session.post(
                self.token_url,
                data={"grant_type": "client_credentials", "scope": "invoices:read"},
                auth=self._auth,
                timeout=5,
            )
            response.raise_for_status()
            self._token = response.json()["access_token"]
        return {"Authorization": f"Bearer {self._token}"}

    def invoices(self) -> list[dict[str, Any]]:
        response = self._session.get(f"{self.api}/invoices", headers=self._bearer(), timeout=5)
        response.raise_for_status()
        invoices: list[dict[str, Any]] = response.json()["invoices"]
        return invoices
