"""The pushed authorization request endpoint (RFC 9126).

The client posts its authorization request here, authenticated like at the
token endpoint (§2.1), and gets a one-time ``request_uri`` (§2.2) to send to the
authorization endpoint with its ``client_id`` instead of the parameters. The
request is checked here as the authorization endpoint would check it, and its
errors are answered as JSON (§2.3), never by a redirect.
"""

from __future__ import annotations

import httpx

from pytest_authmock.provider import pushed_requests
from pytest_authmock.provider.context import ProviderContext, ProviderRequest
from pytest_authmock.provider.endpoints.authentication import authenticated
from pytest_authmock.provider.endpoints.authorization import (
    UnsafeRequest,
    check_request,
    client_and_redirect,
)
from pytest_authmock.provider.errors import InvalidRequest, NotFound
from pytest_authmock.provider.grants.authorization_code import GRANT_TYPE
from pytest_authmock.provider.http import Form, json_response, require_method
from pytest_authmock.provider.paths import PATHS

#: Client authentication, not part of the authorization request that is stored.
_CREDENTIALS = ("client_secret", "client_assertion", "client_assertion_type")


def pushed_authorization_request(ctx: ProviderContext, request: ProviderRequest) -> httpx.Response:
    protocol = ctx.flows.protocol
    if not protocol.settings.pushed_authorization_requests or GRANT_TYPE not in ctx.grants:
        raise NotFound(
            f"no endpoint at {PATHS['pushed_authorization_request']!r}: pushed authorization "
            "requests are switched off (idp.protocol_settings.pushed_authorization_requests), "
            "or the provider offers no authorization code grant"
        )
    require_method(request.http, "POST")
    form = request.form()
    if "client_id" in form:
        request.trace.client_id = form["client_id"]
    client = authenticated(ctx, request, form).client
    if "request_uri" in form:
        raise InvalidRequest("a pushed request must not carry request_uri (RFC 9126 §2.1)")
    params = Form()
    for name, value in form.items():
        if name not in _CREDENTIALS:
            params[name] = value
    if isinstance(form, Form):
        params.repeated = dict(form.repeated)
    # HTTP Basic carries the client_id outside the form; the request names its client.
    params["client_id"] = client.client_id
    try:
        areq = client_and_redirect(ctx, params)
    except UnsafeRequest as error:
        raise InvalidRequest(str(error)) from None
    check_request(ctx, areq, pushing=True)
    now = ctx.clock.now()
    pushed = pushed_requests.push(protocol, client.client_id, params, now)
    return json_response(
        201, {"request_uri": pushed.request_uri, "expires_in": round(pushed.expires_at - now)}
    )
