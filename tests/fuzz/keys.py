"""The fuzz suite's signing keys: a JWT client's, a trusted issuer's and a DPoP key.

Signed plans (``plans.SignedJWT``) are signed with these, so that hostile claims
reach the checks behind the signature; ES256 (RFC 7518 §3.4) by hand, so that
any header, even one joserfc would refuse to write, can be signed.
"""

from __future__ import annotations

import functools
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc.jwk import ECKey

NAMES = ("client", "issuer", "dpop")
#: The trusted issuer the fuzz provider accepts JWT grants and subject tokens from.
TRUSTED_ISSUER = "https://trusted.fuzz.example"


@functools.cache
def key(name: str) -> ECKey:
    assert name in NAMES, name
    made: ECKey = ECKey.generate_key("P-256", parameters={"kid": f"fuzz-{name}"}, private=True)
    return made


def public_jwk(name: str) -> dict[str, Any]:
    return dict(key(name).as_dict(private=False))


def private_jwk(name: str) -> dict[str, Any]:
    return dict(key(name).as_dict(private=True))


def sign(name: str, data: bytes) -> bytes:
    """ES256: the raw ``r || s`` of an ECDSA P-256 SHA-256 signature (RFC 7518 §3.4)."""
    private = key(name).private_key
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    r, s = decode_dss_signature(private.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")
