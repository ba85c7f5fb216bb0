"""A reverse proxy in front of the provider, as production has one: it sees every
request on the wire and can lose the provider's answer (a 502 *after* the
provider acted on the request), which the provider's own faults cannot do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx


def form_of(request: httpx.Request) -> dict[str, list[str]]:
    """The request's form body, every value of every parameter."""
    return parse_qs(request.content.decode(), keep_blank_values=True)


class Gateway(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Forwards to the provider; answers 502 instead for the requests ``lose`` selects.

    The provider has processed those: its answer (a rotated refresh token, a
    consumed code) is read and thrown away, as a gateway timing out on the
    way back does.
    """

    def __init__(self, server: Any, *, lose: Callable[[httpx.Request], bool] | None = None):
        verify = getattr(server, "httpx_verify", True)
        self._sync = httpx.HTTPTransport(verify=verify)
        self._async = httpx.AsyncHTTPTransport(verify=verify)
        self._lose = lose or (lambda request: False)
        self._lock = threading.Lock()
        self.seen: list[httpx.Request] = []
        self.lost: list[httpx.Request] = []

    def _after(self, request: httpx.Request, response: httpx.Response) -> httpx.Response:
        with self._lock:
            self.seen.append(request)
            if not self._lose(request):
                return response
            self.lost.append(request)
        return httpx.Response(502, text="Bad Gateway", request=request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._sync.handle_request(request)
        response.read()
        response.close()
        return self._after(request, response)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._async.handle_async_request(request)
        await response.aread()
        await response.aclose()
        return self._after(request, response)

    def forms(self, path_end: str = "/token") -> list[dict[str, list[str]]]:
        """The form bodies of the requests whose path ends with ``path_end``."""
        with self._lock:
            seen = list(self.seen)
        return [form_of(r) for r in seen if r.url.path.endswith(path_end)]

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        await self._async.aclose()


def first(grant_type: str, times: int = 1) -> Callable[[httpx.Request], bool]:
    """Lose the answers to the first ``times`` token requests of ``grant_type``."""
    left = [times]

    def lose(request: httpx.Request) -> bool:
        if left[0] and form_of(request).get("grant_type") == [grant_type]:
            left[0] -= 1
            return True
        return False

    return lose
