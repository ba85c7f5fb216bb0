"""What the fuzzer sends, as data: plans that refer to live values, and their rendering.

A drawn request is a *plan*: it may refer to live values of the provider under
test (``Ref("client_id")``, the admin token, the pending device code...) so that
the fuzzer gets past client authentication and reaches the code behind it; the
test renders the plan against its provider.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any, Union
from urllib.parse import quote, quote_from_bytes

FORM = "application/x-www-form-urlencoded"


@dataclasses.dataclass(frozen=True)
class Ref:
    """A live value of the provider under test, filled in when the plan is rendered."""

    name: str


@dataclasses.dataclass(frozen=True)
class RawJSON:
    """JSON text put into a document as is: numbers and nestings ``json`` cannot write."""

    text: str


@dataclasses.dataclass(frozen=True)
class Now:
    """The provider's time plus ``offset`` seconds, as a JSON number (``iat``, ``exp``)."""

    offset: float


#: A piece of a plan: text, raw bytes (sent percent-encoded, so possibly invalid
#: UTF-8), a reference, raw JSON, a time, a JWS, or JSON containers of those.
Template = Union[
    str, bytes, int, float, bool, None, Ref, RawJSON, Now, "JWTPlan", "SignedJWT", list, dict
]


@dataclasses.dataclass(frozen=True)
class JWTPlan:
    """A JWS compact serialization with attacker-chosen parts (RFC 7515 §7.1)."""

    header: Template
    payload: Template
    signature: bytes
    segments: int

    def render(self, values: Mapping[str, str]) -> str:
        parts = [_b64(_part(self.header, values)), _b64(_part(self.payload, values))]
        parts.append(_b64(self.signature))
        while len(parts) < self.segments:
            parts.append(_b64(self.signature))
        return ".".join(parts[: self.segments])


@dataclasses.dataclass(frozen=True)
class SignedJWT:
    """A JWS whose parts the fuzzer chose, signed for real with one of the fuzz keys
    (``tests/fuzz/keys.py``), so the checks behind the signature run too."""

    header: Template
    payload: Template
    key: str

    def render(self, values: Mapping[str, str]) -> str:
        from tests.fuzz.keys import sign

        signing_input = f"{_b64(_part(self.header, values))}.{_b64(_part(self.payload, values))}"
        return f"{signing_input}.{_b64(sign(self.key, signing_input.encode()))}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _part(part: Template, values: Mapping[str, str]) -> bytes:
    if isinstance(part, bytes):
        return part
    return render_json(part, values).encode("utf-8", "surrogatepass")


def render(value: Template, values: Mapping[str, str]) -> str | bytes:
    """A form or header value: text, or bytes for raw (maybe invalid UTF-8) input."""
    if isinstance(value, Ref):
        return values[value.name]
    if isinstance(value, (JWTPlan, SignedJWT)):
        return value.render(values)
    if isinstance(value, RawJSON):
        return value.text
    if isinstance(value, Now):
        return _now(value, values)
    if isinstance(value, (str, bytes)):
        return value
    return render_json(value, values)


def render_json(value: Template, values: Mapping[str, str]) -> str:
    """JSON text with references filled in and raw fragments kept as they are."""
    if isinstance(value, RawJSON):
        return value.text
    if isinstance(value, Now):
        return _now(value, values)
    if isinstance(value, (Ref, JWTPlan, SignedJWT)):
        return json.dumps(render(value, values))
    if isinstance(value, bytes):
        return json.dumps(value.decode("latin-1"))
    if isinstance(value, list):
        return "[" + ",".join(render_json(item, values) for item in value) + "]"
    if isinstance(value, dict):
        members = (f"{json.dumps(str(k))}:{render_json(v, values)}" for k, v in value.items())
        return "{" + ",".join(members) + "}"
    return json.dumps(value)


def _now(value: Now, values: Mapping[str, str]) -> str:
    moment = float(values["now"]) + value.offset
    return str(int(moment)) if moment.is_integer() else repr(moment)


def _encode(value: str | bytes) -> str:
    if isinstance(value, bytes):
        return quote_from_bytes(value, safe="")
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def urlencode(pairs: Sequence[tuple[Template, Template]], values: Mapping[str, str]) -> str:
    """``application/x-www-form-urlencoded`` (or a query), duplicates and raw bytes kept."""
    return "&".join(
        f"{_encode(render(name, values))}={_encode(render(value, values))}" for name, value in pairs
    )


@dataclasses.dataclass(frozen=True)
class Body:
    kind: str  # "form", "json", "raw"
    form: tuple[tuple[Template, Template], ...] = ()
    document: Template = None
    raw: bytes = b""

    def render(self, values: Mapping[str, str]) -> bytes:
        if self.kind == "form":
            return urlencode(self.form, values).encode("ascii")
        if self.kind == "json":
            return render_json(self.document, values).encode("utf-8", "surrogatepass")
        return self.raw

    @property
    def content_type(self) -> str | None:
        return {"form": FORM, "json": "application/json"}.get(self.kind)


@dataclasses.dataclass(frozen=True)
class RequestPlan:
    method: str
    suffix: str
    query: tuple[tuple[Template, Template], ...]
    content_type: str | None
    authorization: tuple[Template, ...]
    body: Body
    cookie: str | None
    #: ``DPoP`` headers (RFC 9449 §4.1): none, one, or several.
    dpop: tuple[Template, ...] = ()

    def __repr__(self) -> str:
        # Hypothesis prints failing plans; a 200 kB body would bury the point.
        fields = ", ".join(
            f"{f.name}={_short(getattr(self, f.name))}" for f in dataclasses.fields(self)
        )
        return f"RequestPlan({fields})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def _short(value: object, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}...<{len(text)} chars>"
