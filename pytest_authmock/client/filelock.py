"""An inter-process lock on a file (``flock`` on POSIX, ``msvcrt`` on Windows).

POSIX ``flock`` locks belong to an open file description, so two threads of
one process that each open the file would *not* exclude each other reliably;
a per-path :class:`threading.Lock` in front of the OS lock serialises the
process's own threads. The lock is not reentrant, and it may be released by
another thread than the one that took it (asyncio runs both in worker threads).
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from types import TracebackType

__all__ = ["FileLock"]

_registry_lock = threading.Lock()
_thread_locks: dict[str, threading.Lock] = {}


def _os_lock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        while True:
            try:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError:  # LK_LOCK gives up after ~10 s; keep waiting
                continue
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)


def _os_unlock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


class FileLock:
    """``with FileLock(path): ...`` holds an exclusive lock on ``path``.

    The lock file is created (mode 0600) and left in place: deleting it while
    another process waits on it would let a third process lock a new inode.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        key = os.path.abspath(path)
        with _registry_lock:
            self._thread_lock = _thread_locks.setdefault(key, threading.Lock())
        self._fd: int | None = None

    def __repr__(self) -> str:
        return f"FileLock({str(self.path)!r})"

    def acquire(self) -> None:
        self._thread_lock.acquire()
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                _os_lock(fd)
            except BaseException:
                os.close(fd)
                raise
        except BaseException:
            self._thread_lock.release()
            raise
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            raise RuntimeError(f"{self!r} is not held")
        try:
            _os_unlock(fd)
        finally:
            os.close(fd)
            self._thread_lock.release()

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
