"""``AuthHome``: an application's contexts, sessions and key, in one directory."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Literal

from pytest_authmock.client.contexts import ContextStore
from pytest_authmock.client.keys import Cipher, default_key_source
from pytest_authmock.client.paths import user_data_dir
from pytest_authmock.client.resolver import CredentialResolver
from pytest_authmock.client.store import TokenStore
from pytest_authmock.client.storelock import DEFAULT_LOCK_TIMEOUT

__all__ = ["AuthHome"]


@dataclasses.dataclass(frozen=True)
class AuthHome:
    """Where one application keeps its authentication state.

    Layout of ``directory`` (created 0700)::

        contexts.json         profiles; client secrets encrypted
        sessions/NAME.session one encrypted session per context
        store.key             the key, when the OS keyring is not used
    """

    app_name: str
    directory: Path
    cipher: Cipher
    contexts: ContextStore
    store: TokenStore

    @classmethod
    def open(
        cls,
        app_name: str,
        *,
        directory: str | Path | None = None,
        keyring: Literal["auto", "always", "never"] = "auto",
        default_context: str = "default",
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> AuthHome:
        """Open (lazily: nothing is created before the first write) the app's home.

        ``directory`` overrides the user data directory (an app usually takes
        it from an option or an environment variable such as ``MYTOOL_HOME``).
        ``lock_timeout`` bounds the wait for another process holding a
        session's lock (:class:`StoreError` after it).
        """
        path = Path(directory) if directory is not None else user_data_dir(app_name)
        cipher = Cipher(default_key_source(path, f"{app_name} token store", keyring))
        return cls(
            app_name=app_name,
            directory=path,
            cipher=cipher,
            contexts=ContextStore(path, cipher, default=default_context),
            store=TokenStore(path, cipher, lock_timeout=lock_timeout),
        )

    def resolver(self, **options: Any) -> CredentialResolver:
        """A :class:`CredentialResolver` over this home; options as its constructor's."""
        return CredentialResolver(self.contexts, self.store, **options)
