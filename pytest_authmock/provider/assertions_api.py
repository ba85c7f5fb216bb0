"""Test verbs of sender-constrained tokens and assertion grants, mixed into ``FakeIdP``.

``idp.dpop_settings`` switches DPoP server nonces on (RFC 9449 §8);
``idp.trust_issuer()`` names the issuers whose JWTs the JWT bearer grant
(RFC 7523 §2.1) and token exchange (RFC 8693) accept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from pytest_authmock.provider.dpop import DPoPSettings
from pytest_authmock.provider.facade_base import FacadeBase
from pytest_authmock.provider.jwtcheck import import_jwks
from pytest_authmock.provider.trust import TrustedIssuer


class _Issuer(Protocol):
    """Another provider (a ``FakeIdP``): its issuer URL and its current JWKS."""

    @property
    def issuer(self) -> str: ...

    def jwks(self) -> dict[str, Any]: ...


class AssertionsAPI(FacadeBase):
    """Methods of :class:`~pytest_authmock.provider.idp.FakeIdP` for DPoP and trusted issuers."""

    @property
    def dpop_settings(self) -> DPoPSettings:
        """DPoP switches: ``require_nonce`` (RFC 9449 §8), ``proof_window``,
        ``nonce_lifetime`` (seconds)."""
        return self._ctx.store.dpop.settings

    def trust_issuer(
        self,
        issuer: str | _Issuer,
        *,
        jwks: Mapping[str, Any] | None = None,
        jwks_uri: str | None = None,
        audience: str | None = None,
        copy_claims: Iterable[str] = (),
    ) -> TrustedIssuer:
        """Accept JWTs from ``issuer`` as JWT bearer grants and token-exchange subject tokens.

        ``issuer`` is another fake provider (its keys are read live, so its key
        rotation is seen at once) or an issuer URL with its keys: ``jwks``
        (a JWKS document) or ``jwks_uri`` (fetched, cached, fetched again for an
        unknown ``kid``). ``audience`` is the ``aud`` its tokens must carry
        (default: this provider's issuer or token endpoint URL; a CI runner's
        ID token carries the audience its workflow asked for). ``copy_claims``
        names claims copied from its tokens into the access tokens issued here.
        """
        if isinstance(copy_claims, str):
            raise TypeError(f"copy_claims takes a list of claim names, not {copy_claims!r}")
        if isinstance(issuer, str):
            name = issuer
            if (jwks is None) == (jwks_uri is None):
                raise TypeError(
                    f"trust_issuer({issuer!r}) needs its keys: pass jwks={{...}} or jwks_uri=..."
                )
            if jwks_uri is not None and not jwks_uri.startswith(("https://", "http://")):
                raise ValueError(f"jwks_uri must be an http(s) URL; got {jwks_uri!r}")
            keys = tuple(import_jwks(jwks, what=f"jwks of {issuer}")) if jwks is not None else ()
            trusted = TrustedIssuer(
                issuer=name,
                audience=audience,
                copy_claims=tuple(copy_claims),
                jwks=keys,
                jwks_uri=jwks_uri,
            )
        else:
            if jwks is not None or jwks_uri is not None:
                raise TypeError("a provider brings its own keys; pass no jwks or jwks_uri")
            name = issuer.issuer
            trusted = TrustedIssuer(
                issuer=name,
                audience=audience,
                copy_claims=tuple(copy_claims),
                live_jwks=issuer.jwks,
            )
        if not name.startswith(("https://", "http://")):
            raise ValueError(f"issuer must be an http(s) URL; got {name!r}")
        with self._lock:
            self._ctx.store.trust.issuers[name] = trusted
        return trusted

    @property
    def trusted_issuers(self) -> dict[str, TrustedIssuer]:
        """The issuers ``trust_issuer()`` set up, by issuer URL (a copy: change it through
        ``trust_issuer()`` and ``distrust_issuer()``)."""
        with self._lock:
            return dict(self._ctx.store.trust.issuers)

    def distrust_issuer(self, issuer: str) -> TrustedIssuer:
        """Stop accepting JWTs from ``issuer``; a ``LookupError`` names the trusted ones."""
        with self._lock:
            issuers = self._ctx.store.trust.issuers
            if issuer not in issuers:
                known = ", ".join(sorted(issuers)) or "none"
                raise LookupError(f"issuer {issuer!r} is not trusted (trusted: {known})")
            return issuers.pop(issuer)
