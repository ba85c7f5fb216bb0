"""The on-disk token store: one encrypted session file per context.

Each file is a small JSON envelope (format name, version, key kind) around a
Fernet token that holds the session. Writes go to a temporary file in the same
directory, are fsynced and then renamed over the old file (``os.replace`` is
atomic), so a reader, or a process killed mid-write, sees the old session or
the new one, never half of each. Read-modify-write sequences (a refresh) hold
an inter-process lock per context.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import re
import stat
import time
from pathlib import Path
from typing import Any

from pytest_authmock.client.errors import StoreError
from pytest_authmock.client.keys import Cipher
from pytest_authmock.client.storelock import DEFAULT_LOCK_TIMEOUT, StoreLock
from pytest_authmock.client.tokens import Token

__all__ = ["Session", "SessionPersistence", "TokenStore"]

logger = logging.getLogger("pytest_authmock.client")

FORMAT = "pytest-authmock/session"
VERSION = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_context_name(name: str) -> str:
    """Context names become file names, so they are kept to a safe alphabet."""
    if not _NAME.match(name) or name in (".", ".."):
        raise ValueError(
            f"invalid context name {name!r}: use letters, digits, '.', '_' and '-'"
            " (at most 64, starting with a letter or digit)"
        )
    return name


@dataclasses.dataclass(frozen=True)
class Session:
    """A logged-in session: the token and who it belongs to."""

    token: Token
    issuer: str
    client_id: str | None = None
    username: str | None = None
    display_name: str | None = None
    created_at: float = dataclasses.field(default_factory=lambda: time.time())

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["token"] = self.token.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        fields = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in fields}
        values["token"] = Token.from_dict(data["token"])
        return cls(**values)


class TokenStore:
    """Encrypted sessions under ``directory``, one per context.

    ``lock_timeout`` bounds the wait for another process's lock (a refresh or
    a write in progress); past it, :class:`StoreError` names the lock file.
    """

    def __init__(
        self, directory: Path, cipher: Cipher, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    ) -> None:
        self.directory = Path(directory)
        self.cipher = cipher
        self.lock_timeout = lock_timeout

    def __repr__(self) -> str:
        return f"TokenStore({str(self.directory)!r})"

    def path(self, context: str) -> Path:
        return self.directory / "sessions" / f"{check_context_name(context)}.session"

    def lock(self, context: str) -> StoreLock:
        """The inter-process lock of one context's session (a new, unheld one per call)."""
        self._ensure_dir()
        path = self.directory / "sessions" / f".{check_context_name(context)}.lock"
        return StoreLock(path, self.lock_timeout)

    def _ensure_dir(self) -> None:
        # The home itself first: parents=True would create it with the umask's
        # mode (often 0755), and its listing shows which contexts have sessions.
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        (self.directory / "sessions").mkdir(mode=0o700, exist_ok=True)

    # -- read -----------------------------------------------------------------------

    def load(self, context: str) -> Session | None:
        """The stored session, ``None`` if there is none; :class:`StoreError` if unreadable."""
        path = self.path(context)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc.strerror}", path=path) from None
        self._check_mode(path)
        way_out = "run logout to delete it, then log in again"
        try:
            envelope = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise StoreError(f"the session file {path} is corrupt; {way_out}", path=path) from None
        if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
            raise StoreError(f"{path} is not a session file of this tool; {way_out}", path=path)
        version = envelope.get("version")
        if version != VERSION:
            raise StoreError(
                f"the session file {path} has format version {version!r}, this version of"
                f" the library reads version {VERSION}; upgrade it, or {way_out}",
                path=path,
            )
        ciphertext = envelope.get("data")
        if not isinstance(ciphertext, str):
            raise StoreError(f"the session file {path} is corrupt; {way_out}", path=path)
        plain = self.cipher.decrypt(ciphertext, what=f"the session file {path}", path=path)
        try:
            return Session.from_dict(json.loads(plain))
        except (ValueError, KeyError, TypeError):
            raise StoreError(
                f"the session file {path} decrypts but its content is damaged; {way_out}",
                path=path,
            ) from None

    @staticmethod
    def _check_mode(path: Path) -> None:
        if os.name != "posix":  # pragma: no cover
            return
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            logger.warning("%s was readable by others (mode %o); resetting to 0600", path, mode)
            path.chmod(0o600)

    # -- write ----------------------------------------------------------------------

    def save(self, context: str, session: Session) -> None:
        """Replace the context's session atomically, under the context's lock."""
        with self.lock(context):
            self.write(context, session)

    def write(self, context: str, session: Session) -> None:
        """Like :meth:`save`, for a caller that already holds :meth:`lock`."""
        path = self.path(context)
        self._ensure_dir()
        plain = json.dumps(session.to_dict()).encode()
        envelope = {
            "format": FORMAT,
            "version": VERSION,
            "key": self.cipher.source.kind,
            "data": self.cipher.encrypt(plain),
        }
        self._atomic_write(path, json.dumps(envelope).encode())
        logger.debug("stored session %s for context %r", session.token.fingerprint, context)

    def _atomic_write(self, path: Path, data: bytes) -> None:
        # Leftovers of writers killed before the rename; we hold the lock, so
        # no live writer owns them.
        for stale in path.parent.glob(f".{path.name}.*.tmp"):
            stale.unlink(missing_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)

    def delete(self, context: str) -> bool:
        """Remove the context's session; True if there was one. Works on damaged files."""
        path = self.path(context)
        with self.lock(context):
            try:
                path.unlink()
            except FileNotFoundError:
                return False
        _fsync_dir(path.parent)
        return True

    def persistence(self, context: str, session: Session) -> SessionPersistence:
        return SessionPersistence(self, context, session)


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; not possible (nor needed) on Windows.
    if os.name != "posix":  # pragma: no cover
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SessionPersistence:
    """Plugs a stored session into a :class:`TokenManager` (its ``persistence``)."""

    def __init__(self, store: TokenStore, context: str, session: Session) -> None:
        self.store = store
        self.context = context
        self.session = session

    def __repr__(self) -> str:
        return f"SessionPersistence({self.store!r}, {self.context!r})"

    def load(self) -> Token | None:
        try:
            stored = self.store.load(self.context)
        except StoreError as exc:
            logger.warning("ignoring unreadable session: %s", exc)
            return None
        if stored is None or (stored.issuer, stored.client_id) != (
            self.session.issuer,
            self.session.client_id,
        ):
            return None  # logged out, or someone else logged in meanwhile
        return stored.token

    def save(self, token: Token) -> None:
        # Called by the manager while it holds lock(); write() does not re-lock.
        self.session = dataclasses.replace(self.session, token=token)
        try:
            self.store.write(self.context, self.session)
        except OSError as exc:
            # The new token is in memory and the request can go on; the next
            # process will have to log in again, which is what the log says.
            logger.warning("could not store the refreshed session: %s", exc)

    def lock(self) -> contextlib.AbstractContextManager[object]:
        return self.store.lock(self.context)
