"""oidc-provider-mock on loopback, for the interop tests.

Run with the interpreter of a Python 3.12 venv that has oidc-provider-mock.
It accepts any client (no registration required) and signs the user in by
subject name. Prints ``{"issuer": ...}`` on the first stdout line once it
accepts connections, and stops when its standard input closes.
"""

from __future__ import annotations

import json
import sys

import oidc_provider_mock


def main() -> None:
    with oidc_provider_mock.run_server_in_thread(port=0) as server:
        print(json.dumps({"issuer": f"http://localhost:{server.server_port}"}), flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
