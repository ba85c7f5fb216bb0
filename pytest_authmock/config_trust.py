"""The setup file's ``[[trusted_issuers]]`` tables: ``idp.trust_issuer()`` without Python.

An issuer whose JWTs the JWT bearer grant (RFC 7523 §2.1) and token exchange
(RFC 8693) accept, with its keys given one of two ways::

    [[trusted_issuers]]                 # a CI system that serves its keys
    issuer = "https://token.actions.example"
    jwks_uri = "https://token.actions.example/.well-known/jwks"
    audience = "https://platform.example"   # the aud its tokens carry (default: this provider)
    copy_claims = ["repository"]            # copied into the tokens issued here

    [[trusted_issuers]]                 # fixed keys: a JWKS file next to this one...
    issuer = "https://sa.example"
    jwks = "sa-public.jwks.json"

    [[trusted_issuers]]                 # ...or the JWKS inline
    issuer = "https://other.example"
    jwks = { keys = [{ kty = "EC", crv = "P-256", x = "...", y = "...", kid = "k1" }] }

A trusted issuer's keys are public: a JWKS with a private (or symmetric) key is
refused, without repeating any of its values. The same table, as JSON, is the
body of ``POST /_authmock/trusted-issuers``; there ``jwks`` is inline only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_authmock.config_values import ConfigError, string

__all__ = ["KEYS", "PRIVATE_MEMBERS", "checked", "public_jwks"]

#: Keys of a ``[[trusted_issuers]]`` table: ``trust_issuer()``'s arguments.
KEYS = ("issuer", "jwks", "jwks_uri", "audience", "copy_claims")
#: RFC 7518 §6.2.2, §6.3.2 and §6.4: JWK members that only a private or symmetric key has.
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
#: A JWKS file is a few keys; anything this large is not one.
_MAX_JWKS_FILE = 1 << 20


def checked(table: Mapping[str, Any], setup_file: Path | None, where: str) -> dict[str, Any]:
    """``trust_issuer()`` keywords from one table (keys already known to be ``KEYS``).

    ``where`` names the table (``config file x.toml: trusted_issuers[0]``);
    ``setup_file`` is what a ``jwks`` file name is relative to (``None``: only
    an inline JWKS is accepted).
    """
    if "issuer" not in table:
        raise ConfigError(f"{where} needs issuer (the URL its tokens carry in 'iss')")
    issuer = _url(table["issuer"], f"{where}.issuer")
    found: dict[str, Any] = {"issuer": issuer}
    if ("jwks" in table) == ("jwks_uri" in table):
        raise ConfigError(
            f"{where} needs exactly one of jwks (its public JWKS: inline, or a JSON file "
            "relative to the setup file) and jwks_uri (where its JWKS is served)"
        )
    if "jwks" in table:
        found["jwks"] = _jwks(table["jwks"], setup_file, f"{where}.jwks")
    else:
        found["jwks_uri"] = _url(table["jwks_uri"], f"{where}.jwks_uri")
    if "audience" in table:
        found["audience"] = string(table["audience"], f"{where}.audience")
    if "copy_claims" in table:
        claims = table["copy_claims"]
        if not isinstance(claims, list):
            raise ConfigError(f"{where}.copy_claims must be a list of claim names; got {claims!r}")
        found["copy_claims"] = [
            string(name, f"{where}.copy_claims[{index}]") for index, name in enumerate(claims)
        ]
    return found


def _url(value: object, where: str) -> str:
    text = string(value, where)
    if not text.startswith(("https://", "http://")):
        raise ConfigError(f"{where} must be an http(s) URL; got {text!r}")
    return text


def _jwks(value: object, setup_file: Path | None, where: str) -> dict[str, Any]:
    if isinstance(value, str) and setup_file is not None:
        value = _read_jwks_file(setup_file.parent / value, where)
    elif not isinstance(value, Mapping):
        wanted = "a JWKS table, or a JSON file name" if setup_file else "a JWKS object"
        shown = repr(value) if isinstance(value, (int, float)) else type(value).__name__
        raise ConfigError(f"{where} must be {wanted}; got {shown}")
    return public_jwks(value, where)


def _read_jwks_file(path: Path, where: str) -> object:
    try:
        with path.open("rb") as handle:
            raw = handle.read(_MAX_JWKS_FILE + 1)
    except FileNotFoundError:
        raise ConfigError(
            f"{where}: the JWKS file {str(path)!r} does not exist (a name is relative to "
            "the setup file)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read {str(path)!r}: {exc.strerror}") from None
    if len(raw) > _MAX_JWKS_FILE:
        raise ConfigError(f"{where}: {str(path)!r} is over {_MAX_JWKS_FILE} bytes; not a JWKS")
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ConfigError(f"{where}: {str(path)!r} is not JSON: {exc}") from None


def public_jwks(value: object, where: str) -> dict[str, Any]:
    """A JWKS of public keys, checked by joserfc; a private key is named by its index and
    ``kid``, never by its values."""
    from pytest_authmock.provider.jwtcheck import import_jwks

    keys = value.get("keys") if isinstance(value, Mapping) else None
    if not isinstance(keys, list) or not keys:
        raise ConfigError(f"{where} must be a JWKS: an object with a non-empty 'keys' list")
    for index, key in enumerate(keys):
        if not isinstance(key, Mapping):
            raise ConfigError(f"{where}: keys[{index}] must be a JWK (an object)")
        private = [name for name in PRIVATE_MEMBERS if name in key]
        if private:
            kid = key.get("kid")
            named = f" (kid {kid!r})" if isinstance(kid, str) else ""
            raise ConfigError(
                f"{where}: keys[{index}]{named} is a private or symmetric key (it has "
                f"{', '.join(repr(name) for name in private)}); a trusted issuer's keys are "
                "public: give the JWKS it publishes"
            )
    jwks = {"keys": [dict(key) for key in keys]}
    try:
        import_jwks(jwks, what=where)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return jwks
