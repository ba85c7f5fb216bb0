"""``AUTHMOCK_<FLAG>`` environment variables for every flag of an argparse parser.

Container and CI service definitions configure servers through the environment.
:func:`env_arguments` reads one variable per long option of the parser, so a
flag added to ``authmock serve`` gets its variable without further code; the
command line wins over the environment.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence

PREFIX = "AUTHMOCK_"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def variable(flag: str) -> str:
    """``--access-token-ttl`` -> ``AUTHMOCK_ACCESS_TOKEN_TTL``."""
    return PREFIX + flag.lstrip("-").upper().replace("-", "_")


def _options(parser: argparse.ArgumentParser) -> list[tuple[argparse.Action, str]]:
    found = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            continue
        flags = [option for option in action.option_strings if option.startswith("--")]
        if flags:
            found.append((action, flags[0]))
    return found


def variables(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Variable name -> the flag it stands for, for every long option."""
    return {variable(flag): flag for _, flag in _options(parser)}


def env_arguments(
    parser: argparse.ArgumentParser, argv: Sequence[str], environ: Mapping[str, str]
) -> list[str]:
    """Arguments to put before ``argv``: one per ``AUTHMOCK_<FLAG>`` set for a flag that
    ``argv`` does not give.

    A switch reads ``1/true/yes/on`` or ``0/false/no/off``; a repeatable option
    takes several values separated by whitespace. A bad value is reported by the
    parser's ``error()``, naming the variable.
    """
    given = parser.parse_args(list(argv))
    arguments: list[str] = []
    for action, flag in _options(parser):
        name = variable(flag)
        raw = environ.get(name)
        if raw is None or getattr(given, action.dest, action.default) != action.default:
            continue  # not set, or the command line gives the flag: the flag wins
        if action.nargs == 0:  # a switch
            value = raw.strip().lower()
            if value not in _TRUE | _FALSE:
                parser.error(f"{name} must be 1, true, yes, on, 0, false, no or off; got {raw!r}")
            tokens = [flag] if value in _TRUE else []
        elif isinstance(action, argparse._AppendAction):
            tokens = [f"{flag}={item}" for item in raw.split()]
        else:
            tokens = [f"{flag}={raw}"]
        try:
            parser.parse_args(tokens)
        except ValueError as exc:  # the parser's error(), for this variable alone
            parser.error(f"{name}: {str(exc).replace(f'argument {flag}: ', '')}")
        arguments += tokens
    return arguments
