"""The authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636), through the provider's pages."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from pytest_authmock.contract.checks import Provider, require_supported
from pytest_authmock.contract.signin import SignInError, sign_in

__all__ = ["Authorized", "CodeFlow", "pkce_pair"]


def pkce_pair() -> tuple[str, str]:
    """A code verifier and its S256 challenge (RFC 7636 §4.1, §4.2)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclasses.dataclass(frozen=True)
class Authorized:
    """The provider's answer at the redirect URI (RFC 6749 §4.1.2)."""

    params: dict[str, str]
    sent_state: str
    nonce: str
    verifier: str | None = dataclasses.field(repr=False)

    @property
    def code(self) -> str | None:
        return self.params.get("code")

    @property
    def error(self) -> str | None:
        return self.params.get("error")


def _same_endpoint(url: str, target: str) -> bool:
    a, b = urlsplit(url), urlsplit(target)
    return (a.scheme, a.netloc, a.path) == (b.scheme, b.netloc, b.path)


class CodeFlow:
    """Sign the test user in at the authorization endpoint and exchange the code."""

    def __init__(
        self,
        provider: Provider,
        browser: httpx.Client,
        *,
        username: str,
        password: str,
        redirect_uri: str,
    ) -> None:
        self.provider = provider
        self.browser = browser
        self.username = username
        self.password = password
        self.redirect_uri = redirect_uri

    @classmethod
    def for_settings(cls, provider: Provider, browser: httpx.Client) -> CodeFlow:
        """The flow the options allow; skips with the option to pass when they do not."""
        settings = provider.settings
        if settings.redirect_uri is None:
            pytest.skip(
                "pass --authmock-contract-redirect-uri URI (registered for the client) and"
                " --authmock-contract-user to check the authorization code flow"
            )
        if settings.username is None or settings.password is None:
            pytest.skip("pass --authmock-contract-user NAME:PASSWORD to sign in for the code flow")
        provider.endpoint_or_skip("authorization_endpoint")
        require_supported(provider.metadata(), "authorization_code")
        return cls(
            provider,
            browser,
            username=settings.username,
            password=settings.password,
            redirect_uri=settings.redirect_uri,
        )

    @property
    def scope(self) -> str:
        supported = self.provider.metadata().get("scopes_supported") or []
        wanted = ["openid"]
        # A refresh token for the refresh checks; OIDC Core §11 asks for prompt=consent with it.
        if "offline_access" in supported:
            wanted.append("offline_access")
        wanted += [s for s in (self.provider.settings.scope or "").split() if s not in wanted]
        return " ".join(wanted)

    def authorize(self, *, challenge_method: str | None = "S256") -> Authorized:
        """One authorization request, signed in through the pages; skips if they cannot be driven."""
        url = self.provider.endpoint("authorization_endpoint")
        assert url, "the metadata has no authorization_endpoint"
        verifier, challenge = pkce_pair()
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        params = {
            "response_type": "code",
            "client_id": self.provider.settings.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "state": state,
            "nonce": nonce,
        }
        if "offline_access" in self.scope.split():
            params["prompt"] = "consent"
        if challenge_method == "S256":
            params.update(code_challenge=challenge, code_challenge_method="S256")
        start = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
        try:
            landed = sign_in(
                self.browser,
                start,
                username=self.username,
                password=self.password,
                arrived=lambda location: _same_endpoint(location, self.redirect_uri),
            )
        except SignInError as exc:
            pytest.skip(f"could not sign in through the provider's pages: {exc}")
        assert landed.url is not None
        answer = dict(parse_qsl(urlsplit(landed.url).query))
        return Authorized(answer, state, nonce, verifier if challenge_method else None)

    def exchange(
        self,
        authorized: Authorized,
        *,
        verifier: str | None = None,
        redirect_uri: str | None = None,
    ) -> httpx.Response:
        """The token request for ``authorized.code`` (RFC 6749 §4.1.3, RFC 7636 §4.5)."""
        assert authorized.code, "no code to exchange"
        form = {
            "grant_type": "authorization_code",
            "code": authorized.code,
            "redirect_uri": redirect_uri or self.redirect_uri,
        }
        if verifier is not None:
            form["code_verifier"] = verifier
        return self.provider.token(form)
