"""What a control route is, and how a request finds its route.

A :class:`Route` carries its handler and its documentation (summary, body and
answer schemas), so ``/_authmock/openapi.json`` is generated from the very table
the router serves.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import httpx

from pytest_authmock.control.http import ControlError, not_found, read_json

if TYPE_CHECKING:
    from pytest_authmock.control.baseline import Baseline
    from pytest_authmock.provider.idp import FakeIdP

PREFIX = "/_authmock"

#: ``prepare_client(table) -> (add_client keywords, extra answer fields)``: how
#: ``authmock serve`` issues a certificate for a new client when it runs with TLS.
PrepareClient = Callable[[dict[str, Any]], "tuple[dict[str, Any], dict[str, Any]]"]


@dataclasses.dataclass
class ControlContext:
    """What the handlers may use: the provider, through its public methods, and hooks."""

    idp: FakeIdP
    baseline: Baseline | None = None
    prepare_client: PrepareClient | None = None
    #: The faults planned through the API (``idp.fail()`` and friends return them;
    #: their ``fired`` counts move as requests hit them).
    faults: list[Any] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Call:
    """One request to a route: the context, the request and the path parameters."""

    context: ControlContext
    request: httpx.Request
    params: Mapping[str, str]

    @property
    def idp(self) -> FakeIdP:
        return self.context.idp

    def body(self, *, optional: bool = False) -> dict[str, Any]:
        return read_json(self.request, optional=optional)


Handler = Callable[[Call], httpx.Response]


@dataclasses.dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    operation_id: str
    summary: str
    status: int = 200
    #: JSON Schema of the request body, if it takes one.
    body: Mapping[str, Any] | None = None
    body_required: bool = True
    #: JSON Schema of the answer (none for 201/204 without a body).
    answer: Mapping[str, Any] | None = None
    #: Query parameters: name -> (schema, description).
    query: Mapping[str, tuple[Mapping[str, Any], str]] = dataclasses.field(default_factory=dict)
    #: Error statuses besides 400 and 401 that the route answers.
    errors: tuple[int, ...] = ()

    def match(self, path: str) -> dict[str, str] | None:
        want = self.path.strip("/").split("/")
        got = path.strip("/").split("/")
        if len(want) != len(got):
            return None
        params: dict[str, str] = {}
        for pattern, segment in zip(want, got, strict=True):
            if pattern.startswith("{") and pattern.endswith("}"):
                value = unquote(segment)
                if not value:
                    return None
                params[pattern[1:-1]] = value
            elif pattern != segment:
                return None
        return params


def find(routes: Sequence[Route], method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The route for ``method path``, or a 404 / 405 (with ``Allow``, RFC 9110 §15.5.6)."""
    allowed: list[str] = []
    for route in routes:
        params = route.match(path)
        if params is None:
            continue
        if route.method == method:
            return route, params
        allowed.append(route.method)
    if allowed:
        raise ControlError(
            405,
            "method_not_allowed",
            f"{method} is not allowed at {path}; use {' or '.join(allowed)}",
            headers={"Allow": ", ".join(allowed)},
        )
    raise not_found(f"no control route at {path}; the routes are listed at {PREFIX}/openapi.json")
