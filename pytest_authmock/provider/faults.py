"""Faults on demand: the provider fails the way production providers fail.

A test plans faults (``idp.fail(503, endpoint="token", times=2)``); the provider
consults the plan for every request it serves. There are three families:

* **answer faults** replace the answer and the request is *not* processed:
  an HTTP status with or without a body (``status``) and ``429`` with
  ``Retry-After`` (``rate_limit``);
* **body faults** process the request and spoil its answer on the way out:
  malformed JSON, truncated JSON, a wrong ``Content-Type``;
* **connection faults** are carried out by the transport, which reads a
  :class:`FaultAction` from the response's extensions: a ``delay`` before the
  answer (the request *is* processed, as on a slow network), a ``timeout``
  (the provider never answers), a ``disconnect`` (the connection closes
  without an answer) and ``refuse`` (the connection fails before the request
  reaches the provider). The in-process transport raises the exception a real
  socket would produce (``transport/in_process.py``); on the loopback server the
  socket really stalls or closes.

The core never sleeps and never raises a client library's exception: it describes
the fault, and each transport carries it out in its own terms, outside the
provider's lock, so other requests are served meanwhile.

A fault's ``kind`` is what the journal records; :data:`FAULT_METHODS` names the
``idp`` method (and the TOML ``kind``) that plans it.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any, Literal

import httpx

from pytest_authmock.provider.http import NO_STORE, auth_scheme, parse_basic, read_form

#: The key of ``httpx.Response.extensions`` under which the core hands a transport
#: the connection fault it must carry out.
FAULT_EXTENSION = "authmock.fault"

FaultKind = Literal[
    "status",
    "rate_limit",
    "delay",
    "timeout",
    "disconnect",
    "refuse",
    "malformed_json",
    "truncated_json",
    "content_type",
]
ActionKind = Literal["delay", "timeout", "disconnect", "refuse"]

#: Fault kind -> the ``idp`` method that plans it; the TOML ``kind`` takes either name.
FAULT_METHODS: dict[str, str] = {
    "status": "fail",
    "rate_limit": "rate_limit",
    "delay": "delay",
    "timeout": "timeout",
    "disconnect": "disconnect",
    "refuse": "refuse",
    "malformed_json": "malformed_json",
    "truncated_json": "truncated_json",
    "content_type": "wrong_content_type",
}

#: Faults whose request is never processed: the provider answers (or drops) it at once.
_REPLACING = frozenset({"status", "rate_limit", "timeout", "disconnect", "refuse"})
#: Faults after which the client receives no HTTP answer at all.
NO_ANSWER = frozenset({"timeout", "disconnect", "refuse"})

# How long the loopback server holds a stalled connection when nobody hangs up:
# long enough for any sane client timeout, short enough that a client without
# one (``requests`` has none by default) does not hang a test suite for good.
DEFAULT_STALL_SECONDS = 30.0


@dataclasses.dataclass(frozen=True)
class FaultAction:
    """What a transport does with the answer: wait first, or never send it.

    The core's whole description of a connection fault, so that every transport
    (respx, ``httpx.MockTransport``, the loopback server, an adapter for another
    HTTP library) carries it out with its own exceptions or socket calls.
    """

    kind: ActionKind
    #: ``delay``: seconds before the answer is sent; ``timeout``: the longest the
    #: loopback server holds the connection open before closing it silently.
    seconds: float = 0.0


@dataclasses.dataclass(eq=False)
class Fault:
    """One planned fault; ``idp.fail()`` and friends return it.

    ``fired`` counts the requests it has spoiled so far.
    """

    kind: FaultKind
    endpoint: str | None
    grant_type: str | None
    times: int | None
    fraction: float | None
    call: str
    status: int = 200
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0
    retry_after: float | datetime | str | None = None
    http_date: bool = False
    content_type: str | None = None
    fired: int = 0
    rng: random.Random = dataclasses.field(default_factory=random.Random, repr=False)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times

    @property
    def replaces(self) -> bool:
        """Whether the request is answered without being processed."""
        return self.kind in _REPLACING

    @property
    def no_answer(self) -> bool:
        return self.kind in NO_ANSWER

    def describe(self) -> str:
        return self.call

    def matches(self, endpoint: str, grant_type: str | None) -> bool:
        if self.exhausted:
            return False
        if self.endpoint is not None and self.endpoint != endpoint:
            return False
        return self.grant_type is None or self.grant_type == grant_type

    # -- what the fault does --------------------------------------------------------

    def replacement(self, now: float) -> httpx.Response:
        """The answer of a fault that replaces the provider's own."""
        if self.kind == "status":
            headers = dict(self.headers)
            if self.body is not None and self.content_type is not None:
                headers.setdefault("Content-Type", self.content_type)
            return httpx.Response(self.status, content=self.body or b"", headers=headers)
        if self.kind == "rate_limit":
            headers = {**NO_STORE, "Content-Type": "application/json", **dict(self.headers)}
            value = self._retry_after_header(now)
            if value is not None:
                headers["Retry-After"] = value
            advice = f"; retry after {value}" if value is not None else ""
            body = {
                "error": "temporarily_unavailable",
                "error_description": f"rate limit exceeded (pytest-authmock fault){advice}",
            }
            return httpx.Response(429, content=_dump(body), headers=headers)
        # Connection faults: the transport acts on the extension. A transport that
        # does not know about faults still gets an honest 503, never a success.
        body = {
            "error": "temporarily_unavailable",
            "error_description": f"pytest-authmock fault {self.kind!r}: this transport cannot "
            "simulate it, so it answers 503 instead",
        }
        response = httpx.Response(
            503, content=_dump(body), headers={**NO_STORE, "Content-Type": "application/json"}
        )
        seconds = self.seconds if self.kind == "timeout" else 0.0
        response.extensions[FAULT_EXTENSION] = FaultAction(self.kind, seconds)  # type: ignore[arg-type]
        return response

    def spoil(self, response: httpx.Response) -> httpx.Response:
        """Apply a fault to the provider's real answer (body faults, delays)."""
        if self.kind == "delay":
            response.extensions[FAULT_EXTENSION] = FaultAction("delay", self.seconds)
            return response
        if self.kind not in ("malformed_json", "truncated_json", "content_type"):
            return response
        content = _content(response)
        headers = [
            (k, v) for k, v in response.headers.multi_items() if k.lower() != "content-length"
        ]
        if self.kind == "malformed_json":
            # Still looks like the real answer (a proxy or a buggy serializer got at
            # it), but no JSON parser accepts it.
            content = (content.rstrip(b"}") + b",}") if content.startswith(b"{") else b"{" + content
        elif self.kind == "truncated_json":
            content = content[: max(1, len(content) // 2)]
        else:
            headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
            headers.append(("Content-Type", self.content_type or "text/html; charset=utf-8"))
        spoiled = httpx.Response(response.status_code, content=content, headers=headers)
        spoiled.extensions.update(response.extensions)
        return spoiled

    def _retry_after_header(self, now: float) -> str | None:
        value = self.retry_after
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, datetime):
            return format_datetime(value.astimezone(timezone.utc), usegmt=True)
        if self.http_date:
            # RFC 9110 §10.2.3: an HTTP-date, on the *provider's* clock, so a skewed
            # provider sends a date the client must not take at face value.
            moment = datetime.fromtimestamp(now + float(value), timezone.utc)
            return format_datetime(moment, usegmt=True)
        return str(int(value)) if float(value).is_integer() else f"{float(value):g}"

    def __repr__(self) -> str:
        return f"<Fault {self.call} fired={self.fired}>"


def _dump(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _content(response: httpx.Response) -> bytes:
    try:
        return response.content
    except httpx.ResponseNotRead:
        return response.read()


class FaultPlan:
    """The faults a test planned, consulted (under the provider's lock) per request."""

    def __init__(self, seed: int, endpoints: Iterable[str]) -> None:
        self._seed = seed
        self._endpoints = tuple(endpoints)
        self._faults: list[Fault] = []
        #: When false, :meth:`problems` does not report faults that never fired
        #: (``@pytest.mark.authmock(assert_all_faults_fired=False)``).
        self.assert_all_fired = True

    def __iter__(self) -> Iterator[Fault]:
        return iter(list(self._faults))

    def __len__(self) -> int:
        return len(self._faults)

    def clear(self) -> None:
        self._faults.clear()

    def plan(
        self,
        kind: FaultKind,
        *,
        endpoint: str | None,
        times: int | None,
        fraction: float | None,
        grant_type: str | None,
        call: str,
        **details: Any,
    ) -> Fault:
        """Validate and add a fault; every public ``idp.<fault>()`` method ends here."""
        if endpoint is not None and endpoint not in self._endpoints:
            raise ValueError(
                f"unknown endpoint {endpoint!r} for a fault; one of {', '.join(self._endpoints)} "
                "(or None for every endpoint)"
            )
        if grant_type is not None:
            if not isinstance(grant_type, str) or not grant_type:
                raise ValueError(f"grant_type must be a grant type name; got {grant_type!r}")
            if endpoint not in (None, "token"):
                raise ValueError(
                    f"grant_type={grant_type!r} only applies to the token endpoint, not {endpoint!r}"
                )
        if times is not None and (
            isinstance(times, bool) or not isinstance(times, int) or times < 1
        ):
            raise ValueError(
                f"times must be a positive whole number, or None for every request; got {times!r}"
            )
        if fraction is not None and (
            isinstance(fraction, bool)
            or not isinstance(fraction, (int, float))
            or not 0 < fraction <= 1
        ):
            raise ValueError(f"fraction must be a number in (0, 1]; got {fraction!r}")
        index = len(self._faults)
        # Seeded per fault, so adding a fault never changes which requests another hits.
        rng = random.Random(f"{self._seed}:{index}:{kind}")  # noqa: S311 - not crypto
        fault = Fault(
            kind=kind,
            endpoint=endpoint,
            grant_type=grant_type,
            times=times,
            fraction=None if fraction is None else float(fraction),
            call=call,
            rng=rng,
            **details,
        )
        self._faults.append(fault)
        return fault

    def take(self, endpoint: str, request: httpx.Request) -> Fault | None:
        """The fault that hits this request, if any, counted as fired."""
        if not self._faults:
            return None
        grant_type: str | None = None
        if endpoint == "token" and any(f.grant_type is not None for f in self._faults):
            grant_type = _grant_type(request)
        for fault in self._faults:
            if not fault.matches(endpoint, grant_type):
                continue
            if fault.fraction is not None and fault.rng.random() >= fault.fraction:
                continue
            fault.fired += 1
            return fault
        return None

    def problems(self) -> list[str]:
        """Planned faults that did not fire as planned, so a test cannot pass by accident."""
        if not self.assert_all_fired:
            return []
        found: list[str] = []
        for fault in self._faults:
            if fault.fired == 0:
                found.append(f"planned fault never fired: {fault.describe()}")
            elif fault.times is not None and fault.fraction is None and fault.fired < fault.times:
                found.append(
                    f"planned fault fired {fault.fired} of {fault.times} times: {fault.describe()}"
                )
        if found:
            found[-1] += " (opt out with @pytest.mark.authmock(assert_all_faults_fired=False))"
        return found


def request_trace(endpoint: str, request: httpx.Request) -> dict[str, Any]:
    """Journal fields of a request a fault answered unprocessed: grant type and client id."""
    if endpoint not in ("token", "introspection", "revocation"):
        return {}
    try:
        params = read_form(request)
    except Exception:
        return {}
    trace: dict[str, Any] = {}
    if endpoint == "token" and "grant_type" in params:
        trace["grant_type"] = params["grant_type"]
    client_id = params.get("client_id")
    if client_id is None and auth_scheme(request) == "basic":
        try:
            client_id = parse_basic(request.headers["authorization"])[0]
        except Exception:
            client_id = None
    if client_id is not None:
        trace["client_id"] = client_id
    return trace


def _grant_type(request: httpx.Request) -> str | None:
    try:
        return read_form(request).get("grant_type")
    except Exception:  # a bad body is the endpoint's to report, not the fault plan's
        return None


def action_of(response: httpx.Response) -> FaultAction | None:
    """The connection fault a transport must carry out for this answer, if any."""
    action = response.extensions.get(FAULT_EXTENSION)
    return action if isinstance(action, FaultAction) else None


def journal_status(fault: Fault | None, response: httpx.Response) -> int:
    """The status the journal records: ``0`` when the client got no answer at all."""
    return 0 if fault is not None and fault.no_answer else response.status_code


__all__ = [
    "DEFAULT_STALL_SECONDS",
    "FAULT_EXTENSION",
    "FAULT_METHODS",
    "Fault",
    "FaultAction",
    "FaultPlan",
    "action_of",
]
