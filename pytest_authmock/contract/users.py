"""Tokens for the test user: by the password grant, or through the sign-in pages."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from pytest_authmock.contract.checks import Provider, require_supported, said
from pytest_authmock.contract.codeflow import CodeFlow
from pytest_authmock.contract.grants import ClientGrants

__all__ = ["UserLogin", "UserTokens"]

Skipped = pytest.skip.Exception


@dataclasses.dataclass(frozen=True)
class UserTokens:
    """A token answer for the user, and how it was had (for messages)."""

    body: dict[str, Any]
    how: str
    #: The ID token's nonce, when the login sent one.
    nonce: str | None = None


class UserLogin:
    """Log the user in anew, by whichever way this provider and client allow."""

    def __init__(
        self,
        provider: Provider,
        grants: ClientGrants,
        code_flow: Callable[[], CodeFlow],
    ) -> None:
        self.provider = provider
        self.grants = grants
        self._code_flow = code_flow
        self._unusable: dict[str, str] = {}

    def password(self, scope: str | None = None) -> UserTokens:
        settings = self.provider.settings
        if settings.username is None or settings.password is None:
            pytest.skip("pass --authmock-contract-user NAME:PASSWORD to check the user grants")
        require_supported(self.provider.metadata(), "password")
        form = {
            "grant_type": "password",
            "username": settings.username,
            "password": settings.password,
        }
        if scope is None and "openid" in (self.provider.metadata().get("scopes_supported") or []):
            # An OpenID provider: ask for openid too, so the token can read userinfo.
            scope = " ".join(dict.fromkeys(["openid", *(settings.scope or "").split()]))
        if scope:
            form["scope"] = scope
        response = self.provider.token(form)
        reason = self.grants.refusal("password", response)
        if reason:
            pytest.skip(reason)
        assert response.status_code == 200, (
            f"the password grant answered {said(response)} for the user given"
            " (RFC 6749 §4.3.3 answers a token)"
        )
        body: dict[str, Any] = response.json()
        self.grants.saw("password", *(("refresh_token",) if body.get("refresh_token") else ()))
        return UserTokens(body, "the password grant")

    def code(self) -> UserTokens:
        flow = self._code_flow()
        authorized = flow.authorize()
        assert authorized.code, (
            f"the authorization request came back without a code: {authorized.params.get('error')}"
            f" {authorized.params.get('error_description', '')} (RFC 6749 §4.1.2)"
        )
        response = flow.exchange(authorized, verifier=authorized.verifier)
        assert response.status_code == 200, (
            f"exchanging the code answered {said(response)} (RFC 6749 §4.1.4 answers a token)"
        )
        body: dict[str, Any] = response.json()
        self.grants.saw(
            "authorization_code", *(("refresh_token",) if body.get("refresh_token") else ())
        )
        return UserTokens(body, "the authorization code flow", authorized.nonce)

    def any(self) -> UserTokens:
        """A fresh login; skips with every reason when neither way is open."""
        reasons = []
        for name, way in (("password", self.password), ("code", self.code)):
            if name in self._unusable:
                reasons.append(self._unusable[name])
                continue
            try:
                return way()
            except Skipped as exc:
                self._unusable[name] = str(exc.msg)
                reasons.append(str(exc.msg))
        pytest.skip("no way to log the user in: " + "; ".join(reasons))
