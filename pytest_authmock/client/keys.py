"""The key that encrypts the token store, and where it lives.

Two homes for the key, chosen by :func:`default_key_source`:

* the OS keyring (macOS Keychain, Windows Credential Locker, Secret Service)
  through the optional ``keyring`` package, when a real backend is usable;
* otherwise a key file (mode 0600) next to the store.

See ``docs/client/store.md`` for what each protects against, and what not.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from pathlib import Path
from typing import Literal, Protocol

from cryptography.fernet import Fernet, InvalidToken

from pytest_authmock.client.errors import StoreError
from pytest_authmock.client.storelock import StoreLock

__all__ = ["Cipher", "FileKey", "KeySource", "KeyringKey", "default_key_source"]

logger = logging.getLogger("pytest_authmock.client")

KEYRING_USERNAME = "token-store-key"


class KeySource(Protocol):
    """Gives the Fernet key, creating it on first use."""

    #: Short name written into store files ("file", "keyring").
    kind: str

    def get_or_create(self) -> bytes: ...


class FileKey:
    """A key in a file readable by the user only."""

    kind = "file"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"FileKey({str(self.path)!r})"

    def get_or_create(self) -> bytes:
        try:
            return self._read()
        except FileNotFoundError:
            pass
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(6)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(Fernet.generate_key())
                f.flush()
                os.fsync(f.fileno())
            # link() fails if the key exists: of two processes creating the key
            # at once, exactly one wins and both end up reading the same key.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)
        return self._read()

    def _read(self) -> bytes:
        key = self.path.read_bytes().strip()
        if len(key) != 44:
            raise StoreError(
                f"the key file {self.path} is damaged; delete it and log in again"
                " (stored sessions cannot be decrypted without it)",
                path=self.path,
            )
        return key


class KeyringKey:
    """A key kept in the OS keyring under ``service``."""

    kind = "keyring"

    def __init__(self, service: str, lock_path: Path) -> None:
        self.service = service
        self._lock_path = lock_path

    def __repr__(self) -> str:
        return f"KeyringKey(service={self.service!r})"

    def get_or_create(self) -> bytes:
        import keyring

        try:
            with StoreLock(self._lock_path):
                key: str | None = keyring.get_password(self.service, KEYRING_USERNAME)
                if key is None:
                    key = Fernet.generate_key().decode()
                    keyring.set_password(self.service, KEYRING_USERNAME, key)
        except keyring.errors.KeyringError as exc:
            raise StoreError(
                f"the OS keyring refused access to the store key ({type(exc).__name__});"
                " unlock the keyring, or choose the key file with keyring='never'"
            ) from exc
        return key.encode()


def keyring_usable() -> bool:
    """True when the ``keyring`` package is installed and has a real backend."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return False
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken keyring config must not break the CLI
        return False
    priority = getattr(backend, "priority", 0)
    return (
        not isinstance(backend, fail.Keyring)
        and isinstance(priority, (int, float))
        and (priority > 0)
    )


def default_key_source(
    directory: Path, service: str, keyring: Literal["auto", "always", "never"] = "auto"
) -> KeySource:
    """The keyring when usable (or demanded), else a key file in ``directory``."""
    if keyring not in ("auto", "always", "never"):
        raise ValueError(f"keyring must be 'auto', 'always' or 'never', got {keyring!r}")
    if keyring == "always" or (keyring == "auto" and keyring_usable()):
        return KeyringKey(service, directory / ".keyring.lock")
    return FileKey(directory / "store.key")


class Cipher:
    """Fernet (AES-128-CBC + HMAC-SHA256) with a key fetched on first use."""

    def __init__(self, source: KeySource) -> None:
        self.source = source
        self._fernet: Fernet | None = None

    def __repr__(self) -> str:
        return f"Cipher({self.source!r})"

    def _get(self) -> Fernet:
        if self._fernet is None:
            self._fernet = Fernet(self.source.get_or_create())
        return self._fernet

    def encrypt(self, data: bytes) -> str:
        return self._get().encrypt(data).decode("ascii")

    def decrypt(self, token: str, *, what: str, path: Path | None = None) -> bytes:
        try:
            return self._get().decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError, ValueError):
            raise StoreError(
                f"{what} cannot be decrypted with the current key ({self.source.kind});"
                " the key changed or the file was damaged. Run logout (which deletes it)"
                " and log in again",
                path=path,
            ) from None
