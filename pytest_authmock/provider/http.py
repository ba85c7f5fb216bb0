"""Reading requests and writing responses without ever letting bad input raise."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

import httpx

from pytest_authmock.provider.errors import (
    InvalidClient,
    InvalidRequest,
    MethodNotAllowed,
    OAuthError,
)

#: Larger bodies are refused: no legitimate OAuth request comes close.
MAX_BODY_BYTES = 64 * 1024
MAX_FIELDS = 64
#: Longer parameter values are refused; real scopes, ids and JWT assertions are far shorter.
MAX_VALUE_CHARS = 8 * 1024
FORM = "application/x-www-form-urlencoded"
#: Parameters that may be repeated: ``resource`` (RFC 8707 §2), once per resource the
#: token is for, and ``audience`` (RFC 8693 §2.1), once per audience.
REPEATABLE = frozenset({"resource", "audience"})

# RFC 6749 §5.1: token responses, and by extension every answer carrying a
# credential or an error about one, must not be cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_NO_STORE_RAW = tuple((name.encode(), value.encode()) for name, value in NO_STORE.items())


def json_response(
    status_code: int, body: Any, *, headers: dict[str, str] | None = None, cache: bool = False
) -> httpx.Response:
    """A JSON answer; its body is a stream for the transport to read.

    Building the response around a ``ByteStream`` with byte headers costs ~3 us;
    ``httpx.Response(content=...)`` costs ~25 us, on every request of every test.
    """
    content = json.dumps(body, separators=(",", ":")).encode()
    raw: list[tuple[bytes, bytes]] = [] if cache else list(_NO_STORE_RAW)
    raw.append((b"Content-Type", b"application/json"))
    raw.append((b"Content-Length", str(len(content)).encode()))
    for name, value in (headers or {}).items():
        raw.append((name.encode(), value.encode()))
    return httpx.Response(status_code, headers=raw, stream=httpx.ByteStream(content))


def error_response(error: OAuthError, *, status: int | None = None) -> httpx.Response:
    """The RFC 6749 §5.2 answer for ``error``; ``status`` overrides its usual status code."""
    return json_response(status or error.status_code, error.body(), headers=error.headers)


def body_bytes(request: httpx.Request) -> bytes:
    try:
        return request.content
    except httpx.RequestNotRead:
        return request.read()


class Form(dict[str, str]):
    """Form parameters, one value each; a :data:`REPEATABLE` one keeps every value.

    ``form[name]`` is the first value of a repeated parameter; :meth:`values_of`
    gives them all.
    """

    def __init__(self) -> None:
        super().__init__()
        self.repeated: dict[str, list[str]] = {}

    def values_of(self, name: str) -> tuple[str, ...]:
        if name in self.repeated:
            return tuple(self.repeated[name])
        return (self[name],) if name in self else ()


def values_of(params: dict[str, str], name: str) -> tuple[str, ...]:
    """Every value of ``name``: all of a repeated one in a :class:`Form`, else the one."""
    if isinstance(params, Form):
        return params.values_of(name)
    return (params[name],) if name in params else ()


def read_form(request: httpx.Request) -> Form:
    """Parse an ``application/x-www-form-urlencoded`` body as RFC 6749 §3.2 requires.

    Duplicate parameters are refused (except :data:`REPEATABLE` ones), and
    parameters with empty values count as omitted.
    """
    mime = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = body_bytes(request)
    if not body and not mime:
        # An empty POST has no parameters; say which one is missing rather than
        # complaining about the absent Content-Type.
        return Form()
    if mime != FORM:
        got = f"Content-Type {mime!r}" if mime else "no Content-Type"
        raise InvalidRequest(
            f"this endpoint takes an {FORM} body (RFC 6749 §3.2); the request had {got}"
        )
    if len(body) > MAX_BODY_BYTES:
        raise InvalidRequest(
            f"request body is {len(body)} bytes; the provider accepts at most {MAX_BODY_BYTES}"
        )
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:
        raise InvalidRequest("request body is not valid UTF-8") from None
    except ValueError:
        raise InvalidRequest(
            f"request body has more than {MAX_FIELDS} parameters or is not form-encoded"
        ) from None
    params = Form()
    seen: set[str] = set()
    for name, value in pairs:
        if name in seen and name not in REPEATABLE:
            raise InvalidRequest(
                f"parameter {name!r} was sent more than once; RFC 6749 §3.2 allows each once"
            )
        seen.add(name)
        if len(value) > MAX_VALUE_CHARS:
            raise InvalidRequest(
                f"parameter {name[:40]!r} is {len(value)} characters long; "
                f"the provider accepts at most {MAX_VALUE_CHARS}"
            )
        if value != "":
            if name in REPEATABLE:
                params.repeated.setdefault(name, []).append(value)
            params.setdefault(name, value)
    return params


def parse_basic(header: str) -> tuple[str, str]:
    """Decode ``Authorization: Basic`` client credentials (RFC 6749 §2.3.1).

    The id and secret are form-urlencoded before Base64, so they are decoded here.
    """
    _, _, encoded = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Basic realm="authmock", charset="UTF-8"'}
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise InvalidClient(
            "Authorization: Basic header is not valid Base64 of 'client_id:client_secret'",
            headers=challenge,
        ) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep or not client_id:
        raise InvalidClient(
            "Authorization: Basic header must carry 'client_id:client_secret'", headers=challenge
        )
    return unquote_plus(client_id), unquote_plus(secret)


def auth_scheme(request: httpx.Request) -> str:
    header: str = request.headers.get("authorization", "")
    return header.partition(" ")[0].lower()


def require_method(request: httpx.Request, *methods: str) -> None:
    """Refuse any other method with 405 and an ``Allow`` header (RFC 9110 §15.5.6)."""
    if request.method not in methods:
        raise MethodNotAllowed(
            f"{request.method} is not allowed here; use {' or '.join(methods)}",
            headers={"Allow": ", ".join(methods)},
        )
