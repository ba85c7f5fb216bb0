"""Issuer metadata (OIDC Discovery 1.0 §4, RFC 8414 §3) and the JWKS (RFC 7517)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pytest_authmock.contract.checks import PRIVATE_MEMBERS, Choices, Provider


def test_metadata_is_served_for_the_issuer(provider: Provider, choices: Choices) -> None:
    metadata = provider.metadata()
    # OIDC Discovery §4.3 / RFC 8414 §3.3: the issuer must match exactly.
    assert metadata.get("issuer") == provider.settings.issuer, (
        f"metadata issuer {metadata.get('issuer')!r} differs from {provider.settings.issuer!r}"
        " (OIDC Discovery §4.3, RFC 8414 §3.3: identical)"
    )
    choices.record("metadata documents", " and ".join(provider.documents))
    if "grant_types_supported" not in metadata:
        choices.record("grant_types_supported", "not published (grants are tried, not skipped)")


def test_metadata_answers_json(provider: Provider) -> None:
    provider.metadata()
    url = provider.metadata_urls()[provider.documents[0]]
    response = provider.http.get(url)
    kind = response.headers.get("content-type", "").split(";")[0].strip()
    assert kind == "application/json", (
        f"the metadata is served as {kind!r} (RFC 8414 §3.2: application/json)"
    )


def test_required_metadata_fields(metadata: dict[str, Any]) -> None:
    # RFC 8414 §2: issuer and response_types_supported are REQUIRED; a provider
    # with a token endpoint lists it, and one that signs anything lists jwks_uri.
    missing = [
        name
        for name in ("issuer", "token_endpoint", "response_types_supported")
        if name not in metadata
    ]
    assert not missing, f"metadata lacks {', '.join(missing)} (RFC 8414 §2)"
    for name, value in metadata.items():
        if name.endswith("_endpoint") or name == "jwks_uri":
            parts = urlsplit(str(value))
            assert parts.scheme in ("https", "http") and parts.netloc, (
                f"{name} is not an absolute URL (RFC 8414 §2)"
            )
            assert not parts.fragment, f"{name} has a fragment (RFC 6749 §3.1, §3.2)"


def test_jwks(provider: Provider, choices: Choices) -> None:
    if not provider.endpoint("jwks_uri"):
        choices.record("jwks_uri", "not published (opaque tokens only?)")
        return
    keys = provider.jwks().get("keys")
    assert isinstance(keys, list) and keys, "the JWKS has no keys (RFC 7517 §5)"
    kids = [key.get("kid") for key in keys]
    for key in keys:
        assert "kty" in key, f"a JWK without kty: {sorted(key)} (RFC 7517 §4.1 REQUIRED)"
        leaked = sorted(PRIVATE_MEMBERS.intersection(key))
        assert not leaked, (
            f"the JWKS publishes private key material ({', '.join(leaked)}; RFC 7517 §9.2)"
        )
    assert len(set(kids)) == len(kids), f"kids are not unique: {kids} (RFC 7517 §4.5)"
    kinds = sorted({f"{key['kty']}/{key.get('alg', '?')}" for key in keys})
    choices.record("JWKS key types", ", ".join(kinds), "algorithm='RS256' or 'ES256'")
