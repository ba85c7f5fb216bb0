"""Claims layouts: which claims a provider puts in its access and ID tokens, and in what shape.

Providers differ: ``scope`` (a string, RFC 9068 §2.2.3) or ``scp`` (an array),
``client_id`` or ``azp``, ``aud`` a string or an array, custom claims such as
``roles`` arrays. A layout lists the claims, ``name`` or ``name:type`` each
(``["iss", "sub", "aud:array", "scp:array", "roles:array"]``):

* a claim the provider computes (``iss``, ``exp``, ``scope``...) appears only if
  listed, in the listed shape;
* another listed claim appears with the test's value (``add_client(claims=...)``,
  ``add_user(claims=...)``, a claims hook), or else with an empty value of its type
  (``""``, ``0``, ``false``, ``[]``, ``{}``), so that code reading it sees its shape;
* the test's own claims and the standard profile claims a scope releases (OIDC
  Core §5.4) always appear, listed or not.

A layout that names neither ``scope`` nor ``scp`` keeps the scope as ``scope``:
a layout recorded from a request without scope cannot say where a scope goes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["PLACEHOLDERS", "lay_out"]

#: The value a listed claim gets when nothing else provides one.
PLACEHOLDERS: dict[str, Any] = {
    "string": "",
    "number": 0,
    "boolean": False,
    "array": [],
    "object": {},
}
#: Computed claims a layout may ask for in another shape.
_LISTS = ("aud", "scope", "scp")


def lay_out(
    layout: Sequence[str] | None,
    computed: Mapping[str, Any],
    default: Sequence[str],
    own: Mapping[str, Any],
) -> dict[str, Any]:
    """The claims of one token.

    ``computed``: every claim the provider can compute for it (values for
    ``scope`` are lists); ``default``: the ones the fake puts in without a
    layout; ``own``: the test's claims and released profile claims, which
    computed claims override.
    """
    entries = [entry.partition(":")[::2] for entry in (layout or ())]
    if layout is None:
        entries = [(name, "") for name in default]
    names = [name for name, _ in entries]
    if "scope" in computed and "scope" not in names and "scp" not in names:
        entries.append(("scope", "string"))
    claims: dict[str, Any] = dict(own)
    for name, kind in entries:
        if name in computed:
            value = computed[name]
            if value is None or (name in ("scope", "scp") and not value):
                continue  # nothing to say: no nonce was sent, no scope granted
            claims[name] = _shaped(name, value, kind)
        elif name not in claims:
            claims[name] = _placeholder(kind)
    return claims


def _shaped(name: str, value: Any, kind: str) -> Any:
    if name not in _LISTS:
        return value
    items = [value] if isinstance(value, str) else list(value)
    if kind == "array":
        return items
    if name == "aud":
        # One audience is a string (RFC 7519 §4.1.3); several stay an array whatever is asked.
        return items[0] if len(items) == 1 else items
    if kind == "string" or name == "scope":
        return " ".join(items)
    return items  # ``scp`` without a type: an array, as providers that use it send it


def _placeholder(kind: str) -> Any:
    value = PLACEHOLDERS[kind or "string"]
    return type(value)() if isinstance(value, (list, dict)) else value
