"""Values of the setup file and of ``authmock serve``'s flags, checked: one ``ConfigError``.

Shared by :mod:`~pytest_authmock.config_file` (which re-exports them) and the
modules that read its tables.
"""

from __future__ import annotations

__all__ = ["ConfigError", "boolean", "integer", "port_number", "string", "ttl"]


class ConfigError(ValueError):
    """A bad setup file or option value; the message names the file, the key and the fix."""


def ttl(value: object, where: str) -> int | None:
    """A TTL in seconds; ``0``, ``"none"`` or ``"never"`` mean the token never expires."""
    if isinstance(value, str) and value.strip().lower() in ("none", "never"):
        return None
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise ConfigError(
                f"{where} must be a whole number of seconds or 'none'; got {value!r}"
            ) from None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{where} must be a whole number of seconds or 'none'; got {value!r}")
    return None if value == 0 else value


def port_number(value: object, where: str) -> int:
    number = integer(value, where)
    if not 0 <= number <= 65535:
        raise ConfigError(
            f"{where} must be between 0 and 65535 (0 picks a free port); got {number}"
        )
    return number


def string(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where} must be a non-empty string; got {value!r}")
    return value


def boolean(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false; got {value!r}")
    return value


def integer(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where} must be a whole number; got {value!r}")
    return value
