"""Checking JWTs that others sign: client assertions, grant assertions, subject tokens.

joserfc parses and verifies; this module owns the policy: which key may verify
which token, and with which algorithm. The algorithm comes from the registered
key (its ``alg``, the client's registered algorithm, or its key type), never
from the token alone (RFC 8725 §3.1), so an ``HS256`` token can never be
checked against an RSA public key used as an HMAC secret.
"""

from __future__ import annotations

import base64
import functools
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError, SecurityWarning
from joserfc.jwk import ECKey, Key, KeySet, OctKey, OKPKey, RSAKey
from joserfc.jws import CompactSignature, JWSRegistry

from pytest_authmock.provider.algorithms import (
    ASYMMETRIC_ALGS,
    CLIENT_ASSERTION_ALGS,
    EC_ALGS,
    HMAC_ALGS,
    OKP_ALGS,
    RSA_ALGS,
)
from pytest_authmock.provider.errors import InvalidRequest, OAuthError
from pytest_authmock.provider.limits import MAX_JSON_DEPTH, json_depth, load_json, shown

__all__ = [
    "ASYMMETRIC_ALGS",
    "CLIENT_ASSERTION_ALGS",
    "CLOCK_SKEW",
    "HMAC_ALGS",
    "MAX_ASSERTION_LIFETIME",
    "ErrorType",
    "algorithms_for",
    "audiences",
    "check_times",
    "import_jwks",
    "numeric",
    "peek",
    "verify_signature",
    "verify_with_refresh",
]

ErrorType = Callable[[str], OAuthError]

#: The furthest ahead an assertion's ``exp`` may be (client assertions, JWT bearer
#: grants): an hour, as major providers allow. RFC 7523 §3 item 4 lets a server
#: refuse an ``exp`` unreasonably far in the future; every used ``jti`` is
#: remembered until its ``exp``, so this bounds how long that memory lasts.
MAX_ASSERTION_LIFETIME = 3600
#: Clock skew tolerated between the signer's clock and the provider's.
CLOCK_SKEW = 60.0


#: Algorithms joserfc warns about when used ("EdDSA", "none"); the rest are
#: verified without the cost of catching warnings.
_WARNED_ALGS = frozenset(
    name for name, alg in JWSRegistry.algorithms.items() if getattr(alg, "security_warning", None)
)


class _Registry(JWSRegistry):
    # An RSA public key in a DPoP proof's ``jwk`` header is ~700 bytes encoded;
    # joserfc's default cap is 512.
    max_header_length = 4096


@functools.lru_cache(maxsize=32)
def _registry(algorithms: tuple[str, ...] | None = None) -> JWSRegistry:
    # Other parties' tokens may carry header parameters joserfc does not know.
    # A registry holds only its settings: one per algorithm list serves every call.
    return _Registry(algorithms=algorithms, strict_check_header=False)


@functools.lru_cache(maxsize=64)
def _extracted(token: str) -> CompactSignature:
    """The parsed JWS, shared by :func:`peek` and :func:`verify_signature`: a
    token is parsed once per request, not once to find its key and again to
    verify it. (A failed parse raises, and is not remembered.)"""
    return jws.extract_compact(token.encode("ascii"), registry=_registry())


def peek(token: str, *, error: ErrorType, what: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a compact JWS, *not* verified yet (to find the key)."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise error(f"{what} is not a JWT (a compact JWS has three dot-separated parts)")
    try:
        # joserfc parses the header with the unbounded json module: measure it first.
        if json_depth(_segment_text(token.partition(".")[0])) > MAX_JSON_DEPTH:
            raise error(f"{what} header is nested more than {MAX_JSON_DEPTH} levels deep")
        signed = _extracted(token)
    except (JoseError, ValueError, UnicodeError):
        raise error(f"{what} is not a well-formed JWT") from None
    try:
        claims = load_json(signed.payload, what=f"{what} payload")
    except InvalidRequest as exc:
        raise error(exc.description) from None
    if not isinstance(claims, dict):
        raise error(f"{what} payload is not a JSON object")
    return dict(signed.headers()), claims


def _segment_text(segment: str) -> str:
    """A base64url segment decoded to text (``ValueError`` when it is neither)."""
    padded = segment + "=" * (-len(segment) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")


def import_jwks(value: object, *, what: str) -> list[Key]:
    """Public keys from a JWKS document; a ``ValueError`` says what is wrong with it."""
    keys = value.get("keys") if isinstance(value, Mapping) else None
    if not isinstance(keys, list) or not keys:
        raise ValueError(f"{what} must be a JWKS: an object with a non-empty 'keys' list")
    try:
        keyset = KeySet.import_key_set({"keys": keys})
    except (JoseError, ValueError, TypeError) as exc:
        raise ValueError(f"{what} holds a key joserfc cannot import ({exc})") from None
    for key in keyset.keys:
        if isinstance(key, OctKey) or key.is_private:
            # A JWKS is published: a private or symmetric key in it is a leak.
            raise ValueError(f"{what} must hold public keys only (kid {key.kid!r} is not one)")
    return list(keyset.keys)


def algorithms_for(key: Key, registered: str | None = None) -> tuple[str, ...]:
    """The algorithms ``key`` may verify: its own ``alg``, else the registered one, else its type's."""
    by_type: tuple[str, ...]
    if isinstance(key, RSAKey):
        by_type = RSA_ALGS
    elif isinstance(key, ECKey):
        by_type = tuple(alg for crv, alg in EC_ALGS.items() if crv == key.get("crv"))
    elif isinstance(key, OKPKey):
        by_type = OKP_ALGS.get(str(key.get("crv")), ())
    elif isinstance(key, OctKey):
        by_type = HMAC_ALGS
    else:  # pragma: no cover - joserfc has no other key types
        by_type = ()
    own = key.get("alg")
    if isinstance(own, str):
        return (own,) if own in by_type else ()
    if registered is not None:
        return (registered,) if registered in by_type else ()
    return by_type


def verify_signature(
    token: str,
    header: Mapping[str, Any],
    keys: Sequence[Key],
    *,
    error: ErrorType,
    what: str,
    registered_alg: str | None = None,
) -> Key:
    """Verify ``token`` with one of ``keys``; returns the key that verified it."""
    alg = header.get("alg")
    if not isinstance(alg, str) or not alg:
        raise error(f"{what} header has no alg string (RFC 7515 §4.1.1); got {shown(alg)}")
    if alg.lower() == "none":
        raise error(f"{what} is unsigned (alg {shown(alg)}); RFC 7523 §3 requires a signature")
    if "crit" in header:
        # RFC 7515 §4.1.11: a critical extension the recipient does not understand
        # makes the JWS invalid, and this server understands none.
        raise error(
            f"{what} header has crit {shown(header['crit'])}; this server supports no JWS "
            "extension, so it must refuse it (RFC 7515 §4.1.11)"
        )
    kid = header.get("kid")
    signing = [key for key in keys if key.get("use") in (None, "sig")]
    candidates = [key for key in signing if kid is None or key.kid == kid]
    if not candidates:
        known = ", ".join(repr(key.kid) for key in signing) or "(none)"
        raise error(f"{what} names key {shown(kid)}, which is not registered (registered: {known})")
    usable = [key for key in candidates if alg in algorithms_for(key, registered_alg)]
    if not usable:
        allowed = sorted({a for key in candidates for a in algorithms_for(key, registered_alg)})
        raise error(
            f"{what} is signed with {alg}, but the registered key allows only "
            f"{', '.join(allowed) or 'nothing'}; the key decides the algorithm (RFC 8725 §3.1)"
        )
    registry = _registry((alg,))
    for key in usable:
        try:
            if alg in _WARNED_ALGS:
                with warnings.catch_warnings():
                    # joserfc warns that "EdDSA" is deprecated (RFC 9864); clients still send it.
                    warnings.simplefilter("ignore", SecurityWarning)
                    valid = jws.validate_compact(_extracted(token), key, [alg], registry)
            else:
                valid = jws.validate_compact(_extracted(token), key, [alg], registry)
            if not valid:
                continue
        except BadSignatureError:
            continue
        except (JoseError, ValueError, TypeError) as exc:
            # TypeError: joserfc trips over some malformed headers instead of refusing them.
            raise error(f"{what} cannot be verified with {alg}: {shown(str(exc), 200)}") from None
        return key
    raise error(f"{what} signature does not verify with the registered key(s)")


def verify_with_refresh(
    token: str,
    header: dict[str, Any],
    load: Callable[[bool], Sequence[Key]],
    *,
    error: ErrorType,
    what: str,
    registered_alg: str | None = None,
) -> Key:
    """Verify with keys from ``load(refresh)``; fetch again once if the ``kid`` is new."""
    keys = load(False)
    kid = header.get("kid")
    if kid is not None and all(key.kid != kid for key in keys):
        keys = load(True)
    return verify_signature(
        token, header, keys, error=error, what=what, registered_alg=registered_alg
    )


def iso(timestamp: float) -> str:
    try:
        return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        # Past year 9999 (or before year 1): no date to show, the number says it.
        return f"{timestamp:.10g} (seconds since the epoch)"


def numeric(claims: Mapping[str, Any], name: str, *, error: ErrorType, what: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise error(f"{what} claim {name!r} must be a NumericDate (seconds since the epoch)")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        # 1e400 parses as infinity: no time is that far, and no check can use it.
        raise error(f"{what} claim {name!r} must be a finite NumericDate (RFC 7519 §2)")
    return number


def check_times(
    claims: Mapping[str, Any],
    now: float,
    *,
    error: ErrorType,
    what: str,
    leeway: float = 0.0,
    require_exp: bool = True,
    max_lifetime: float | None = None,
) -> float | None:
    """``exp``, ``nbf`` and ``iat`` against the provider's clock; returns ``exp``.

    ``max_lifetime``: ``exp`` may be at most that many seconds (plus
    :data:`CLOCK_SKEW`) after the provider's time.
    """
    exp = numeric(claims, "exp", error=error, what=what)
    if exp is None:
        if require_exp:
            raise error(f"{what} has no 'exp' claim (RFC 7523 §3 requires one)")
    elif now >= exp + leeway:
        raise error(f"{what} expired at {iso(exp)} (provider time {iso(now)})")
    nbf = numeric(claims, "nbf", error=error, what=what)
    if nbf is not None and now + leeway < nbf:
        raise error(f"{what} is not valid before {iso(nbf)} (provider time {iso(now)})")
    iat = numeric(claims, "iat", error=error, what=what)
    if iat is not None and iat > now + max(leeway, 60.0):
        raise error(f"{what} was issued in the future ({iso(iat)}; provider time {iso(now)})")
    if exp is not None and max_lifetime is not None and exp - now > max_lifetime + CLOCK_SKEW:
        raise error(
            f"{what} expires at {iso(exp)}, more than {int(max_lifetime)} s after the "
            f"provider time {iso(now)}; this provider refuses assertions valid that long "
            "(RFC 7523 §3): give it an exp a few minutes ahead"
        )
    return exp


def audiences(claims: Mapping[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list):
        return [value for value in aud if isinstance(value, str)]
    return []
