"""Issuer metadata (OIDC Discovery 1.0 §4, RFC 8414 §3) and the JWKS (RFC 7517)."""

from __future__ import annotations

from typing import Any, TypeGuard
from urllib.parse import urlsplit

from pytest_authmock.contract.checks import PRIVATE_MEMBERS, Choices, Provider

#: The grants the suite checks; of grant_types_supported it records these only.
CHECKED_GRANTS = (
    "authorization_code",
    "client_credentials",
    "password",
    "refresh_token",
    "urn:ietf:params:oauth:grant-type:device_code",
)


#: Endpoints a provider may or may not have (RFC 8414 §2, OIDC Discovery §3).
OPTIONAL_ENDPOINTS = ("introspection_endpoint", "revocation_endpoint", "userinfo_endpoint")


def _is_names(value: Any) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def test_metadata_is_served_for_the_issuer(provider: Provider, choices: Choices) -> None:
    metadata = provider.metadata()
    # OIDC Discovery §4.3 / RFC 8414 §3.3: the issuer must match exactly.
    assert metadata.get("issuer") == provider.settings.issuer, (
        f"metadata issuer {metadata.get('issuer')!r} differs from {provider.settings.issuer!r}"
        " (OIDC Discovery §4.3, RFC 8414 §3.3: identical)"
    )
    urls = provider.metadata_urls()
    served = " and ".join(f"GET {urlsplit(urls[name]).path}" for name in provider.documents)
    choices.record("metadata_documents", list(provider.documents), request=served, status=200)
    endpoints = [name for name in OPTIONAL_ENDPOINTS if name in metadata]
    choices.record("endpoints_published", endpoints, field=", ".join(OPTIONAL_ENDPOINTS))
    for name, checked in (
        ("grant_types_supported", CHECKED_GRANTS),
        ("scopes_supported", None),
        ("code_challenge_methods_supported", None),
    ):
        published = metadata.get(name)
        if name not in metadata:
            choices.record(name, None, field=name)
        elif _is_names(published):
            # Only the grants the suite checks: what the others are is not for it to say.
            kept = [value for value in published if checked is None or value in checked]
            choices.record(name, sorted(kept), field=name, published=published)


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
    choices.record("jwks_published", bool(provider.endpoint("jwks_uri")), field="jwks_uri")
    if not provider.endpoint("jwks_uri"):
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
    kinds = sorted({f"{key['kty']}/{key['alg']}" if "alg" in key else key["kty"] for key in keys})
    choices.record("jwks_key_types", kinds, field="keys[].kty, keys[].alg")
