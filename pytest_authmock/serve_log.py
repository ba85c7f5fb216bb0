"""The request log of ``authmock serve``: one line per request on stderr, as text
or (``--log-format json``) as one JSON object.

A line names the grant, the client and the user when the request says so, and
never a credential: every query value but a few harmless ones is redacted, and
the client comes from the form or from the part of HTTP Basic before the secret.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import parse_qsl, unquote_plus

if TYPE_CHECKING:
    import httpx
    from cryptography import x509

    from pytest_authmock.transport.server import AccessRecord, RequestHandler

__all__ = ["AccessLog", "json_line", "redact_target"]

# Query parameters whose values are safe to print; every other value is redacted.
_SAFE_PARAMS = frozenset(
    {
        "grant_type",
        "response_type",
        "scope",
        "client_id",
        "redirect_uri",
        "token_type_hint",
        "resource",
        "audience",
        "prompt",
        "response_mode",
        "code_challenge_method",
    }
)
#: The text log's ``name=value`` fields, by their JSON names.
_WHO = {"grant": "grant_type", "client": "client_id", "user": "username"}


class AccessLog:
    """Writes the log lines; :meth:`wrap` the handler, pass :meth:`record` as ``on_access``."""

    def __init__(self, err: TextIO, *, log_format: str = "text") -> None:
        self.err = err
        self.json = log_format == "json"
        # The handler runs in the connection's thread just before the server
        # logs the access record from the same thread: a thread-local carries
        # the fields only the request and the response know.
        self._local = threading.local()
        self._lock = threading.Lock()

    def wrap(
        self, handle: Callable[[httpx.Request, x509.Certificate | None], httpx.Response]
    ) -> RequestHandler:
        def logged(request: httpx.Request, cert: x509.Certificate | None) -> httpx.Response:
            self._local.who = _who(request)
            response = handle(request, cert)
            error = None
            if response.status_code >= 400:
                with contextlib.suppress(ValueError, AttributeError):
                    error = json.loads(response.read()).get("error")
            self._local.error = error if isinstance(error, str) else None
            return response

        return logged

    def record(self, record: AccessRecord) -> None:
        stamp = time.strftime("%H:%M:%S")
        if record.tls_error:
            line = f"{stamp} {record.client} TLS handshake failed: {record.tls_error}"
            if self.json:
                line = json_line(record, None, (), "")
        else:
            error = getattr(self._local, "error", None)
            who = getattr(self._local, "who", ())
            self._local.error, self._local.who = None, ()
            if self.json:
                line = json_line(record, error, who, redact_target(record.target))
                self._print(line)
                return
            parts = [
                stamp,
                record.client,
                record.method,
                redact_target(record.target),
                str(record.status),
            ]
            if error:
                parts.append(error)
            parts.extend(who)
            parts.append(f"{record.duration_ms:.1f}ms")
            if record.peer_subject:
                parts.append(f"cert={record.peer_subject}")
            line = " ".join(parts)
        self._print(line)

    def _print(self, line: str) -> None:
        # A closed stderr (the reader went away) must not take the server down.
        with self._lock, contextlib.suppress(OSError, ValueError):
            print(line, file=self.err, flush=True)


def _who(request: httpx.Request) -> tuple[str, ...]:
    """``grant=...`` and ``client=...`` of a form request: names, never credentials."""
    fields: list[str] = []
    params: dict[str, str] = {}
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        with contextlib.suppress(UnicodeDecodeError, ValueError):
            params = dict(parse_qsl(request.content.decode("utf-8"), max_num_fields=64))
    client_id = params.get("client_id")
    authorization = request.headers.get("authorization", "")
    if client_id is None and authorization[:6].lower() == "basic ":
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
            client_id = unquote_plus(decoded.partition(":")[0])  # the part before the secret
    if "grant_type" in params:
        fields.append(f"grant={params['grant_type']}")
    if client_id:
        fields.append(f"client={client_id}")
    if "username" in params:
        fields.append(f"user={params['username']}")
    return tuple(fields)


def redact_target(target: str) -> str:
    """Keep the path and harmless parameters; replace every other value with ``***``."""
    path, sep, query = target.partition("?")
    if not sep:
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    shown = "&".join(f"{name}={value if name in _SAFE_PARAMS else '***'}" for name, value in pairs)
    return f"{path}?{shown}"


def json_line(record: Any, error: str | None, who: tuple[str, ...], target: str) -> str:
    """The access record as a JSON object; ``target`` is already redacted."""
    entry: dict[str, Any] = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "client": record.client,
    }
    if record.tls_error:
        entry["tls_error"] = record.tls_error
        return json.dumps(entry)
    entry.update(
        method=record.method,
        target=target,
        status=record.status,
        error=error,
        duration_ms=round(record.duration_ms, 1),
    )
    for field in who:
        name, _, value = field.partition("=")
        entry[_WHO.get(name, name)] = value
    if record.peer_subject:
        entry["cert"] = record.peer_subject
    return json.dumps(entry)
