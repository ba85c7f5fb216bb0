"""DPoP proofs (RFC 9449): checking them, server nonces, and the ``jkt`` binding.

A proof is a JWT the client signs, per request, with a key whose public half
travels in the proof's header; tokens issued with a proof are bound to that
key's thumbprint (``cnf.jkt``, RFC 9449 §6.1) and are useless without it.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import secrets
from typing import Any

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry, Key

from pytest_authmock.provider.errors import OAuthError
from pytest_authmock.provider.jwtcheck import ASYMMETRIC_ALGS, numeric, peek, verify_signature
from pytest_authmock.provider.limits import shown
from pytest_authmock.provider.replay import ReplayCache

PROOF_TYPE = "dpop+jwt"
#: RFC 9449 §5.1 advertised as dpop_signing_alg_values_supported.
DPOP_ALGS: tuple[str, ...] = ASYMMETRIC_ALGS
WHAT = "the DPoP proof"


class InvalidDpopProof(OAuthError):
    """RFC 9449 §5: the proof is missing a piece, mis-signed, stale or replayed."""

    error = "invalid_dpop_proof"


class UseDpopNonce(OAuthError):
    """RFC 9449 §8: the server wants its nonce in the proof; the answer carries one."""

    error = "use_dpop_nonce"


@dataclasses.dataclass
class DPoPSettings:
    """Switches of DPoP; change them on ``idp.dpop_settings``."""

    #: Demand a server nonce in every proof (RFC 9449 §8): the first proof without
    #: one gets ``use_dpop_nonce`` and a ``DPoP-Nonce`` header to retry with.
    require_nonce: bool = False
    #: How far a proof's ``iat`` may be from the provider's time (RFC 9449 §11.1).
    proof_window: int = 60
    #: How long a server nonce stays good (the previous one is accepted too).
    nonce_lifetime: int = 300


class DPoPState:
    """One provider's DPoP settings and its current server nonces."""

    def __init__(self) -> None:
        self.settings = DPoPSettings()
        self._nonces: list[tuple[str, float]] = []

    def nonce(self, now: float) -> str:
        """The nonce to hand out now; a new one once the current one is half-way through."""
        lifetime = self.settings.nonce_lifetime
        if not self._nonces or now >= self._nonces[0][1] - lifetime / 2:
            self._nonces.insert(0, (secrets.token_urlsafe(16), now + lifetime))
            del self._nonces[2:]
        return self._nonces[0][0]

    def nonce_ok(self, value: object, now: float) -> bool:
        return any(value == nonce and now < until for nonce, until in self._nonces)


@dataclasses.dataclass(frozen=True)
class Proof:
    """A checked proof: the thumbprint of its key (``jkt``) and its claims."""

    jkt: str
    claims: dict[str, Any]


def thumbprint(jwk: Key) -> str:
    """RFC 7638 SHA-256 JWK thumbprint, base64url: the ``jkt`` of RFC 9449 §6.1."""
    return jwk.thumbprint()


def access_token_hash(access_token: str) -> str:
    """RFC 9449 §4.2 ``ath``: base64url SHA-256 of the access token's ASCII."""
    digest = hashlib.sha256(access_token.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def target_uri(url: httpx.URL) -> str:
    """The request URI without query and fragment, as RFC 9449 §4.3 compares ``htu``."""
    return _without_query(str(url))


# Proofs come to the same few URLs; parsing one costs more than a lookup.
@functools.lru_cache(maxsize=256)
def _without_query(url: str) -> str:
    return str(httpx.URL(url).copy_with(query=None, fragment=None))


def normalized(uri: str) -> str:
    """RFC 3986 §6.2.2-6.2.3 syntax- and scheme-based normalisation, as §4.3 asks."""
    try:
        url = httpx.URL(uri)
    except (httpx.InvalidURL, TypeError, ValueError):
        # ValueError: a lone surrogate (JSON allows "\ud800") cannot be encoded.
        return uri
    return str(url.copy_with(query=None, fragment=None, path=url.path or "/"))


def proof_header(headers: httpx.Headers) -> str | None:
    """The one ``DPoP`` header value; two are an error (RFC 9449 §4.3 check 1)."""
    values = headers.get_list("dpop")
    if len(values) > 1:
        raise InvalidDpopProof("the request has more than one DPoP header (RFC 9449 §4.3)")
    return values[0] if values else None


def verify_proof(
    proof: str,
    *,
    method: str,
    url: httpx.URL,
    now: float,
    replay: ReplayCache,
    state: DPoPState,
    access_token: str | None = None,
    nonce_error: type[OAuthError] = UseDpopNonce,
) -> Proof:
    """Run the checks of RFC 9449 §4.3 on one proof; raises ``invalid_dpop_proof`` or
    ``use_dpop_nonce`` (with the nonce to use in its ``DPoP-Nonce`` header)."""
    if "," in proof:
        # base64url has no comma: this is several DPoP headers, joined.
        raise InvalidDpopProof("the request has more than one DPoP header (RFC 9449 §4.3)")
    header, claims = peek(proof, error=InvalidDpopProof, what=WHAT)
    if header.get("typ") != PROOF_TYPE:
        raise InvalidDpopProof(f"{WHAT} typ is {shown(header.get('typ'))}, not {PROOF_TYPE!r}")
    alg = header.get("alg")
    if alg not in DPOP_ALGS:
        raise InvalidDpopProof(
            f"{WHAT} alg {shown(alg)} is not an asymmetric algorithm this server accepts "
            f"({', '.join(DPOP_ALGS)})"
        )
    jwk, jkt = _public_jwk(header.get("jwk"))
    verify_signature(proof, {**header, "kid": None}, [jwk], error=InvalidDpopProof, what=WHAT)
    for name in ("jti", "htm", "htu"):
        if not isinstance(claims.get(name), str) or not claims[name]:
            raise InvalidDpopProof(f"{WHAT} has no {name!r} claim (RFC 9449 §4.2)")
    if claims["htm"] != method:
        raise InvalidDpopProof(
            f"{WHAT} htm is {shown(claims['htm'])}, but the request method is {method!r}"
        )
    expected = target_uri(url)
    htu = claims["htu"]
    # The same text needs no normalising; a client sends exactly that, as a rule.
    if htu != expected and normalized(htu) != normalized(expected):
        raise InvalidDpopProof(
            f"{WHAT} htu is {shown(claims['htu'], 120)}, but the request went to {expected!r} "
            "(compared without query and fragment, RFC 9449 §4.3)"
        )
    if state.settings.require_nonce:
        _check_nonce(claims, state, now, nonce_error)
    iat = numeric(claims, "iat", error=InvalidDpopProof, what=WHAT)
    if iat is None:
        raise InvalidDpopProof(f"{WHAT} has no 'iat' claim (RFC 9449 §4.2)")
    window = state.settings.proof_window
    if abs(now - iat) > window:
        raise InvalidDpopProof(
            f"{WHAT} iat is {int(iat - now)} s from the server's time; proofs are accepted "
            f"within {window} s (RFC 9449 §11.1). Is the client's clock off?"
        )
    if access_token is not None:
        _check_ath(claims, access_token)
    if not replay.use("dpop", jkt, claims["jti"], until=iat + window, now=now):
        raise InvalidDpopProof(
            f"{WHAT} jti {shown(claims['jti'])} was already used; make a new proof for every "
            "request (RFC 9449 §11.1)"
        )
    return Proof(jkt=jkt, claims=claims)


def _public_jwk(value: object) -> tuple[Key, str]:
    """The proof's public key and its thumbprint (``jkt``)."""
    if not isinstance(value, dict):
        raise InvalidDpopProof(f"{WHAT} has no 'jwk' header with the public key (RFC 9449 §4.2)")
    if any(name in value for name in ("d", "p", "q", "dp", "dq", "qi", "k")):
        # RFC 9449 §4.3 check 7: a private key in the header is a leak, refuse it.
        raise InvalidDpopProof(f"{WHAT} jwk header holds a private or symmetric key")
    if all(isinstance(member, str) for member in value.values()):
        return _cached_jwk(tuple(sorted(value.items())))
    return _import_jwk(value)  # a list or number member: rare, and not worth a cache


# A client proves the same key on every request: import it (and hash it) once.
@functools.lru_cache(maxsize=128)
def _cached_jwk(members: tuple[tuple[str, str], ...]) -> tuple[Key, str]:
    return _import_jwk(dict(members))


def _import_jwk(value: dict[str, Any]) -> tuple[Key, str]:
    try:
        key: Key = JWKRegistry.import_key(value)
    except (JoseError, ValueError, TypeError, KeyError):
        raise InvalidDpopProof(f"{WHAT} jwk header is not a usable public key") from None
    return key, thumbprint(key)


def _check_ath(claims: dict[str, Any], access_token: str) -> None:
    ath = claims.get("ath")
    if ath is None:
        raise InvalidDpopProof(
            f"{WHAT} has no 'ath' claim; a proof sent with an access token carries its "
            "hash (RFC 9449 §4.2)"
        )
    if ath != access_token_hash(access_token):
        raise InvalidDpopProof(f"{WHAT} ath does not match the access token it came with")


def _check_nonce(
    claims: dict[str, Any], state: DPoPState, now: float, error: type[OAuthError]
) -> None:
    given = claims.get("nonce")
    if state.nonce_ok(given, now):
        return
    fresh = state.nonce(now)
    reason = (
        "has no nonce" if given is None else "has a nonce this server did not issue or that expired"
    )
    raise error(
        f"{WHAT} {reason}; retry with the nonce in the DPoP-Nonce header (RFC 9449 §8)",
        headers={"DPoP-Nonce": fresh},
    )


def nonce_headers(state: DPoPState, now: float) -> dict[str, str]:
    """``DPoP-Nonce`` for a successful answer when nonces are required (RFC 9449 §8.2)."""
    return {"DPoP-Nonce": state.nonce(now)} if state.settings.require_nonce else {}


def token_request_jkt(
    headers: httpx.Headers,
    url: httpx.URL,
    *,
    client_id: str,
    required: bool,
    now: float,
    replay: ReplayCache,
    state: DPoPState,
) -> str | None:
    """The key a token request proves (RFC 9449 §5), or ``None`` without a proof.

    ``required``: the client registered ``dpop_bound_access_tokens`` (§5.2).
    """
    proof = proof_header(headers)
    if proof is None:
        if required:
            raise InvalidDpopProof(
                f"client {client_id!r} is registered with dpop_bound_access_tokens, so every "
                "token request needs a DPoP proof header (RFC 9449 §5.2)"
            )
        return None
    return verify_proof(proof, method="POST", url=url, now=now, replay=replay, state=state).jkt


def check_bound_refresh(cnf: dict[str, str] | None, jkt: str | None) -> None:
    """RFC 9449 §5: a refresh token bound to a key needs a proof with that key."""
    bound = cnf.get("jkt") if cnf else None
    if bound is None:
        return
    if jkt is None:
        raise InvalidDpopProof(
            "the refresh token is DPoP-bound; send a DPoP proof made with the key it is "
            "bound to (RFC 9449 §5)"
        )
    if jkt != bound:
        raise InvalidDpopProof(
            f"the refresh token is bound to key {bound!r}, but the proof is signed with "
            f"key {jkt!r} (RFC 9449 §5)"
        )
