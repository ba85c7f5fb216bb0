"""Client authentication at the token, introspection and revocation endpoints."""

from __future__ import annotations

import dataclasses
import hmac

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from joserfc.jwk import Key

from pytest_authmock.provider.client_assertion import (
    Assertion,
    read_assertion,
    secret_key,
    verify_assertion,
)
from pytest_authmock.provider.errors import InvalidClient, InvalidRequest
from pytest_authmock.provider.http import auth_scheme, parse_basic
from pytest_authmock.provider.jwtcheck import ErrorType
from pytest_authmock.provider.models import Client
from pytest_authmock.provider.paths import PATHS
from pytest_authmock.provider.store import Store

BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="authmock", charset="UTF-8"'}
TLS_METHODS = ("tls_client_auth", "self_signed_tls_client_auth")


@dataclasses.dataclass(frozen=True)
class Authenticated:
    client: Client
    method: str


@dataclasses.dataclass(frozen=True)
class Audience:
    """What a client assertion's ``aud`` may name, and the time to check ``exp`` at."""

    issuer: str
    token_endpoint: str
    #: The URL the request was sent to.
    url: httpx.URL
    now: float

    @classmethod
    def at(cls, issuer: str, url: httpx.URL, now: float) -> Audience:
        """For a request to ``url`` of the provider ``issuer``, at provider time ``now``."""
        return cls(issuer=issuer, token_endpoint=issuer + PATHS["token"], url=url, now=now)

    @property
    def endpoint(self) -> str:
        """The endpoint the assertion was sent to (RFC 7523 §3 accepts its URL too).

        Computed only for a client assertion: most requests authenticate otherwise.
        """
        return str(self.url.copy_with(query=None, fragment=None))


def authenticate(
    store: Store,
    request: httpx.Request,
    params: dict[str, str],
    peer_cert: x509.Certificate | None,
    audience: Audience,
) -> Authenticated:
    """Identify and authenticate the client, or raise ``invalid_client``/``invalid_request``."""
    basic = auth_scheme(request) == "basic"
    in_body = "client_secret" in params
    if (basic or in_body) and ("client_assertion" in params or "client_assertion_type" in params):
        # RFC 6749 §2.3: one authentication method per request; said before the
        # assertion is read, so a malformed one is not answered as if it were the method.
        raise InvalidRequest(
            "the client sent a client_assertion and also "
            f"{'HTTP Basic' if basic else 'client_secret'}; RFC 6749 §2.3 allows one method"
        )
    assertion = read_assertion(params)
    if assertion is not None:
        return _authenticate_assertion(store, params, assertion, audience)
    if basic and in_body:
        # RFC 6749 §2.3: a client MUST NOT use more than one authentication method.
        raise InvalidRequest(
            "the client authenticated twice (HTTP Basic and client_secret in the body); "
            "RFC 6749 §2.3 allows one method per request"
        )
    challenge = BASIC_CHALLENGE if basic else {}
    if basic:
        client_id, secret = parse_basic(request.headers["authorization"])
        if params.get("client_id", client_id) != client_id:
            raise InvalidRequest("client_id in the body differs from the one in HTTP Basic")
        method: str | None = "client_secret_basic"
        given: str | None = secret
    else:
        client_id = params.get("client_id", "")
        given = params.get("client_secret")
        method = "client_secret_post" if in_body else None
        if not client_id:
            raise InvalidClient(
                "no client authentication: send client_id and client_secret with HTTP Basic "
                "(client_secret_basic) or in the form body (client_secret_post)"
            )
    client = store.clients.get(client_id)
    if client is None:
        raise InvalidClient(f"unknown client {client_id!r}", headers=challenge)
    if client.disabled:
        raise InvalidClient(f"client {client_id!r} is disabled", headers=challenge)
    if method is None:
        method = _secretless_method(client, peer_cert)
    allowed = client.token_endpoint_auth_methods
    if method not in allowed:
        raise InvalidClient(
            f"client {client_id!r} may not authenticate with {method}; it is registered for "
            f"{', '.join(allowed)}. Pass token_endpoint_auth_method=... to add_client()",
            headers=challenge,
        )
    if method in ("client_secret_basic", "client_secret_post"):
        _check_secret(client, given or "", basic=basic, challenge=challenge)
    elif method in TLS_METHODS:
        _check_certificate(client, method, peer_cert)
    return Authenticated(client, method)


def _authenticate_assertion(
    store: Store, params: dict[str, str], assertion: Assertion, audience: Audience
) -> Authenticated:
    client_id = params.get("client_id") or assertion.client_id
    if not client_id:
        raise InvalidClient("the client assertion names no client (no sub claim, no client_id)")
    if "client_id" in params and assertion.client_id not in (None, client_id):
        raise InvalidClient(
            f"client_id {client_id!r} differs from the client assertion's sub "
            f"{assertion.client_id!r} (RFC 7523 §3)"
        )
    client = store.clients.get(client_id)
    if client is None:
        raise InvalidClient(f"unknown client {client_id!r}")
    if client.disabled:
        raise InvalidClient(f"client {client_id!r} is disabled")
    method = assertion.method
    if method not in client.token_endpoint_auth_methods:
        raise InvalidClient(
            f"client {client_id!r} may not authenticate with {method}; it is registered for "
            f"{', '.join(client.token_endpoint_auth_methods)}. Pass "
            "token_endpoint_auth_method=... to add_client()"
        )

    def keys(refresh: bool) -> list[Key]:
        if method == "client_secret_jwt":
            return [secret_key(client.client_secret or "")]
        return registered_keys(store, client, error=InvalidClient, refresh=refresh)

    verify_assertion(
        assertion,
        client_id=client_id,
        keys=keys,
        registered_alg=client.token_endpoint_auth_signing_alg,
        issuer=audience.issuer,
        endpoints=(audience.token_endpoint, audience.endpoint),
        now=audience.now,
        replay=store.replay,
    )
    return Authenticated(client, method)


def registered_keys(
    store: Store, client: Client, *, error: ErrorType, refresh: bool = False
) -> list[Key]:
    """The public keys a client registered: its ``jwks``, or its ``jwks_uri`` fetched."""
    if client.jwks_uri is None:
        return list(client.jwks)
    return store.trust.fetcher.keys(client.jwks_uri, error=error, refresh=refresh)


def _secretless_method(client: Client, peer_cert: x509.Certificate | None) -> str:
    methods = client.token_endpoint_auth_methods
    if peer_cert is not None:
        for method in TLS_METHODS:
            if method in methods:
                return method
    if "none" in methods:
        return "none"
    for method in TLS_METHODS:
        if method in methods:
            return method  # fails below with "no certificate presented"
    raise InvalidClient(
        f"client {client.client_id!r} is confidential and sent no secret; authenticate with "
        f"{' or '.join(methods)}"
    )


def _check_secret(client: Client, given: str, *, basic: bool, challenge: dict[str, str]) -> None:
    expected = client.client_secret or ""
    if hmac.compare_digest(given.encode(), expected.encode()):
        return
    hint = ""
    if basic and any(char in expected for char in "+%"):
        hint = (
            "; note that RFC 6749 §2.3.1 requires form-urlencoding the id and secret before "
            "Base64, and this secret contains '+' or '%'"
        )
    raise InvalidClient(
        f"client secret does not match for client {client.client_id!r}{hint}", headers=challenge
    )


def _check_certificate(client: Client, method: str, cert: x509.Certificate | None) -> None:
    # RFC 8705 §2: the transport verified the chain (tls_client_auth) or accepted any
    # certificate (self_signed); here we match it to what the client registered.
    if cert is None:
        raise InvalidClient(
            f"client {client.client_id!r} authenticates with {method}, but no TLS client "
            "certificate was presented"
        )
    if method == "self_signed_tls_client_auth":
        if any(cert == registered for registered in client.self_signed_certificates):
            return
        raise InvalidClient(
            f"the presented certificate is not one registered for client {client.client_id!r}"
        )
    if _self_signed(cert):
        # The loopback server lets registered self-signed certificates through the
        # handshake (for self_signed_tls_client_auth); one of those must not pass
        # as a CA-issued certificate with another client's subject (RFC 8705 §2.1).
        raise InvalidClient(
            f"client {client.client_id!r} uses tls_client_auth, which needs a certificate "
            "issued by a trusted CA; the presented one is self-signed (register it with "
            "self_signed_certificates=[...] for self_signed_tls_client_auth)"
        )
    if client.tls_client_auth_subject_dn is not None:
        expected_dn = x509.Name.from_rfc4514_string(client.tls_client_auth_subject_dn)
        if cert.subject == expected_dn:
            return
        raise InvalidClient(
            f"certificate subject {cert.subject.rfc4514_string()!r} does not match the subject "
            f"registered for client {client.client_id!r} ({client.tls_client_auth_subject_dn!r})"
        )
    if client.tls_client_auth_san_dns is not None:
        if client.tls_client_auth_san_dns in _san_dns_names(cert):
            return
        raise InvalidClient(
            f"certificate has no DNS subjectAltName {client.tls_client_auth_san_dns!r} "
            f"as registered for client {client.client_id!r}"
        )
    raise InvalidClient(
        f"client {client.client_id!r} uses tls_client_auth but registered no subject; pass "
        "tls_client_auth_subject_dn=... or tls_client_auth_san_dns=... to add_client()"
    )


def _self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _san_dns_names(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return san.value.get_values_for_type(x509.DNSName)
