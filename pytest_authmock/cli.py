"""The ``authmock`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pytest_authmock._version import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="authmock",
        description="A fake OAuth 2.0 / OpenID Connect provider for testing CLIs and SDKs.",
    )
    parser.add_argument("--version", action="version", version=f"authmock {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "serve",
        help="run the provider on loopback until interrupted (authmock serve --help)",
        add_help=False,
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "serve":
        from pytest_authmock.serve import main as serve_main

        return serve_main(args[1:])
    parser = build_parser()
    parser.parse_args(args)
    parser.print_help()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
