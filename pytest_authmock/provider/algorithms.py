"""The JWS algorithms the provider verifies, by key type (no JOSE import: cheap to load)."""

from __future__ import annotations

RSA_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
EC_ALGS = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
# RFC 9864 names Ed25519 fully ("Ed25519") and deprecates the polymorphic "EdDSA",
# which most clients still send; both verify.
OKP_ALGS = {"Ed25519": ("Ed25519", "EdDSA")}
HMAC_ALGS = ("HS256", "HS384", "HS512")
#: Every asymmetric algorithm this provider verifies (RFC 7518 §3.1, RFC 8037 §3.1).
ASYMMETRIC_ALGS: tuple[str, ...] = (
    *RSA_ALGS,
    *EC_ALGS.values(),
    *(alg for algs in OKP_ALGS.values() for alg in algs),
)
#: private_key_jwt (asymmetric) and client_secret_jwt (HMAC) algorithms.
CLIENT_ASSERTION_ALGS: tuple[str, ...] = (*ASYMMETRIC_ALGS, *HMAC_ALGS)
