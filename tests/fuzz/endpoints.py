"""Every URL the provider answers, found the way a client finds them.

The list is read from a provider's own answers (discovery metadata, a device
authorization's verification URIs) rather than written down, so an endpoint
added to the provider is fuzzed without touching this suite.
"""

from __future__ import annotations

import functools

import httpx

from pytest_authmock import FakeIdP

#: Both discovery documents (RFC 8414 §3, OIDC Discovery §4).
DISCOVERY = (
    "/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
)
#: URLs no metadata lists: one API token (``{api_tokens_endpoint}/{id}``), one
#: registered client's configuration (RFC 7592 ``registration_client_uri``), the
#: protected resource mounted with ``idp.protect()``, and a path nothing serves.
EXTRA = ("api_token_item", "registration_item", "protected_resource", "unknown_path")


@functools.cache
def discovered() -> dict[str, str]:
    """Metadata and device-authorization members that are URLs on the issuer -> their paths."""
    idp = FakeIdP()
    http = httpx.Client(transport=httpx.MockTransport(idp.handler))
    metadata = http.get(idp.issuer + DISCOVERY[0]).json()
    # Named, so that collection does not wait for Faker to load its locales.
    idp.add_client("fuzz-discovery", "secret")
    device = http.post(
        metadata["device_authorization_endpoint"],
        data={"scope": "openid"},
        auth=("fuzz-discovery", "secret"),
    ).json()
    # RFC 8628 §3.2: the pages the user is sent to.
    pages = {name: device[name] for name in ("verification_uri", "verification_uri_complete")}
    return {
        name: httpx.URL(value).path
        for name, value in {**metadata, **pages}.items()
        if name != "issuer" and isinstance(value, str) and value.startswith(idp.issuer + "/")
    }


def endpoint_names() -> tuple[str, ...]:
    return (*sorted(discovered()), *DISCOVERY, *EXTRA)
