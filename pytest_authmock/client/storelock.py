"""The inter-process lock of one stored session, on the ``filelock`` package.

``filelock`` owns the locking (``flock`` on POSIX, ``LockFileEx`` on Windows)
and opens the lock file without following a symlink (``O_NOFOLLOW``, its fix
for CVE-2025-68146): a symlink planted at the lock's path cannot make us
open, create or truncate another file. This module adds what the token store
needs on top: a timeout, so that a stuck holder cannot block every command
for good, and errors that name the lock file and the way out.
"""

from __future__ import annotations

import errno
from pathlib import Path
from types import TracebackType

import filelock

from pytest_authmock.client.errors import StoreError

__all__ = ["DEFAULT_LOCK_TIMEOUT", "StoreLock"]

#: Seconds to wait for another process's refresh or write. A refresh holds the
#: lock for one token request with its retries, which the default retry policy
#: and HTTP timeout keep well below this.
DEFAULT_LOCK_TIMEOUT = 60.0


class StoreLock:
    """``with StoreLock(path): ...`` holds an exclusive lock on ``path`` across processes.

    It may be released by another thread than the one that took it (an asyncio
    refresh takes and releases it in worker threads). It is not reentrant
    across instances: each :meth:`TokenStore.lock` call makes a new one, and
    two of them exclude each other, in one process as in two.
    """

    def __init__(self, path: Path, timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        if timeout < 0:
            raise ValueError(f"the lock timeout must not be negative, got {timeout}")
        self.path = path
        self.timeout = timeout
        self._lock = filelock.FileLock(path, timeout=timeout, mode=0o600, thread_local=False)

    def __repr__(self) -> str:
        return f"StoreLock({str(self.path)!r})"

    @property
    def is_locked(self) -> bool:
        return self._lock.is_locked

    def acquire(self) -> None:
        try:
            self._lock.acquire()
        except filelock.Timeout:
            raise StoreError(
                f"the session is locked by another process (lock file {self.path}), which did"
                f" not release it within {self.timeout:g} s: another run of this tool is"
                " probably stuck refreshing or saving the session. Stop that process and try"
                " again; the lock is released as soon as it exits.",
                path=self.path,
            ) from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise StoreError(
                    f"the lock file {self.path} is a symbolic link, which is never followed"
                    " (someone may be trying to make this tool overwrite another file);"
                    " delete the link and try again",
                    path=self.path,
                ) from None
            raise StoreError(
                f"cannot open the lock file {self.path}: {exc.strerror}; check that the"
                " directory exists and is yours",
                path=self.path,
            ) from None

    def release(self) -> None:
        if not self._lock.is_locked:
            raise RuntimeError(f"{self!r} is not held")
        self._lock.release()

    def __enter__(self) -> StoreLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
