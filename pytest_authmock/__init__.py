"""pytest-authmock."""

from pytest_authmock._version import __version__

__all__ = ["__version__"]
