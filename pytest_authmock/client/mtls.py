"""``ssl.SSLContext`` builders for mutual TLS (client certificates).

httpx takes the context as ``verify=``; with it, every request of the client
presents the certificate, and a bearer ``auth=`` can be used at the same time.
``ssl`` only loads certificates and keys from files, so material given as
bytes (or taken out of a PKCS#12 bundle) is written to a private temporary
directory, the key re-encrypted with a one-time password, and deleted as soon
as it is loaded.
"""

from __future__ import annotations

import os
import secrets
import ssl
import tempfile
from pathlib import Path
from typing import Union

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from pytest_authmock.client.errors import ConfigurationError
from pytest_authmock.client.httpclients import system_ssl_context

__all__ = ["ssl_context_from_pem", "ssl_context_from_pkcs12"]

PathOrBytes = Union[str, "os.PathLike[str]", bytes]


def _read(value: PathOrBytes, what: str) -> bytes:
    if isinstance(value, bytes):
        return value
    try:
        return Path(value).read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read the {what} {os.fspath(value)!r}: {exc.strerror}"
        ) from None


def _base_context(ca: PathOrBytes | None) -> ssl.SSLContext:
    # A fresh context every time: the client certificate is loaded into it.
    if ca is None:
        return system_ssl_context()
    try:
        return ssl.create_default_context(cadata=_read(ca, "CA bundle").decode("ascii"))
    except (ssl.SSLError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigurationError(f"the CA bundle is not valid PEM: {exc}") from None


def _password(password: str | bytes | None) -> bytes | None:
    return password.encode() if isinstance(password, str) else password


def _load_chain(
    context: ssl.SSLContext, cert_pem: bytes, key_pem: bytes, password: bytes | None
) -> None:
    with tempfile.TemporaryDirectory(prefix="authmock-mtls-") as tmp:  # created 0700
        cert_file = os.path.join(tmp, "cert.pem")
        key_file = os.path.join(tmp, "key.pem")
        for path, data in ((cert_file, cert_pem), (key_file, key_pem)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        try:
            context.load_cert_chain(cert_file, key_file, password=password)
        except ssl.SSLError as exc:
            reason = getattr(exc, "reason", None) or str(exc)
            if "KEY_VALUES_MISMATCH" in str(reason):
                raise ConfigurationError(
                    "the private key does not belong to the certificate; check the key file"
                ) from None
            raise ConfigurationError(
                f"cannot load the client certificate or key ({reason}); a wrong key password"
                " gives this error too"
            ) from None


def ssl_context_from_pem(
    cert: PathOrBytes,
    key: PathOrBytes | None = None,
    *,
    password: str | bytes | None = None,
    ca: PathOrBytes | None = None,
) -> ssl.SSLContext:
    """A client context from a PEM certificate (chain) and key.

    ``key`` may be omitted when the certificate file holds the key too;
    ``password`` decrypts an encrypted key; ``ca`` is the bundle that verifies
    the server (the system's and certifi's roots when omitted).
    """
    context = _base_context(ca)
    cert_pem = _read(cert, "certificate")
    key_pem = cert_pem if key is None else _read(key, "private key")
    pw = _password(password)
    try:
        loaded = serialization.load_pem_private_key(key_pem, password=pw)
    except TypeError:
        raise ConfigurationError(
            "the private key is encrypted; pass its password"
            if pw is None
            else "the private key is not encrypted; do not pass a password"
        ) from None
    except ValueError:
        raise ConfigurationError(
            "cannot decrypt or parse the private key: wrong password, or not a PEM key"
        ) from None
    one_time = secrets.token_bytes(24)
    sealed = loaded.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(one_time),
    )
    _load_chain(context, cert_pem, sealed, one_time)
    return context


def ssl_context_from_pkcs12(
    bundle: PathOrBytes,
    password: str | bytes | None,
    *,
    ca: PathOrBytes | None = None,
) -> ssl.SSLContext:
    """A client context from a PKCS#12 (``.p12``/``.pfx``) file and its password."""
    data = _read(bundle, "PKCS#12 file")
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, _password(password))
    except ValueError:
        raise ConfigurationError(
            "cannot open the PKCS#12 bundle: wrong password, or not a PKCS#12 file"
        ) from None
    if key is None or cert is None:
        raise ConfigurationError("the PKCS#12 bundle holds no private key and certificate pair")
    one_time = secrets.token_bytes(24)
    sealed = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(one_time),
    )
    chain = cert.public_bytes(serialization.Encoding.PEM) + b"".join(
        c.public_bytes(serialization.Encoding.PEM) for c in extra
    )
    context = _base_context(ca)
    _load_chain(context, chain, sealed, one_time)
    return context
