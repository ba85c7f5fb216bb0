"""Faults on demand: the ``idp`` methods that plan them (see :mod:`.faults` for what they do)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pytest_authmock.provider.facade_base import FacadeBase
from pytest_authmock.provider.faults import (
    DEFAULT_BODY,
    DEFAULT_STALL_SECONDS,
    Fault,
    FaultKind,
    fault_body,
)


def _call(name: str, *args: Any, **kwargs: Any) -> str:
    parts = [repr(a) for a in args]
    # None means "not given" except for times, where it means "every request".
    parts += [f"{k}={v!r}" for k, v in kwargs.items() if v is not None or k == "times"]
    return f"{name}({', '.join(parts)})"


class FaultsAPI(FacadeBase):
    """Methods of :class:`~pytest_authmock.provider.idp.FakeIdP` that plan faults."""

    def _plan(
        self,
        kind: FaultKind,
        call: tuple[str, tuple[Any, ...], dict[str, Any]],
        *,
        endpoint: str | None,
        times: int | None,
        fraction: float | None,
        grant_type: str | None,
        **details: Any,
    ) -> Fault:
        """Plan a fault; ``call`` is (public name, its arguments, extra keywords) for messages."""
        name, args, shown = call
        label = _call(
            name,
            *args,
            **shown,
            endpoint=endpoint,
            times=times,
            fraction=fraction,
            grant_type=grant_type,
        )
        with self._lock:
            return self._faults.plan(
                kind,
                endpoint=endpoint,
                times=times,
                fraction=fraction,
                grant_type=grant_type,
                call=label,
                **details,
            )

    # -- answer faults ----------------------------------------------------------------

    def fail(
        self,
        status: int = 503,
        *,
        endpoint: str | None = None,
        times: int | None = 1,
        fraction: float | None = None,
        grant_type: str | None = None,
        body: Any = DEFAULT_BODY,
        headers: Mapping[str, str] | None = None,
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
            ("fail", (status,), {}),
            endpoint=endpoint,
            times=times,
            fraction=fraction,
            grant_type=grant_type,
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
        endpoint: str | None = None,
        times: int | None = 1,
        fraction: float | None = None,
        grant_type: str | None = None,
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
            ("rate_limit", (retry_after,), {"http_date": http_date or None}),
            endpoint=endpoint,
            times=times,
            fraction=fraction,
            grant_type=grant_type,
            retry_after=retry_after,
            http_date=bool(http_date),
        )

    # -- connection faults ------------------------------------------------------------

    def delay(
        self,
        seconds: float,
        *,
        endpoint: str | None = None,
        times: int | None = 1,
        fraction: float | None = None,
        grant_type: str | None = None,
    ) -> Fault:
        """Send the answer ``seconds`` late. The request is processed meanwhile.

        A client whose read timeout is shorter gets ``httpx.ReadTimeout`` after
        its timeout, in-process as over a socket, while the provider has already
        acted on the request (a rotated refresh token stays rotated).
        """
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise ValueError(f"delay() takes seconds >= 0; got {seconds!r}")
        return self._plan(
            "delay",
            ("delay", (seconds,), {}),
            endpoint=endpoint,
            times=times,
            fraction=fraction,
            grant_type=grant_type,
            seconds=float(seconds),
        )

    def timeout(
        self,
        *,
        endpoint: str | None = None,
        times: int | None = 1,
        fraction: float | None = None,
        grant_type: str | None = None,
        stall: float = DEFAULT_STALL_SECONDS,
    ) -> Fault:
        """Never answer: the client's read times out. The request is not processed.

        In-process the client gets ``httpx.ReadTimeout`` at once; the loopback
        server holds the connection until the client hangs up (or ``stall``
        seconds pass) and closes it without a word.
        """
        if isinstance(stall, bool) or not isinstance(stall, (int, float)) or stall <= 0:
            raise ValueError(f"stall must be a positive number of seconds; got {stall!r}")
        return self._plan(
            "timeout",
            ("timeout", (), {}),
            endpoint=endpoint,
            times=times,
            fraction=fraction,
            grant_type=grant_type,
            seconds=float(stall),
        )

    def disconnect(
        self,
        *,
        endpoint: str | None = None,
        times: int | None = 1,
        fraction: float | None = None,
        grant_type: str | None = None,
    ) -> Fault:
        """Close the connection without an answer (``httpx.RemoteProtocolError``).

        The request reached the server, so a client cannot know whether it was
        processed; it is not.
        """
        return self._plan(
            "disconnect",
            ("disconnect", (), {}),
            endpoint=endpoint,
            times=times,
            fraction=fraction,
            grant_type=grant_type,
        )

    def refuse(
        self,
        *,
        endpoint: str | None = None,
        times: int | None = 1,
        fraction: float | None = None,
        grant_type: str | None = None,
    ) -> Fault:
        """Fail the connection before the request is delivered: ``httpx.ConnectError``.

        In-process this is exactly what a refused connection raises. The
        loopback server has already accepted the TCP connection, so it resets it
        instead; clients see ``httpx.ReadError`` or ``httpx.RemoteProtocolError``
        (see docs/faults.md).
        """
        return self._plan(
            "refuse",
            ("refuse", (), {}),
            endpoint=endpoint,
            times=times,
            fraction=fraction,
            grant_type=grant_type,
        )

    # -- body faults ------------------------------------------------------------------

    def malformed_json(
        self,
        *,
        endpoint: str | None = None,
        times: int | None = 1,
        fraction: float | None = None,
        grant_type: str | None = None,
    ) -> Fault:
        """Process the request, then send its JSON answer with a syntax error in it."""
        return self._plan(
            "malformed_json",
            ("malformed_json", (), {}),
            endpoint=endpoint,
            times=times,
            fraction=fraction,
            grant_type=grant_type,
        )

    def truncated_json(
        self,
        *,
        endpoint: str | None = None,
        times: int | None = 1,
        fraction: float | None = None,
        grant_type: str | None = None,
    ) -> Fault:
        """Process the request, then send only the first half of its JSON answer."""
        return self._plan(
            "truncated_json",
            ("truncated_json", (), {}),
            endpoint=endpoint,
            times=times,
            fraction=fraction,
            grant_type=grant_type,
        )

    def wrong_content_type(
        self,
        content_type: str = "text/html; charset=utf-8",
        *,
        endpoint: str | None = None,
        times: int | None = 1,
        fraction: float | None = None,
        grant_type: str | None = None,
    ) -> Fault:
        """Process the request, then label its answer with ``content_type``."""
        if not isinstance(content_type, str) or not content_type or "\n" in content_type:
            raise ValueError(f"content_type must be a one-line string; got {content_type!r}")
        return self._plan(
            "content_type",
            ("wrong_content_type", (content_type,), {}),
            endpoint=endpoint,
            times=times,
            fraction=fraction,
            grant_type=grant_type,
            content_type=content_type,
        )

    def clear_faults(self) -> None:
        """Forget every planned fault (fired or not)."""
        with self._lock:
            self._faults.clear()
