"""Which requests an in-process provider takes over, the same rule for every client library.

The provider owns its issuer's origin (every path under it: the endpoints, the
discovery documents, a 404 for the rest, as a real provider answers) and each
URL given to ``idp.protect()``. Every other request is not the provider's
business: an in-process transport hands it on to the real transport (or to
another mock), or, with ``unrouted="fail"``, refuses it with a message naming
the host and the option.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_authmock import links

if TYPE_CHECKING:
    import httpx

    from pytest_authmock.provider.idp import FakeIdP

# httpx is imported where it is used: the plugin reads UNROUTED_CHOICES at start-up,
# in every pytest run, most of which never send a request.

#: Values of the ``unrouted`` option (marker, ini ``authmock_unrouted``).
UNROUTED_CHOICES = ("passthrough", "fail")


class UnroutedRequest(AssertionError):
    """A request no in-process provider owns, refused under ``unrouted="fail"``.

    An ``AssertionError``, like respx's "not mocked": code under test that catches
    ``httpx.HTTPError`` or ``requests.RequestException`` cannot swallow it, so the
    stray request fails the test.
    """


def _effective_port(url: httpx.URL) -> int | None:
    # RFC 3986 §6.2.3: "https://h" and "https://h:443" are the same origin.
    return url.port or {"http": 80, "https": 443}.get(url.scheme)


def same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    return (a.scheme, a.host, _effective_port(a)) == (b.scheme, b.host, _effective_port(b))


def owns(idp: FakeIdP, url: httpx.URL | str) -> bool:
    """Whether ``url`` is the provider's: its issuer's origin, or a protected URL."""
    import httpx

    url = httpx.URL(url)
    if same_origin(url, httpx.URL(idp.issuer)):
        return True
    return any(
        same_origin(url, resource.url) and url.path == resource.url.path
        for resource in idp.resources
    )


def unrouted_message(method: str, url: httpx.URL | str, issuers: list[str]) -> str:
    """authmock's refusal of a request no provider owns, under ``unrouted="fail"``."""
    import httpx

    url = httpx.URL(url)
    return (
        f"pytest-authmock: {method} {url.copy_with(query=None)} was not sent: the host "
        f"{url.host!r} is neither an issuer in this test ({', '.join(issuers)}) nor a URL "
        "given to protect(), and unrouted='fail' refuses every other request. Route it "
        "with another mock, or let it through with @pytest.mark.authmock(unrouted='passthrough') "
        f"(ini: authmock_unrouted = passthrough). See {links.UNROUTED}"
    )


__all__ = ["UNROUTED_CHOICES", "UnroutedRequest", "owns", "same_origin", "unrouted_message"]
