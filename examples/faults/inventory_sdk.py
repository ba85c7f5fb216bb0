"""An inventory SDK, the code under test: client credentials, retries, timeouts.

*Your* code in this scenario: it gets a token with the client credentials
grant, retries what a well-behaved client retries (5xx, 429 with
``Retry-After``, a connection that failed before the request was sent), never
waits longer than it was told to, and fetches a new token once when the API
answers 401.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime

import httpx


class InventoryError(Exception):
    pass


class Inventory:
    def __init__(
        self,
        api: str,
        *,
        issuer: str,
        client_id: str,
        client_secret: str,
        attempts: int = 3,
        timeout: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api = api
        self.issuer = issuer
        self.attempts = attempts
        self.sleep = sleep
        self._auth = (client_id, client_secret)
        self._http = httpx.Client(timeout=timeout)
        self._token: str | None = None

    def close(self) -> None:
        self._http.close()

    def _send(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        for attempt in range(1, self.attempts + 1):
            last = attempt == self.attempts
            try:
                response = self._http.request(method, url, **kwargs)  # type: ignore[arg-type]
            except (httpx.ConnectError, httpx.ReadTimeout) as exc:
                if last:
                    raise InventoryError(
                        f"the identity provider is unreachable ({type(exc).__name__})"
                    ) from exc
                self.sleep(0.5 * attempt)
                continue
            if response.status_code == 429 or response.status_code >= 500:
                if last:
                    raise InventoryError(
                        f"the identity provider keeps failing (HTTP {response.status_code})"
                    )
                self.sleep(_retry_after(response) or 0.5 * attempt)
                continue
            return response
        raise AssertionError("unreachable")

    def _fetch_token(self) -> str:
        meta = self._send("GET", f"{self.issuer}/.well-known/openid-configuration").json()
        response = self._send(
            "POST",
            meta["token_endpoint"],
            data={"grant_type": "client_credentials"},
            auth=self._auth,
        )
        if response.status_code != 200:
            raise InventoryError(f"no token: {response.json().get('error')}")
        try:
            token: str = response.json()["access_token"]
        except ValueError:
            raise InventoryError("the identity provider sent a broken answer") from None
        return token

    def items(self) -> list[str]:
        if self._token is None:
            self._token = self._fetch_token()
        response = self._http.get(
            f"{self.api}/items", headers={"Authorization": f"Bearer {self._token}"}
        )
        if response.status_code == 401:  # rejected (revoked, rotated key...): one new token
            self._token = self._fetch_token()
            response = self._http.get(
                f"{self.api}/items", headers={"Authorization": f"Bearer {self._token}"}
            )
        response.raise_for_status()
        items: list[str] = response.json()["items"]
        return items


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    if value.isdigit():
        return float(value)
    return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
