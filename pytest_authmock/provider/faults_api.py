"""Faults on demand: the ``idp`` methods that plan them (see :mod:`.faults` for what they do)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

from pytest_authmock.provider.facade_base import FacadeBase
from pytest_authmock.provider.faults import (
    DEFAULT_STALL_SECONDS,
    FAULT_METHODS,
    Fault,
    FaultKind,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack


class FaultTarget(TypedDict, total=False):
    """Which requests a fault hits: the keywords every fault method takes."""

    #: ``"token"``, ``"jwks"``... or ``None`` (the default) for every endpoint.
    endpoint: str | None
    #: How many matching requests it hits (default 1); ``None`` for every one.
    times: int | None
    #: Hit about this share of the matching requests (seeded, so reproducible).
    fraction: float | None
    #: Only token requests of this grant type.
    grant_type: str | None


_TARGET_DEFAULTS: dict[str, Any] = {
    "endpoint": None,
    "times": 1,
    "fraction": None,
    "grant_type": None,
}

#: ``idp.fail(body=...)``'s default: a JSON error body.
DEFAULT_BODY: Any = object()


def fault_body(body: Any, status: int) -> tuple[bytes | None, str | None]:
    """The body of ``idp.fail(status, body=...)`` as bytes, and its content type."""
    if body is DEFAULT_BODY:
        # A JSON error a real gateway might send; RFC 6749 defines no 5xx codes, so
        # server_error / temporarily_unavailable are the closest registered names.
        code = "server_error" if status == 500 else "temporarily_unavailable"
        error = {"error": code, "error_description": f"HTTP {status} (pytest-authmock fault)"}
        return _json(error), "application/json"
    if body is None:
        return None, None
    if isinstance(body, bytes):
        return body, "application/octet-stream"
    if isinstance(body, str):
        return body.encode(), "text/plain; charset=utf-8"
    if isinstance(body, (Mapping, list)):
        return _json(body), "application/json"
    raise TypeError(f"body must be a dict, list, str, bytes or None; got {type(body).__name__}")


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _call(name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> str:
    """How the test planned the fault, for messages: ``fail(503, endpoint='token', times=1)``."""
    parts = [repr(a) for a in args]
    # None means "not given" except for times, where it means "every request".
    parts += [f"{k}={v!r}" for k, v in kwargs.items() if v is not None or k == "times"]
    return f"{name}({', '.join(parts)})"


class FaultsAPI(FacadeBase):
    """Methods of :class:`~pytest_authmock.provider.idp.FakeIdP` that plan faults.

    Each takes the :class:`FaultTarget` keywords (``endpoint``, ``times``,
    ``fraction``, ``grant_type``) besides its own.
    """

    def _plan(
        self,
        kind: FaultKind,
        target: Mapping[str, Any],
        args: tuple[Any, ...] = (),
        shown: Mapping[str, Any] | None = None,
        **details: Any,
    ) -> Fault:
        """Plan a fault; ``args`` and ``shown`` are what the test passed, for messages."""
        name = FAULT_METHODS[kind]
        unknown = [key for key in target if key not in _TARGET_DEFAULTS]
        if unknown:
            raise TypeError(f"{name}() got an unexpected keyword argument {unknown[0]!r}")
        where = {**_TARGET_DEFAULTS, **target}
        label = _call(name, args, {**(shown or {}), **where})
        with self._lock:
            return self._faults.plan(kind, call=label, **where, **details)

    # -- answer faults ----------------------------------------------------------------

    def fail(
        self,
        status: int = 503,
        *,
        body: Any = DEFAULT_BODY,
        headers: Mapping[str, str] | None = None,
        **target: Unpack[FaultTarget],
    ) -> Fault:
        """Answer the next ``times`` matching requests with HTTP ``status``, unprocessed.

        ``endpoint`` is ``"token"``, ``"jwks"``... or ``None`` for every endpoint;
        ``times=None`` means every matching request, ``fraction=0.3`` about 30 %
        of them (seeded, so reproducible). ``body`` is a JSON error by default;
        ``None`` sends no body, a str/bytes/dict is sent as is.
        """
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError(f"fail() takes an HTTP error status (400-599); got {status!r}")
        content, content_type = fault_body(body, status)
        return self._plan(
            "status",
            target,
            (status,),
            status=status,
            body=content,
            content_type=content_type,
            headers=tuple((headers or {}).items()),
        )

    def rate_limit(
        self,
        retry_after: float | datetime | str | None = 1,
        *,
        http_date: bool = False,
        **target: Unpack[FaultTarget],
    ) -> Fault:
        """Answer ``429 Too Many Requests`` with ``Retry-After`` (RFC 6585 §4, RFC 9110 §10.2.3).

        ``retry_after`` is seconds (sent as delay-seconds, or as an HTTP-date on
        the provider's clock with ``http_date=True``), a ``datetime`` (an
        HTTP-date), a raw header string, or ``None`` for no header.
        """
        if (
            retry_after is not None
            and not isinstance(retry_after, (str, datetime))
            and (
                isinstance(retry_after, bool)
                or not isinstance(retry_after, (int, float))
                or retry_after < 0
            )
        ):
            raise ValueError(
                "retry_after must be seconds >= 0, a datetime, a header string or None; "
                f"got {retry_after!r}"
            )
        if isinstance(retry_after, datetime) and retry_after.tzinfo is None:
            raise ValueError(
                "retry_after datetime must be timezone-aware (e.g. tzinfo=timezone.utc)"
            )
        return self._plan(
            "rate_limit",
            target,
            (retry_after,),
            {"http_date": http_date or None},
            retry_after=retry_after,
            http_date=bool(http_date),
        )

    # -- connection faults ------------------------------------------------------------

    def delay(self, seconds: float, **target: Unpack[FaultTarget]) -> Fault:
        """Send the answer ``seconds`` late. The request is processed meanwhile.

        A client whose read timeout is shorter gets ``httpx.ReadTimeout`` after
        its timeout, in-process as over a socket, while the provider has already
        acted on the request (a rotated refresh token stays rotated).
        """
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise ValueError(f"delay() takes seconds >= 0; got {seconds!r}")
        return self._plan("delay", target, (seconds,), seconds=float(seconds))

    def timeout(
        self, *, stall: float = DEFAULT_STALL_SECONDS, **target: Unpack[FaultTarget]
    ) -> Fault:
        """Never answer: the client's read times out. The request is not processed.

        In-process the client gets ``httpx.ReadTimeout`` at once; the loopback
        server holds the connection until the client hangs up (or ``stall``
        seconds pass) and closes it without a word.
        """
        if isinstance(stall, bool) or not isinstance(stall, (int, float)) or stall <= 0:
            raise ValueError(f"stall must be a positive number of seconds; got {stall!r}")
        return self._plan("timeout", target, seconds=float(stall))

    def disconnect(self, **target: Unpack[FaultTarget]) -> Fault:
        """Close the connection without an answer (``httpx.RemoteProtocolError``).

        The request reached the server, so a client cannot know whether it was
        processed; it is not.
        """
        return self._plan("disconnect", target)

    def refuse(self, **target: Unpack[FaultTarget]) -> Fault:
        """Fail the connection before the request is delivered: ``httpx.ConnectError``.

        In-process this is exactly what a refused connection raises. The
        loopback server has already accepted the TCP connection, so it resets it
        instead; clients see ``httpx.ReadError`` or ``httpx.RemoteProtocolError``
        (see docs/faults.md).
        """
        return self._plan("refuse", target)

    # -- body faults ------------------------------------------------------------------

    def malformed_json(self, **target: Unpack[FaultTarget]) -> Fault:
        """Process the request, then send its JSON answer with a syntax error in it."""
        return self._plan("malformed_json", target)

    def truncated_json(self, **target: Unpack[FaultTarget]) -> Fault:
        """Process the request, then send only the first half of its JSON answer."""
        return self._plan("truncated_json", target)

    def wrong_content_type(
        self, content_type: str = "text/html; charset=utf-8", **target: Unpack[FaultTarget]
    ) -> Fault:
        """Process the request, then label its answer with ``content_type``."""
        if not isinstance(content_type, str) or not content_type or "\n" in content_type:
            raise ValueError(f"content_type must be a one-line string; got {content_type!r}")
        return self._plan("content_type", target, (content_type,), content_type=content_type)

    def clear_faults(self) -> None:
        """Forget every planned fault (fired or not)."""
        with self._lock:
            self._faults.clear()
