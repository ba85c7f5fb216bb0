"""Scenario control on ``FakeIdP``: faults, key rotation, disabling, claims hooks.

A mixin, so that the facade keeps one flat API (``idp.fail(...)``,
``idp.rotate_keys()``) while the code lives next to its subject.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pytest_authmock.provider.claims import ClaimsHook
from pytest_authmock.provider.clock import Clock
from pytest_authmock.provider.faults import DEFAULT_STALL_SECONDS, Fault, FaultKind, FaultPlan
from pytest_authmock.provider.keys import SigningKeys
from pytest_authmock.provider.models import Client, User
from pytest_authmock.provider.store import Store
from pytest_authmock.provider.tokens import TokenMinter

_DEFAULT_BODY: Any = object()


def _call(name: str, *args: Any, **kwargs: Any) -> str:
    parts = [repr(a) for a in args]
    # None means "not given" except for times, where it means "every request".
    parts += [f"{k}={v!r}" for k, v in kwargs.items() if v is not None or k == "times"]
    return f"{name}({', '.join(parts)})"


def _body(body: Any, status: int) -> tuple[bytes | None, str | None]:
    """Fault body as bytes plus its content type."""
    import json

    if body is _DEFAULT_BODY:
        # A JSON error a real gateway might send; RFC 6749 defines no 5xx codes, so
        # server_error / temporarily_unavailable are the closest registered names.
        code = "server_error" if status == 500 else "temporarily_unavailable"
        text = json.dumps(
            {"error": code, "error_description": f"HTTP {status} (pytest-authmock fault)"},
            separators=(",", ":"),
        )
        return text.encode(), "application/json"
    if body is None:
        return None, None
    if isinstance(body, bytes):
        return body, "application/octet-stream"
    if isinstance(body, str):
        return body.encode(), "text/plain; charset=utf-8"
    if isinstance(body, (Mapping, list)):
        return json.dumps(body, separators=(",", ":")).encode(), "application/json"
    raise TypeError(f"body must be a dict, list, str, bytes or None; got {type(body).__name__}")


class ScenarioControls:
    """Faults on demand and mid-test changes; mixed into :class:`FakeIdP`."""

    # Provided by FakeIdP.
    faults: FaultPlan
    keys: SigningKeys
    clock: Clock
    store: Store
    minter: TokenMinter
    _lock: threading.RLock

    def _client(self, client: Client | str) -> Client:
        raise NotImplementedError

    def _user(self, user: User | str) -> User:
        raise NotImplementedError

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
            return self.faults.plan(
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
        body: Any = _DEFAULT_BODY,
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
        content, content_type = _body(body, status)
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
            self.faults.clear()

    # -- keys -------------------------------------------------------------------------

    def rotate_keys(self, *, grace: float | None = None, kid: str | None = None) -> str:
        """Sign with a new key from now on; returns its ``kid``.

        The old key stays in the JWKS for ``grace`` seconds of provider time
        (``idp.clock.advance()`` ends it), forever with ``None``, or is dropped at
        once with ``grace=0``; tokens it signed then fail validation. ``kid``
        names the new key.
        """
        with self._lock:
            return self.keys.rotate(grace=grace, kid=kid)

    def use_kid(self, kid: str) -> None:
        """Publish and sign with the active key under a ``kid`` of your choosing.

        Call it before issuing tokens: tokens signed under the previous ``kid``
        are no longer verifiable.
        """
        with self._lock:
            self.keys.relabel_active(kid)

    # -- mid-test changes -------------------------------------------------------------

    def disable_user(self, user: User | str) -> User:
        """Disable a user: its tokens stop working, logins and refreshes fail (``invalid_grant``)."""
        with self._lock:
            found = self._user(user)
            found.disabled = True
            return found

    def enable_user(self, user: User | str) -> User:
        with self._lock:
            found = self._user(user)
            found.disabled = False
            return found

    def disable_client(self, client: Client | str) -> Client:
        """Disable a client: its tokens stop working and it can no longer authenticate
        (``invalid_client``, RFC 6749 §5.2), so refreshes fail too."""
        with self._lock:
            found = self._client(client)
            found.disabled = True
            return found

    def enable_client(self, client: Client | str) -> Client:
        with self._lock:
            found = self._client(client)
            found.disabled = False
            return found

    # -- claims -----------------------------------------------------------------------

    def claims_hook(self, hook: ClaimsHook) -> ClaimsHook:
        """Add claims per request: ``hook(request) -> dict | None``; usable as a decorator.

        ``request`` is a :class:`~pytest_authmock.provider.claims.ClaimsRequest`
        (grant type, client, user, scope, form parameters without secrets). The
        result overrides the client's and the user's claims in the access token
        and the ID token. Hooks run in the order they were added.
        """
        if not callable(hook):
            raise TypeError(f"claims_hook() takes a callable; got {hook!r}")
        with self._lock:
            self.minter.claims_hooks.append(hook)
        return hook
