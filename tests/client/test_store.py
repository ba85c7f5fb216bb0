"""The encrypted on-disk token store."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pytest_authmock.client import AuthHome, FileKey, Session, StoreError, Token, TokenStore
from pytest_authmock.client.keys import Cipher, default_key_source

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes and signals")


def session(access: str = "ACCESS-SECRET-1", **kwargs: object) -> Session:
    token = Token(access_token=access, refresh_token="REFRESH-SECRET", expires_at=2e9)
    return Session(token=token, issuer="https://idp.example", username="alice", **kwargs)  # type: ignore[arg-type]


def test_round_trip(home: AuthHome) -> None:
    assert home.store.load("default") is None
    home.store.save("default", session(client_id="cli"))
    loaded = home.store.load("default")
    assert loaded is not None
    assert loaded.token.access_token == "ACCESS-SECRET-1"
    assert loaded.token.refresh_token == "REFRESH-SECRET"
    assert (loaded.username, loaded.client_id) == ("alice", "cli")


def test_contexts_have_separate_sessions(home: AuthHome) -> None:
    home.store.save("a", session("A"))
    home.store.save("b", session("B"))
    assert home.store.load("a").token.access_token == "A"  # type: ignore[union-attr]
    assert home.store.delete("a") is True
    assert home.store.load("a") is None
    assert home.store.load("b").token.access_token == "B"  # type: ignore[union-attr]
    assert home.store.delete("a") is False


def test_nothing_secret_is_readable_on_disk(home: AuthHome) -> None:
    home.store.save("default", session())
    for path in home.directory.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"SECRET" not in data, path
            assert b"alice" not in data, path  # who is logged in is private too


@posix_only
def test_files_are_private(home: AuthHome) -> None:
    home.store.save("default", session())
    assert stat.S_IMODE(home.store.path("default").stat().st_mode) == 0o600
    assert stat.S_IMODE((home.directory / "store.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((home.directory / "sessions").stat().st_mode) == 0o700
    assert stat.S_IMODE(home.directory.stat().st_mode) == 0o700


@posix_only
def test_loosened_permissions_are_tightened_on_read(home: AuthHome) -> None:
    home.store.save("default", session())
    path = home.store.path("default")
    path.chmod(0o644)
    home.store.load("default")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"\x00\xffgarbage", "corrupt"),
        (b"{", "corrupt"),
        (b'{"format": "something-else", "version": 1}', "not a session file"),
        (b'{"format": "pytest-authmock/session", "version": 99, "data": "x"}', "version 99"),
        (b'{"format": "pytest-authmock/session", "version": 1, "data": 5}', "corrupt"),
        (b'{"format": "pytest-authmock/session", "version": 1, "data": "not-fernet"}', "decrypt"),
    ],
)
def test_damaged_files_give_a_clear_error_and_a_way_out(
    home: AuthHome, content: bytes, match: str
) -> None:
    path = home.store.path("default")
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(StoreError, match=match) as info:
        home.store.load("default")
    assert info.value.path == path
    assert "logout" in str(info.value)
    assert home.store.delete("default") is True  # the way out works on any damage
    assert home.store.load("default") is None


def test_a_changed_key_is_a_store_error_not_a_crash(home: AuthHome, tmp_path: Path) -> None:
    home.store.save("default", session())
    other = TokenStore(home.directory, Cipher(FileKey(tmp_path / "other.key")))
    with pytest.raises(StoreError, match="key changed"):
        other.load("default")


def test_damaged_key_file(home: AuthHome) -> None:
    home.store.save("default", session())
    (home.directory / "store.key").write_bytes(b"short")
    fresh = AuthHome.open("testapp", directory=home.directory, keyring="never")
    with pytest.raises(StoreError, match=r"key file .* is damaged"):
        fresh.store.load("default")


@pytest.mark.parametrize("name", ["", "../etc", "a/b", ".hidden", "x" * 65])
def test_context_names_cannot_escape_the_directory(home: AuthHome, name: str) -> None:
    with pytest.raises(ValueError, match="invalid context name"):
        home.store.path(name)


def test_keyring_is_used_only_when_usable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    assert default_key_source(tmp_path, "svc", "auto").kind == "file"
    assert default_key_source(tmp_path, "svc", "never").kind == "file"
    assert default_key_source(tmp_path, "svc", "always").kind == "keyring"
    with pytest.raises(ValueError, match="keyring must be"):
        default_key_source(tmp_path, "svc", "sometimes")  # type: ignore[arg-type]


def test_keyring_key_is_created_once_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            self.values: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.values.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.values[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.values.pop((service, username), None)

    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        first = AuthHome.open("kr", directory=tmp_path, keyring="auto")
        assert first.cipher.source.kind == "keyring"
        first.store.save("default", session())
        second = AuthHome.open("kr", directory=tmp_path, keyring="auto")
        assert second.store.load("default") is not None
        assert not (tmp_path / "store.key").exists()
        assert len(backend.values) == 1
    finally:
        keyring.set_keyring(previous)


# Subprocesses load only the store modules: registering bare parent packages
# skips ``pytest_authmock/__init__`` (the fake provider) and the client's
# ``__init__`` (httpx), which cuts a writer's start from ~0.9 s to ~0.1 s. It
# also shows the store needs nothing else.
PRELUDE = textwrap.dedent(
    f"""
    import sys, types
    for name, path in (
        ("pytest_authmock", {str(Path(__file__).parents[2] / "pytest_authmock")!r}),
        ("pytest_authmock.client", {str(Path(__file__).parents[2] / "pytest_authmock" / "client")!r}),
    ):
        module = types.ModuleType(name)
        module.__path__ = [path]
        sys.modules[name] = module
    """
)


def test_concurrent_key_creation_agrees_on_one_key(tmp_path: Path) -> None:
    script = PRELUDE + textwrap.dedent(
        """
        from pathlib import Path
        from pytest_authmock.client.keys import FileKey
        sys.stdout.write(FileKey(Path(sys.argv[1])).get_or_create().decode())
        """
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path / "k")], stdout=subprocess.PIPE
        )
        for _ in range(6)
    ]
    keys = {p.communicate(timeout=30)[0].decode() for p in procs}
    assert len(keys) == 1
    assert keys == {(tmp_path / "k").read_bytes().decode()}


WRITER = PRELUDE + textwrap.dedent(
    """
    from pathlib import Path
    from pytest_authmock.client.keys import Cipher, FileKey
    from pytest_authmock.client.store import Session, TokenStore
    from pytest_authmock.client.tokens import Token
    home = Path(sys.argv[1])
    store = TokenStore(home, Cipher(FileKey(home / "store.key")))
    big = "x" * 200_000  # makes each write take long enough to be interrupted
    n = 0
    while True:
        name = "old" if n % 2 == 0 else "new"
        token = Token(access_token=name + ":" + big, expires_at=2e9)
        store.save("default", Session(token=token, issuer="https://idp.example"))
        if n == 0:
            print("ready", flush=True)
        n += 1
    """
)


@posix_only
def test_killing_writers_mid_write_leaves_the_old_or_the_new_session(tmp_path: Path) -> None:
    # Several writers run at once (started together: imports are the slow part)
    # and are SIGKILLed one by one at different moments; after each kill, and
    # while the others keep writing, the session reads back whole.
    directory = tmp_path / "home"
    home = AuthHome.open("killtest", directory=directory, keyring="never")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(directory)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
        for round_, proc in enumerate(procs):
            time.sleep(0.003 * (round_ % 4))  # kill at different points of a write
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            for _ in range(3):
                loaded = home.store.load("default")  # never raises: never a torn file
                assert loaded is not None
                name = loaded.token.access_token.split(":")[0]
                assert name in ("old", "new")
                assert len(loaded.token.access_token) == len(name) + 1 + 200_000
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()
    # Temporary files of killed writers are cleaned up by the next write.
    home.store.save("default", session())
    assert list((directory / "sessions").glob("*.tmp")) == []


@posix_only
def test_lock_excludes_other_processes(home: AuthHome, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    script = PRELUDE + textwrap.dedent(
        """
        import time
        from pathlib import Path
        from pytest_authmock.client.storelock import StoreLock
        with StoreLock(Path(sys.argv[1])):
            Path(sys.argv[2]).write_text(str(time.time()))
        """
    )
    lock = home.store.lock("default")
    lock.acquire()
    try:
        with subprocess.Popen([sys.executable, "-c", script, str(lock.path), str(marker)]) as proc:
            started = time.time()
            while time.time() - started < 0.5:  # time to start, then block on the lock
                time.sleep(0.05)
                assert not marker.exists(), "the other process got the lock while we held it"
            released_at = time.time()
            lock.release()
            proc.wait(timeout=20)
    finally:
        if lock.is_locked:
            lock.release()
    assert float(marker.read_text()) >= released_at


HOLDER = PRELUDE + textwrap.dedent(
    """
    import time
    from pathlib import Path
    from pytest_authmock.client.storelock import StoreLock
    with StoreLock(Path(sys.argv[1])):
        print("held", flush=True)
        time.sleep(60)
    """
)


@posix_only
def test_a_stuck_holder_times_out_with_an_error_naming_the_lock_file(tmp_path: Path) -> None:
    home = AuthHome.open("testapp", directory=tmp_path / "home", keyring="never", lock_timeout=0.3)
    lock_path = home.store.lock("default").path
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock_path)], stdout=subprocess.PIPE, text=True
    ) as stuck:
        try:
            assert stuck.stdout is not None
            assert stuck.stdout.readline().strip() == "held"
            started = time.monotonic()
            with pytest.raises(StoreError, match="locked by another process") as info:
                home.store.save("default", session())
            assert time.monotonic() - started < 5
        finally:
            stuck.kill()
            if stuck.stdout is not None:
                stuck.stdout.close()
    message = str(info.value)
    assert str(lock_path) in message
    assert "Stop that process" in message
    assert info.value.path == lock_path
    home.store.save("default", session())  # free again once the holder is gone


@posix_only
def test_the_lock_file_is_never_opened_through_a_symlink(home: AuthHome, tmp_path: Path) -> None:
    # A symlink planted at the lock's path must not make the store open (or
    # create, or truncate) the file it points to (CVE-2025-68146's class).
    victim = tmp_path / "victim"
    victim.write_text("precious")
    lock_path = home.store.lock("default").path
    lock_path.symlink_to(victim)
    with pytest.raises(StoreError, match="symbolic link") as info:
        home.store.save("default", session())
    assert str(lock_path) in str(info.value)
    assert victim.read_text() == "precious"
    assert home.store.load("default") is None  # nothing written without the lock


def test_release_without_acquire_is_an_error(home: AuthHome) -> None:
    with pytest.raises(RuntimeError, match="not held"):
        home.store.lock("default").release()


def test_stored_json_envelope_names_format_version_and_key(home: AuthHome) -> None:
    home.store.save("default", session())
    envelope = json.loads(home.store.path("default").read_text())
    assert envelope["format"] == "pytest-authmock/session"
    assert envelope["version"] == 1
    assert envelope["key"] == "file"
