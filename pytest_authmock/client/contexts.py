"""Contexts: named profiles (issuer, client credentials, scopes), one of them active.

They live in ``contexts.json`` (mode 0600) next to the token store. The client
secret is a secret, so it is stored encrypted with the store's key; the rest
stays readable so a user can see what is configured.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_authmock.client.errors import ConfigurationError, StoreError
from pytest_authmock.client.keys import Cipher
from pytest_authmock.client.store import check_context_name
from pytest_authmock.client.storelock import StoreLock

__all__ = ["Context", "ContextStore"]

FORMAT = "pytest-authmock/contexts"
VERSION = 1
#: Keys accepted by :meth:`ContextStore.set_value`, as CLIs spell them.
SETTABLE = ("issuer", "client-id", "client-secret", "scopes", "auth-method")


@dataclasses.dataclass(frozen=True)
class Context:
    """One profile. ``client_secret`` is never shown; ``has_client_credentials`` is."""

    name: str
    issuer: str | None = None
    client_id: str | None = None
    client_secret: str | None = dataclasses.field(default=None, repr=False)
    scopes: tuple[str, ...] = ()
    auth_method: str | None = None

    def __repr__(self) -> str:
        secret = "'***'" if self.client_secret else None
        return (
            f"Context(name={self.name!r}, issuer={self.issuer!r}, client_id={self.client_id!r},"
            f" client_secret={secret}, scopes={self.scopes!r})"
        )

    @property
    def has_client_credentials(self) -> bool:
        return bool(self.client_id and self.client_secret)


class ContextStore:
    """Read and change the contexts of one application."""

    def __init__(self, directory: Path, cipher: Cipher, *, default: str = "default") -> None:
        self.directory = Path(directory)
        self.cipher = cipher
        self.default = check_context_name(default)

    def __repr__(self) -> str:
        return f"ContextStore({str(self.path)!r})"

    @property
    def path(self) -> Path:
        return self.directory / "contexts.json"

    def _lock(self) -> StoreLock:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        return StoreLock(self.directory / ".contexts.lock")

    # -- file -------------------------------------------------------------------------

    def _read(self) -> dict[str, Any]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {"format": FORMAT, "version": VERSION, "active": None, "contexts": {}}
        way_out = f"fix or delete {self.path} (contexts must then be created again)"
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise StoreError(f"{self.path} is not valid JSON; {way_out}", path=self.path) from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise StoreError(f"{self.path} is not a contexts file; {way_out}", path=self.path)
        if data.get("version") != VERSION:
            raise StoreError(
                f"{self.path} has format version {data.get('version')!r}; this version reads"
                f" {VERSION}. Upgrade, or {way_out}",
                path=self.path,
            )
        if not isinstance(data.get("contexts"), dict):
            raise StoreError(f"{self.path} has no 'contexts' table; {way_out}", path=self.path)
        return data

    def _write(self, data: dict[str, Any]) -> None:
        tmp = self.path.with_name(f".contexts.{secrets.token_hex(6)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(data, f, indent=2, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _decode(self, name: str, entry: Any) -> Context:
        if not isinstance(entry, dict):
            raise StoreError(f"context {name!r} in {self.path} is damaged", path=self.path)
        secret = entry.get("client_secret")
        plain = None
        if isinstance(secret, str):
            what = f"the client secret of context {name!r}"
            plain = self.cipher.decrypt(secret, what=what, path=self.path).decode()
        scopes = entry.get("scopes") or []
        return Context(
            name=name,
            issuer=entry.get("issuer"),
            client_id=entry.get("client_id"),
            client_secret=plain,
            scopes=tuple(s for s in scopes if isinstance(s, str)),
            auth_method=entry.get("auth_method"),
        )

    def _encode(self, context: Context) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "issuer": context.issuer,
            "client_id": context.client_id,
            "scopes": list(context.scopes),
            "auth_method": context.auth_method,
        }
        if context.client_secret is not None:
            entry["client_secret"] = self.cipher.encrypt(context.client_secret.encode())
        return {k: v for k, v in entry.items() if v not in (None, [])}

    # -- API --------------------------------------------------------------------------

    def list(self) -> list[Context]:
        data = self._read()
        return [self._decode(n, e) for n, e in sorted(data["contexts"].items())]

    def active_name(self) -> str:
        active = self._read().get("active")
        return active if isinstance(active, str) else self.default

    def get(self, name: str | None = None) -> Context:
        """A context by name (the active one by default); an empty one if never configured."""
        data = self._read()
        name = check_context_name(name or self.active_name())
        entry = data["contexts"].get(name)
        return Context(name) if entry is None else self._decode(name, entry)

    def active(self) -> Context:
        return self.get()

    def exists(self, name: str) -> bool:
        return check_context_name(name) in self._read()["contexts"]

    def save(self, context: Context, *, activate: bool = False) -> Context:
        check_context_name(context.name)
        with self._lock():
            data = self._read()
            data["contexts"][context.name] = self._encode(context)
            if activate or not isinstance(data.get("active"), str):
                data["active"] = context.name
            self._write(data)
        return context

    def create(
        self,
        name: str,
        *,
        issuer: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        scopes: Sequence[str] = (),
        auth_method: str | None = None,
        activate: bool = False,
    ) -> Context:
        if self.exists(name):
            raise ConfigurationError(f"context {name!r} already exists; change it with set_value")
        context = Context(name, issuer, client_id, client_secret, tuple(scopes), auth_method)
        return self.save(context, activate=activate)

    def use(self, name: str) -> Context:
        """Make ``name`` the active context."""
        with self._lock():
            data = self._read()
            if check_context_name(name) not in data["contexts"]:
                known = ", ".join(sorted(data["contexts"])) or "none"
                raise ConfigurationError(f"no context named {name!r}; known: {known}")
            data["active"] = name
            self._write(data)
        return self.get(name)

    def set_value(self, key: str, value: str | None, *, name: str | None = None) -> Context:
        """Set (or with ``None`` clear) one value of a context, creating it if needed."""
        if key not in SETTABLE:
            raise ConfigurationError(f"unknown context key {key!r}; one of {', '.join(SETTABLE)}")
        context = self.get(name)
        field = key.replace("-", "_")
        new: Any = value
        if key == "scopes":
            new = tuple(value.replace(",", " ").split()) if value else ()
        return self.save(dataclasses.replace(context, **{field: new}))

    def delete(self, name: str) -> bool:
        with self._lock():
            data = self._read()
            if data["contexts"].pop(check_context_name(name), None) is None:
                return False
            if data.get("active") == name:
                data["active"] = None
            self._write(data)
        return True
