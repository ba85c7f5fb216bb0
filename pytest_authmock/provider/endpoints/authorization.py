"""The authorization endpoint (RFC 6749 §4.1.1) with PKCE (RFC 7636, RFC 8252, RFC 9700).

The authorization endpoint validates in the order RFC 6749 §4.1.2.1 sets: a
request whose client or redirect URI cannot be trusted gets an error *page*
(redirecting would make the provider an open redirector); every later problem
is sent back to the client's redirect URI with ``error`` and ``state``. The code
is exchanged at the token endpoint (``grants/authorization_code.py``).
"""

from __future__ import annotations

import dataclasses
import secrets

import httpx

from pytest_authmock.provider import pages, pushed_requests, redirects, sessions
from pytest_authmock.provider.context import ProviderContext, ProviderRequest, Trace
from pytest_authmock.provider.errors import (
    AccessDenied,
    InvalidRequest,
    OAuthError,
    UnauthorizedClient,
)
from pytest_authmock.provider.flow_state import AuthorizationCode
from pytest_authmock.provider.grants.authorization_code import GRANT_TYPE
from pytest_authmock.provider.grants.base import (
    grant_request,
    requested_resources,
    requested_scope,
)
from pytest_authmock.provider.http import Form, require_method, values_of
from pytest_authmock.provider.indicators import PARAMETER as RESOURCE
from pytest_authmock.provider.models import Client, User
from pytest_authmock.provider.paths import PATHS
from pytest_authmock.provider.pkce import PKCE_VALUE
from pytest_authmock.provider.protocol_state import PushedRequest

#: The parameters an authorization request may carry through the sign-in form.
_CARRIED = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "dpop_jkt",
)


class UnsafeRequest(Exception):
    """The client or redirect URI is unknown or wrong: answer with a page, never redirect."""


class UnsupportedResponseType(OAuthError):
    error = "unsupported_response_type"


class LoginRequired(OAuthError):
    """OIDC Core §3.1.2.6: ``prompt=none`` but the user would have to sign in."""

    error = "login_required"


@dataclasses.dataclass(frozen=True)
class AuthorizationRequest:
    client: Client
    redirect_uri: str
    redirect_uri_given: bool
    params: dict[str, str]
    #: RFC 9126: the pushed request the parameters came from, if any.
    pushed: PushedRequest | None = None

    def carried(self) -> list[tuple[str, str]]:
        """What the sign-in form carries back: the request_uri of a pushed request, or
        the parameters (a repeated ``resource`` once per value)."""
        if self.pushed is not None:
            return [("client_id", self.client.client_id), ("request_uri", self.pushed.request_uri)]
        pairs = [(name, self.params[name]) for name in _CARRIED if name in self.params]
        return pairs + [(RESOURCE, value) for value in values_of(self.params, RESOURCE)]


def client_and_redirect(
    ctx: ProviderContext, params: dict[str, str], pushed: PushedRequest | None = None
) -> AuthorizationRequest:
    client_id = params.get("client_id")
    if not client_id:
        raise UnsafeRequest("The request has no client_id, so it cannot be answered.")
    client = ctx.store.clients.get(client_id)
    if client is None or client.disabled:
        raise UnsafeRequest(f"Unknown or disabled client {client_id!r}.")
    registered = client.redirect_uris
    if not registered:
        raise UnsafeRequest(
            f"Client {client_id!r} has no registered redirect URI. "
            "Pass redirect_uris=[...] to add_client()."
        )
    given = params.get("redirect_uri")
    if given is None:
        if len(registered) != 1:
            # RFC 6749 §3.1.2.3: with several registered URIs the request must name one.
            raise UnsafeRequest(
                f"Client {client_id!r} registered several redirect URIs, so the request "
                "must name one in redirect_uri."
            )
        return AuthorizationRequest(client, registered[0], False, params, pushed)
    if not any(redirects.matches(uri, given) for uri in registered):
        raise UnsafeRequest(
            f"redirect_uri {given!r} is not registered for client {client_id!r} "
            f"(registered: {', '.join(registered)}); redirect URIs must match exactly."
        )
    return AuthorizationRequest(client, given, True, params, pushed)


def check_request(
    ctx: ProviderContext, areq: AuthorizationRequest, *, pushing: bool = False
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The rest of §4.1.2.1; returns the scope and RFC 8707 resources. Errors go back to the client."""
    params, client = areq.params, areq.client
    response_type = params.get("response_type")
    if response_type is None:
        raise InvalidRequest("the response_type parameter is missing (RFC 6749 §4.1.1)")
    if response_type != "code":
        raise UnsupportedResponseType(
            f"response_type {response_type!r} is not supported; only 'code' is"
        )
    if GRANT_TYPE not in ctx.grants:
        raise UnsupportedResponseType("this provider does not offer the authorization_code grant")
    if not client.allows_grant(GRANT_TYPE):
        raise UnauthorizedClient(
            f"client {client.client_id!r} is not allowed the authorization_code grant. "
            "Pass grant_types=[..., 'authorization_code'] to add_client()"
        )
    protocol = ctx.flows.protocol.settings
    if (
        not pushing
        and areq.pushed is None
        and protocol.pushed_authorization_requests
        and (
            protocol.require_pushed_authorization_requests
            or client.require_pushed_authorization_requests
        )
    ):
        who = (
            f"client {client.client_id!r}"
            if client.require_pushed_authorization_requests
            else ("this provider")
        )
        raise InvalidRequest(
            f"{who} requires pushed authorization requests: push the request to the "
            "pushed_authorization_request_endpoint and send its request_uri (RFC 9126 §5)"
        )
    grant = grant_request(ctx, client, params, None)
    scope = requested_scope(grant)
    resources = requested_resources(grant)  # RFC 8707 §2.1
    settings = ctx.flows.settings
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if challenge is None:
        if method is not None:
            raise InvalidRequest("code_challenge_method was sent without a code_challenge")
        if client.public or settings.require_pkce_for_confidential:
            kind = "public clients" if client.public else "every client of this provider"
            raise InvalidRequest(
                f"PKCE is required for {kind}: send code_challenge and "
                "code_challenge_method=S256 (RFC 7636, RFC 9700 §2.1.1)"
            )
    else:
        # RFC 7636 §4.3: the method defaults to plain when omitted.
        method = method or "plain"
        if method not in ("S256", "plain"):
            raise InvalidRequest(f"code_challenge_method {method!r} is not supported; use S256")
        if method == "plain" and not settings.allow_plain_pkce:
            raise InvalidRequest(
                "code_challenge_method 'plain' is refused (RFC 9700 §2.1.1); use S256, or set "
                "idp.flow_settings.allow_plain_pkce = True"
            )
        if not PKCE_VALUE.fullmatch(challenge):
            raise InvalidRequest(
                "code_challenge must be 43-128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.2)"
            )
    return scope, resources


def _redirect(
    ctx: ProviderContext, areq: AuthorizationRequest, params: dict[str, str], status: int
) -> httpx.Response:
    state = areq.params.get("state")
    merged = dict(params)
    if state is not None:
        merged["state"] = state
    if ctx.config.authorization_response_iss:
        # RFC 9207: name the issuer, so a client talking to several cannot be mixed up.
        merged["iss"] = ctx.issuer
    if areq.pushed is not None:
        # RFC 9126 §4: the request_uri is one-time; its request is answered now.
        areq.pushed.used = True
    location = httpx.URL(areq.redirect_uri).copy_merge_params(merged)
    return httpx.Response(status, headers={"Location": str(location), "Cache-Control": "no-store"})


def _error_redirect(
    ctx: ProviderContext, areq: AuthorizationRequest, error: OAuthError, status: int, trace: Trace
) -> httpx.Response:
    trace.error = error.error
    return _redirect(ctx, areq, error.body(), status)


def _issue_code(
    ctx: ProviderContext,
    areq: AuthorizationRequest,
    user: User,
    scope: tuple[str, ...],
    status: int,
    *,
    resources: tuple[str, ...],
    auth_time: float | None = None,
) -> httpx.Response:
    now = ctx.clock.now()
    code = AuthorizationCode(
        code=secrets.token_urlsafe(32),
        client_id=areq.client.client_id,
        username=user.username,
        redirect_uri=areq.redirect_uri,
        redirect_uri_given=areq.redirect_uri_given,
        scope=scope,
        nonce=areq.params.get("nonce"),
        code_challenge=areq.params.get("code_challenge"),
        code_challenge_method=(
            (areq.params.get("code_challenge_method") or "plain")
            if "code_challenge" in areq.params
            else None
        ),
        created_at=now,
        expires_at=now + ctx.flows.settings.authorization_code_ttl,
        resources=resources,
        auth_time=auth_time,
        dpop_jkt=areq.params.get("dpop_jkt"),
    )
    ctx.flows.codes[code.code] = code
    return _redirect(ctx, areq, {"code": code.code}, status)


def _query_params(request: httpx.Request) -> Form:
    params = Form()
    for name, value in request.url.params.multi_items():
        if name == RESOURCE:
            # RFC 8707 §2: one resource parameter per resource the token is for.
            if value != "":
                params.repeated.setdefault(name, []).append(value)
                params.setdefault(name, value)
            continue
        if name in params:
            # RFC 6749 §3.1: parameters must not be repeated; which one would we trust?
            raise UnsafeRequest(f"Parameter {name!r} was sent more than once.")
        if value != "":
            params[name] = value
    return params


def _carried(form: dict[str, str]) -> Form:
    """The authorization request in a POST: sent directly, or carried by the sign-in form."""
    params = Form()
    for name in (*_CARRIED, "request_uri"):
        if name in form:
            params[name] = form[name]
    resources = list(values_of(form, RESOURCE))
    if resources:
        params.repeated[RESOURCE] = resources
        params[RESOURCE] = resources[0]
    return params


def authorization(ctx: ProviderContext, request: ProviderRequest) -> httpx.Response:
    require_method(request.http, "GET", "POST")
    trace = request.trace
    try:
        if request.method == "GET":
            form: dict[str, str] = {}
            params: dict[str, str] = _query_params(request.http)
        else:
            form = request.form()
            params = _carried(form)
        if "client_id" in params:
            trace.client_id = params["client_id"]
        pushed = None
        if "request_uri" in params:
            pushed = pushed_requests.redeem(ctx.flows.protocol, params, ctx.clock.now())
            params = pushed.params
        areq = client_and_redirect(ctx, params, pushed)
    except (UnsafeRequest, OAuthError) as error:
        trace.error = error.error if isinstance(error, OAuthError) else "invalid_request"
        text = error.description if isinstance(error, OAuthError) else str(error)
        return pages.message(ctx, "Cannot sign in", text, status=400, ok=False)
    submitted = "action" in form
    status = 303 if submitted else 302  # RFC 9110 §15.4.4: after a POST, 303 to GET
    try:
        scope, resources = check_request(ctx, areq)
    except OAuthError as error:
        return _error_redirect(ctx, areq, error, status, trace)
    if not submitted:
        return _without_form(ctx, request, areq, scope, resources, status)
    refused = pages.check_form(ctx, request.http, form)
    if refused is not None:
        trace.error = "invalid_csrf"
        return _form(ctx, request, areq, scope, error=refused, status=403)
    if form.get("action") == "deny":
        return _error_redirect(
            ctx, areq, AccessDenied("the user denied the request"), status, trace
        )
    username = form.get("username", "")
    trace.username = username or None
    user = ctx.store.users.get(username)
    if user is None or user.disabled or not user.check_password(form.get("password", "")):
        trace.error = "invalid_credentials"
        return _form(
            ctx,
            request,
            areq,
            scope,
            username=username,
            error="Wrong username or password.",
            status=401,
        )
    answer = _issue_code(
        ctx, areq, user, scope, status, resources=resources, auth_time=ctx.clock.now()
    )
    previous = sessions.current(ctx, request.http)
    cookie = sessions.start(ctx, user, areq.client.client_id, replacing=previous)
    if cookie is not None:
        answer.headers["Set-Cookie"] = cookie
    return answer


def _without_form(
    ctx: ProviderContext,
    request: ProviderRequest,
    areq: AuthorizationRequest,
    scope: tuple[str, ...],
    resources: tuple[str, ...],
    status: int,
) -> httpx.Response:
    """A first visit: sign in the auto-approved user or the browser's session user,
    refuse ``prompt=none``, or show the page."""
    trace = request.trace
    auto_approve = ctx.flows.settings.auto_approve
    if auto_approve is not None:
        user = ctx.store.users.get(auto_approve)
        if user is None or user.disabled:
            trace.error = "server_error"
            return pages.message(
                ctx,
                "Cannot sign in",
                f"auto_approve names user {auto_approve!r}, who does not exist "
                "or is disabled. Add the user with add_user() first.",
                status=400,
                ok=False,
            )
        trace.username = user.username
        return _issue_code(ctx, areq, user, scope, status, resources=resources)
    prompt = areq.params.get("prompt", "").split()
    session = sessions.current(ctx, request.http)
    # OIDC Core §3.1.2.1: login and consent ask for the page even with a session.
    if session is not None and not {"login", "consent"} & set(prompt):
        trace.username = session.username
        session.client_ids.add(areq.client.client_id)
        user = ctx.store.users[session.username]
        return _issue_code(
            ctx, areq, user, scope, status, resources=resources, auth_time=session.auth_time
        )
    if "none" in prompt:
        login = LoginRequired("prompt=none, but the user has to sign in")
        return _error_redirect(ctx, areq, login, status, trace)
    return _form(ctx, request, areq, scope)


def _form(
    ctx: ProviderContext,
    request: ProviderRequest,
    areq: AuthorizationRequest,
    scope: tuple[str, ...],
    *,
    username: str = "",
    error: str | None = None,
    status: int = 200,
) -> httpx.Response:
    return pages.authorize_form(
        ctx,
        pages.guard(ctx, request.http),
        action=ctx.issuer + PATHS["authorization"],
        params=areq.carried(),
        client_id=areq.client.client_id,
        scope=scope,
        username=username,
        error=error,
        status=status,
    )
