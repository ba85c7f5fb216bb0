"""The CLI-style browser login: authorization code + PKCE with a loopback redirect.

As RFC 8252 describes for native apps: listen on ``127.0.0.1`` on a port the
OS picks (§7.3), open the browser at the authorization endpoint with an S256
code challenge (RFC 7636), a ``state`` and a ``nonce``, wait for the redirect,
check ``state`` (and RFC 9207 ``iss``), exchange the code with the verifier,
and verify the ID token's signature, issuer, audience and nonce.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import http.server
import logging
import secrets
import threading
import webbrowser
from collections.abc import Callable, Sequence
from html import escape
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

import httpx

from pytest_authmock.client.errors import AuthError, ConfigurationError, ProviderError
from pytest_authmock.client.grants import Form, Resources, resource_form, resources
from pytest_authmock.client.idtoken import DEFAULT_LEEWAY, verify_id_token
from pytest_authmock.client.oauth import OAuthClient
from pytest_authmock.client.par import pushed_authorization_url
from pytest_authmock.client.tokens import Token

__all__ = [
    "AuthorizationCodeGrant",
    "BrowserLoginDenied",
    "BrowserLoginError",
    "LoopbackRedirectListener",
    "authorize_in_browser",
    "pkce_pair",
]

logger = logging.getLogger("pytest_authmock.client")


class BrowserLoginError(AuthError):
    """The browser login failed: timeout, state mismatch, error from the provider."""


class BrowserLoginDenied(BrowserLoginError):
    """The user denied the request (``access_denied``)."""


def pkce_pair() -> tuple[str, str]:
    """A fresh RFC 7636 ``(code_verifier, S256 code_challenge)``."""
    verifier = secrets.token_urlsafe(48)  # 64 characters of the unreserved alphabet
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclasses.dataclass(frozen=True)
class AuthorizationCodeGrant:
    """RFC 6749 §4.1.3 with the RFC 7636 verifier. A code works once: not idempotent."""

    code: str = dataclasses.field(repr=False)
    redirect_uri: str
    code_verifier: str | None = dataclasses.field(default=None, repr=False)
    #: RFC 8707 §2.2: the resource(s) the access token is for (among those authorized).
    resource: Resources = ()
    grant_type: ClassVar[str] = "authorization_code"
    reusable: ClassVar[bool] = False
    idempotent: ClassVar[bool] = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "resource", resources(self.resource))

    def form(self) -> Form:
        form = {"grant_type": self.grant_type, "code": self.code, "redirect_uri": self.redirect_uri}
        if self.code_verifier is not None:
            form["code_verifier"] = self.code_verifier
        return {**form, **resource_form(self.resource)}


_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
    '<body style="font-family:system-ui,sans-serif;margin:3rem"><h1>{title}</h1>'
    "<p>{text}</p></body></html>"
)


class LoopbackRedirectListener:
    """A one-shot HTTP server on a loopback address that catches the redirect.

    Use as a context manager; :attr:`redirect_uri` is what to send as
    ``redirect_uri``, :meth:`wait` returns the query parameters of the first
    request to :attr:`path` (other paths, like ``/favicon.ico``, get a 404).
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, path: str = "/callback") -> None:
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/'; got {path!r}")
        self.path = path
        self._params: dict[str, str] | None = None
        self._received = threading.Event()
        self._claim = threading.Lock()
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # the query string holds the code: never log it

            def do_GET(self) -> None:
                target = urlsplit(self.path)
                params = dict(parse_qsl(target.query, keep_blank_values=True))
                # Claim the one shot before answering: the browser (or a second
                # request racing it) may come back before this thread continues.
                with listener._claim:
                    first = target.path == listener.path and not listener._received.is_set()
                    if first:
                        listener._params = params
                        listener._received.set()
                if not first:
                    self._answer(404, "Not found", "This is not the page you are looking for.")
                    return
                if "error" in params:
                    text = f"The login failed ({params.get('error')}). You can close this window."
                    self._answer(400, "Login failed", text)
                else:
                    text = (
                        "You are signed in. You can close this window and return to the terminal."
                    )
                    self._answer(200, "Signed in", text)

            def _answer(self, status: int, title: str, text: str) -> None:
                body = _PAGE.format(title=escape(title), text=escape(text)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

        self._server = http.server.ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        # A short poll interval: close() waits for the loop to notice the shutdown.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="authmock-redirect-listener",
            daemon=True,
        )
        netloc = f"[{host}]" if ":" in host else host
        self.redirect_uri = f"http://{netloc}:{self._server.server_address[1]}{path}"

    def __enter__(self) -> LoopbackRedirectListener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def wait(
        self, timeout: float | None = None, cancel: threading.Event | None = None
    ) -> dict[str, str]:
        """The redirect's query parameters; :class:`BrowserLoginError` on timeout or cancel."""
        step = 0.1
        waited = 0.0
        while not self._received.wait(step):
            waited += step
            if cancel is not None and cancel.is_set():
                raise BrowserLoginError("the browser login was cancelled")
            if timeout is not None and waited >= timeout:
                raise BrowserLoginError(
                    f"no answer from the browser within {timeout:g} s; run the login again"
                )
        assert self._params is not None  # noqa: S101 - set before the event
        return self._params


def _authorization_url(
    endpoint: str,
    client_id: str,
    redirect_uri: str,
    scopes: Sequence[str],
    challenge: str,
    state: str,
    nonce: str,
    resource: Sequence[str] = (),
) -> str:
    params: dict[str, str | list[str]] = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": state,
        "nonce": nonce,
    }
    if scopes:
        params["scope"] = " ".join(scopes)
    params.update(resource_form(resource))  # RFC 8707 §2.1
    return str(httpx.URL(endpoint).copy_merge_params(params))


def _check_redirect(params: dict[str, str], state: str, issuer: str) -> str:
    if not secrets.compare_digest(params.get("state", ""), state):
        # RFC 6749 §10.12: a redirect we did not ask for (login CSRF).
        raise BrowserLoginError(
            "the redirect carried a wrong state; the login was not started here"
        )
    iss = params.get("iss")
    if iss is not None and iss.rstrip("/") != issuer.rstrip("/"):
        raise BrowserLoginError(f"the redirect came from issuer {iss!r}, not {issuer!r} (RFC 9207)")
    error = params.get("error")
    if error is not None:
        description = params.get("error_description", "")
        detail = f"{error}: {description}" if description else error
        if error == "access_denied":
            raise BrowserLoginDenied(f"the login was denied in the browser ({detail})")
        raise ProviderError(
            f"the provider refused the login ({detail})",
            error=error,
            error_description=description or None,
        )
    code = params.get("code")
    if not code:
        raise BrowserLoginError("the redirect carried neither a code nor an error")
    return code


def _verify_id_token(oauth: OAuthClient, token: Token, nonce: str, leeway: float) -> None:
    if token.id_token is not None:
        verify_id_token(oauth, token.id_token, nonce=nonce, leeway=leeway)


def authorize_in_browser(
    oauth: OAuthClient,
    *,
    scopes: Sequence[str] = ("openid",),
    open_browser: Callable[[str], object] | None = webbrowser.open,
    show_url: Callable[[str], object] | None = None,
    timeout: float = 300.0,
    host: str = "127.0.0.1",
    port: int = 0,
    path: str = "/callback",
    cancel: threading.Event | None = None,
    resource: Resources = (),
    id_token_leeway: float = DEFAULT_LEEWAY,
    par: bool | None = None,
) -> Token:
    """Sign the user in through the browser and return the tokens.

    ``open_browser(url)`` opens it (``webbrowser.open`` by default; ``None`` to
    only show the URL); ``show_url(url)`` prints it for a user on another
    machine. The client must be registered with the redirect URI
    ``http://127.0.0.1/callback`` (any port matches, RFC 8252 §7.3).
    ``resource``: RFC 8707 resource indicator(s), sent in the authorization
    request and in the code exchange. The ID token is checked as OIDC Core
    §3.1.3.7 says, its ``exp`` and ``iat`` within ``id_token_leeway`` seconds
    of clock difference. ``par``: push the request first (RFC 9126) and open the
    browser with its ``request_uri`` only; ``None`` (default) pushes when the
    provider requires it.
    """
    if isinstance(scopes, str):
        raise TypeError(f"scopes must be a list of scope names, not the string {scopes!r}")
    if oauth.client_id is None:
        raise ConfigurationError("the browser login needs a client_id; pass one to OAuthClient")
    indicators = resources(resource)
    metadata = oauth.metadata()
    endpoint = metadata.endpoint("authorization_endpoint")
    methods = metadata.raw.get("code_challenge_methods_supported")
    if isinstance(methods, list) and "S256" not in methods:
        raise ConfigurationError(f"the provider {oauth.issuer} does not support PKCE S256")
    verifier, challenge = pkce_pair()
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    with LoopbackRedirectListener(host=host, port=port, path=path) as listener:
        url = _authorization_url(
            endpoint,
            oauth.client_id,
            listener.redirect_uri,
            scopes,
            challenge,
            state,
            nonce,
            indicators,
        )
        if oauth.dpop is not None:  # RFC 9449 §10: bind the code to the DPoP key
            url = str(httpx.URL(url).copy_merge_params({"dpop_jkt": oauth.dpop.jkt}))
        url = pushed_authorization_url(oauth, url, par=par)
        if show_url is not None:
            show_url(url)
        if open_browser is not None and open_browser(url) is False and show_url is None:
            logger.warning("could not open a browser; open this URL yourself: %s", url)
        params = listener.wait(timeout, cancel)
    code = _check_redirect(params, state, oauth.issuer)
    grant = AuthorizationCodeGrant(code, listener.redirect_uri, verifier, indicators)
    token = oauth.request_token(grant)
    _verify_id_token(oauth, token, nonce, id_token_leeway)
    return token
