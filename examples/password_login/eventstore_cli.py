"""A CLI's auth layer under test: password login cached per context, refreshed on expiry.

Your code in the scenario: ``login`` runs the resource-owner password grant and
stores the tokens in the active context; ``call`` reuses the access token and
refreshes it (rotating the refresh token) once it has expired.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx


class EventStoreCLI:
    def __init__(self, issuer: str, client_id: str, config: Path, context: str = "default") -> None:
        self.issuer, self.client_id, self.config, self.context = issuer, client_id, config, context
        self.http = httpx.Client()

    def _contexts(self) -> dict[str, Any]:
        return json.loads(self.config.read_text()) if self.config.exists() else {}

    def _save(self, session: dict[str, Any] | None) -> None:
        contexts = self._contexts()
        contexts[self.context] = session
        self.config.write_text(json.dumps(contexts))

    def _token_request(self, **form: str) -> dict[str, Any]:
        meta = self.http.get(f"{self.issuer}/.well-known/openid-configuration").json()
        response = self.http.post(
            meta["token_endpoint"], data={"client_id": self.client_id, **form}
        )
        body: dict[str, Any] = response.json()
        if response.status_code != 200:
            raise RuntimeError(f"login failed: {body['error_description']}")
        body["expires_at"] = time.time() + body["expires_in"]
        return body

    def login(self, username: str, password: str, scope: str = "streams:read") -> None:
        self._save(
            self._token_request(
                grant_type="password", username=username, password=password, scope=scope
            )
        )

    def logout(self) -> None:
        self._save(None)

    def call(self, url: str) -> httpx.Response:
        session = self._contexts().get(self.context)
        if session is None:
            return self.http.get(url)  # no auth configured: anonymous
        if time.time() >= session["expires_at"]:
            session = self._token_request(
                grant_type="refresh_token", refresh_token=session["refresh_token"]
            )
            self._save(session)
        return self.http.get(url, headers={"Authorization": f"Bearer {session['access_token']}"})
