"""The repository's own test set-up. The plugin itself comes from the pytest11 entry point."""

# pytester's in-process runs drop the modules a run imported when it ends. The
# cryptography bindings are a Rust extension that cannot be loaded twice, so a
# second run's fresh `hashes` classes would not be the ones it checks against
# ("Expected instance of hashes.HashAlgorithm"). Loading the provider once here
# keeps those modules for the whole session, whatever order the tests run in.
import pytest_authmock.provider.idp  # noqa: F401
