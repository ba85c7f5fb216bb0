"""Which requests an in-process provider takes over, the same rule for every client library.

The provider owns its issuer's origin (every path under it: the endpoints, the
discovery documents, a 404 for the rest, as a real provider answers) and each
URL given to ``idp.protect()``. Every other request is not the provider's
business: an in-process transport hands it on to the real transport (or to
another mock), or, with ``unrouted="fail"``, refuses it with a message naming
the host and the option.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from pytest_authmock import links

if TYPE_CHECKING:
    import httpx

    from pytest_authmock.provider.idp import FakeIdP
    from pytest_authmock.provider.resource import ProtectedResource

# httpx is imported where it is used: the plugin reads UNROUTED_CHOICES at start-up,
# in every pytest run, most of which never send a request.

#: Values of the ``unrouted`` option (marker, ini ``authmock_unrouted``).
UNROUTED_CHOICES = ("passthrough", "fail")

_DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int | None]


class AnyURL(Protocol):
    """What is read of a URL: httpx's and httpx2's ``URL`` both have it."""

    @property
    def scheme(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int | None: ...
    @property
    def path(self) -> str: ...


class UnroutedRequest(AssertionError):
    """A request no in-process provider owns, refused under ``unrouted="fail"``.

    An ``AssertionError``, like respx's "not mocked": code under test that catches
    ``httpx.HTTPError`` or ``requests.RequestException`` cannot swallow it, so the
    stray request fails the test.
    """


def check_unrouted(unrouted: str) -> str:
    """``unrouted``, once it is known to be one of :data:`UNROUTED_CHOICES`."""
    if unrouted not in UNROUTED_CHOICES:
        raise ValueError(f"unrouted must be one of {', '.join(UNROUTED_CHOICES)}; got {unrouted!r}")
    return unrouted


def origin(url: AnyURL) -> Origin:
    # RFC 3986 §6.2.3: "https://h" and "https://h:443" are the same origin.
    return (url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme))


class ProviderURLs:
    """The URLs one provider answers: its issuer's origin and each protected URL.

    Asked on every in-process request, so the answer is two set lookups on
    tuples kept up to date as ``protect()`` adds URLs, not a parse of the issuer.
    """

    def __init__(self, idp: FakeIdP) -> None:
        import httpx

        self.issuer = idp.issuer
        self._origin = origin(httpx.URL(idp.issuer))
        self._resources: set[tuple[str, str, int | None, str]] = set()  # origin + path
        for resource in idp.resources:
            self.add(resource)
        idp.on_protect(self.add)

    def add(self, resource: ProtectedResource) -> None:
        self._resources.add((*origin(resource.url), resource.url.path))

    def __contains__(self, url: AnyURL) -> bool:
        url_origin = origin(url)
        return url_origin == self._origin or (*url_origin, url.path) in self._resources


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


__all__ = [
    "UNROUTED_CHOICES",
    "AnyURL",
    "ProviderURLs",
    "UnroutedRequest",
    "check_unrouted",
    "origin",
    "unrouted_message",
]
