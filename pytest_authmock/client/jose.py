"""Signing keys for the JWTs a client makes (client assertions, DPoP proofs).

joserfc does the JOSE; this module turns what a user has at hand (a PEM file's
bytes, a ``cryptography`` private key, a JWK dict or a joserfc key) into a
joserfc key and picks the algorithm that key is for.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc import jws
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import ECKey, JWKRegistry, Key, OctKey, OKPKey, RSAKey

from pytest_authmock.client.errors import ConfigurationError

__all__ = ["SigningKey", "algorithm_for", "generate_key", "load_private_key", "sign_jwt"]

#: What :func:`load_private_key` accepts: a joserfc key, a JWK dict, PEM text or
#: bytes, or a ``cryptography`` private key (whose classes we do not enumerate).
SigningKey = Any

_EC_ALGS = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}


def load_private_key(key: SigningKey, *, what: str = "key") -> Key:
    """A joserfc private key from a joserfc key, a JWK dict, PEM text or a ``cryptography`` key."""
    if isinstance(key, (RSAKey, ECKey, OKPKey)):
        loaded: Key = key
    else:
        try:
            loaded = _import(key)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise ConfigurationError(
                f"the {what} is not a private key joserfc can load (PEM, JWK dict or a "
                f"cryptography private key): {type(exc).__name__}"
            ) from None
    if not loaded.is_private:
        raise ConfigurationError(f"the {what} is a public key; signing needs the private key")
    return loaded


def _import(key: SigningKey) -> Key:
    if isinstance(key, dict):
        imported: Key = JWKRegistry.import_key(key)
        if not isinstance(imported, (RSAKey, ECKey, OKPKey)):
            raise TypeError("not an RSA, EC or OKP key")
        return imported
    if isinstance(key, (str, bytes)):
        data = key.encode() if isinstance(key, str) else key
        key = serialization.load_pem_private_key(data, password=None)
    native: Key
    if isinstance(key, rsa.RSAPrivateKey):
        native = RSAKey.import_key(key)
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        native = ECKey.import_key(key)
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        native = OKPKey.import_key(key)
    else:
        raise TypeError(f"unsupported key type {type(key).__name__}")
    return native


def algorithm_for(key: Key, alg: str | None = None) -> str:
    """The JWS algorithm for ``key``: ``alg`` if given, the key's own, else by its type."""
    chosen = alg or key.get("alg")
    if isinstance(chosen, str):
        return chosen
    if isinstance(key, RSAKey):
        return "RS256"
    if isinstance(key, ECKey):
        found = _EC_ALGS.get(str(key.get("crv")))
        if found:
            return found
    if isinstance(key, OKPKey) and key.get("crv") == "Ed25519":
        return "EdDSA"
    raise ConfigurationError(f"cannot tell which algorithm a {key.key_type} key signs with")


def generate_key(alg: str = "ES256", *, kid: str | None = None) -> Key:
    """A new private key for ``alg`` (``ES256``, ``ES384``, ``ES512``, ``RS256``, ``PS256``,
    ``EdDSA``); ``kid`` defaults to the key's RFC 7638 thumbprint."""
    key: Key
    curve = {value: crv for crv, value in _EC_ALGS.items()}.get(alg)
    if alg.startswith(("RS", "PS")):
        key = RSAKey.generate_key(2048, parameters={"alg": alg}, private=True)
    elif curve is not None:
        key = ECKey.generate_key(curve, parameters={"alg": alg}, private=True)
    elif alg in ("EdDSA", "Ed25519"):
        key = OKPKey.generate_key("Ed25519", parameters={"alg": alg}, private=True)
    else:
        raise ConfigurationError(f"cannot generate a key for {alg!r}")
    data = dict(key.as_dict(private=True))
    data["kid"] = kid or key.thumbprint()
    labelled: Key = JWKRegistry.import_key(data)
    return labelled


def hmac_key(secret: str) -> Key:
    """OIDC Core §9: the MAC key of ``client_secret_jwt`` is the secret's UTF-8 octets."""
    with warnings.catch_warnings():
        # joserfc warns about secrets under 112 bits; the provider chose the secret.
        warnings.simplefilter("ignore", SecurityWarning)
        key: Key = OctKey.import_key(secret.encode())
    return key


def public_jwk(key: Key) -> dict[str, Any]:
    """The public half of ``key`` as a JWK dict (private members removed)."""
    return dict(key.as_dict(private=False))


#: Algorithms joserfc warns about when it signs with them.
_WARNED_ALGS = frozenset(
    name for name, model in jws.JWSRegistry.algorithms.items() if model.security_warning
)


def sign_jwt(header: dict[str, Any], claims: dict[str, Any], key: Key) -> str:
    """A compact JWS of ``claims`` (a JWT, RFC 7519 §7.1)."""
    payload = json.dumps(claims, separators=(",", ":")).encode()
    alg = header["alg"]
    if alg not in _WARNED_ALGS:  # catching warnings costs a tenth of an ES256 signature
        return jws.serialize_compact(header, payload, key, algorithms=[alg])
    with warnings.catch_warnings():
        # joserfc warns that "EdDSA" is deprecated by RFC 9864 in favour of "Ed25519";
        # most providers still know only "EdDSA", so the caller chooses.
        warnings.simplefilter("ignore", SecurityWarning)
        return jws.serialize_compact(header, payload, key, algorithms=[alg])
