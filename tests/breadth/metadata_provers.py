"""One prover per metadata member: it makes the advertised value do its job.

``PROVERS[name](agent, value)`` proves the member ``name``; list members are
proven element by element, and an element without a prover fails, so nothing
new can be advertised without a test that it works.
"""

from __future__ import annotations

import base64
import functools
import json
import secrets
import ssl
import time
from collections.abc import Callable
from typing import Any

import httpx
from joserfc import jws
from joserfc.jwk import ECKey, Key, KeySet, OKPKey, RSAKey

from pytest_authmock.client import ClientSecretJwt, PrivateKeyJwt
from pytest_authmock.client.assertion import ASSERTION_TYPE
from pytest_authmock.client.browser_login import pkce_pair
from pytest_authmock.transport.tls import ClientCertificate, TLSMaterial

LOOPBACK = "http://127.0.0.1/callback"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"


@functools.cache
def _default_context() -> ssl.SSLContext:
    return ssl.create_default_context()


@functools.cache
def signing_key(alg: str) -> Key:
    """One private key per key type for the whole run, without an ``alg`` of its own."""
    if alg.startswith(("RS", "PS")):
        return RSAKey.generate_key(2048, parameters={"kid": "rsa"}, private=True)
    if alg in ("EdDSA", "Ed25519"):
        return OKPKey.generate_key("Ed25519", parameters={"kid": "okp"}, private=True)
    curve = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}[alg]
    return ECKey.generate_key(curve, parameters={"kid": curve}, private=True)


class Agent:
    """Talks to the provider under test over one transport, certificates included."""

    def __init__(self, provider: Any, transport: str, pki: TLSMaterial) -> None:
        self.provider = provider
        self.transport = transport
        self.pki = pki
        self._clients: list[httpx.Client] = []
        self.metadata: dict[str, Any] = (
            self.http().get(provider.issuer + "/.well-known/openid-configuration").json()
        )

    def http(self, cert: ClientCertificate | None = None) -> httpx.Client:
        if self.transport == "inprocess":
            headers = {"Client-Cert": cert.header_value()} if cert is not None else {}
            client = httpx.Client(headers=headers, verify=_default_context())
        elif cert is not None:
            client = httpx.Client(verify=cert.ssl_context())
        else:
            client = httpx.Client(
                verify=getattr(self.provider, "httpx_verify", None) or _default_context()
            )
        self._clients.append(client)
        return client

    @property
    def verify(self) -> Any:
        return getattr(self.provider, "httpx_verify", None) or True

    def close(self) -> None:
        for client in self._clients:
            client.close()

    def endpoint(self, name: str, *, mtls: bool = False) -> str:
        aliases = self.metadata.get("mtls_endpoint_aliases") or {}
        url = aliases.get(name) if mtls else None
        return str(url or self.metadata[name])

    # -- clients that authenticate one way -------------------------------------------

    def poster(
        self, method: str, alg: str | None = None
    ) -> tuple[Any, Callable[[str, dict[str, str]], httpx.Response]]:
        """A new client registered for ``method``, and ``post(endpoint_name, form)`` for it."""
        provider = self.provider
        if method in ("client_secret_basic", "client_secret_post", "client_secret_jwt"):
            client = provider.add_client(token_endpoint_auth_method=method)
        elif method == "none":
            client = provider.add_client(public=True)
        elif method == "tls_client_auth":
            cert = self.pki.issue_client_cert("tls-" + secrets.token_hex(3))
            client = provider.add_client(tls_client_auth_subject_dn=cert.subject_dn)
        elif method == "self_signed_tls_client_auth":
            cert = self.pki.self_signed_client_cert("solo-" + secrets.token_hex(3))
            client = provider.add_client(self_signed_certificates=[cert.certificate])
        elif method == "private_key_jwt":
            key = signing_key(alg or "ES256")
            client = provider.add_client(jwks={"keys": [key.as_dict(private=False)]})
        else:
            raise AssertionError(f"no way to prove the client authentication method {method!r}")
        http = self.http(cert if method.endswith("tls_client_auth") else None)

        def post(name: str, form: dict[str, str]) -> httpx.Response:
            url = self.endpoint(name, mtls=method.endswith("tls_client_auth"))
            data, auth = dict(form), None
            if method == "client_secret_basic":
                auth = (client.client_id, client.client_secret)
            elif method == "client_secret_post":
                data.update(client_id=client.client_id, client_secret=client.client_secret)
            elif method in ("none", "tls_client_auth", "self_signed_tls_client_auth"):
                data["client_id"] = client.client_id
            else:
                signer: Any = (
                    ClientSecretJwt(client.client_id, client.client_secret, alg=alg or "HS256")
                    if method == "client_secret_jwt"
                    else PrivateKeyJwt(client.client_id, signing_key(alg or "ES256"), alg=alg)
                )
                data.update(
                    client_id=client.client_id,
                    client_assertion_type=ASSERTION_TYPE,
                    client_assertion=signer.assertion(self.provider.issuer),
                )
            return http.post(url, data=data, auth=auth or httpx.USE_CLIENT_DEFAULT)

        return client, post

    # -- flows ---------------------------------------------------------------------------

    def authorization_code(
        self, *, method: str = "S256", scope: str = "openid", nonce: str | None = None
    ) -> tuple[httpx.URL, dict[str, Any]]:
        """One authorization code flow (auto-approved): the redirect and the token answer."""
        provider = self.provider
        user = provider.add_user()
        provider.auto_approve = user
        client = provider.add_client(public=True, redirect_uris=[LOOPBACK])
        verifier, challenge = pkce_pair()
        if method == "plain":
            challenge = verifier
        params = {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": LOOPBACK,
            "code_challenge": challenge,
            "code_challenge_method": method,
            "scope": scope,
            "state": "s-1",
        }
        if nonce is not None:
            params["nonce"] = nonce
        http = self.http()
        answer = http.get(self.metadata["authorization_endpoint"], params=params)
        assert answer.status_code in (302, 303), answer.text
        location = httpx.URL(answer.headers["location"])
        token = self.redeem(http, client.client_id, location.params["code"], verifier)
        return location, token

    def redeem(
        self, http: httpx.Client, client_id: str, code: str, verifier: str
    ) -> dict[str, Any]:
        """Exchange a public client's authorization code (with its PKCE verifier)."""
        token = http.post(
            self.metadata["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": LOOPBACK,
                "client_id": client_id,
                "code_verifier": verifier,
            },
        )
        assert token.status_code == 200, token.text
        body: dict[str, Any] = token.json()
        return body

    def client_credentials(self, **form: str) -> dict[str, Any]:
        client = self.provider.add_client()
        answer = self.http().post(
            self.metadata["token_endpoint"],
            data={"grant_type": "client_credentials", **form},
            auth=(client.client_id, client.client_secret),
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def password(self, scope: str = "openid profile email") -> tuple[Any, dict[str, Any]]:
        user = self.provider.add_user()
        client = self.provider.add_client()
        answer = self.http().post(
            self.metadata["token_endpoint"],
            data={
                "grant_type": "password",
                "username": user.username,
                "password": user.password,
                "scope": scope,
            },
            auth=(client.client_id, client.client_secret),
        )
        assert answer.status_code == 200, answer.text
        return client, answer.json()

    def is_active(self, token: str) -> bool:
        return bool(self.provider.check_bearer(f"Bearer {token}").ok)


def assertion_for(issuer: str, audience: str, key: Key, alg: str = "ES256") -> str:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "sub": "svc",
        "aud": audience,
        "iat": now,
        "exp": now + 60,
        "jti": secrets.token_hex(6),
    }
    return jws.serialize_compact(
        {"alg": alg, "kid": key.kid}, json.dumps(claims), key, algorithms=[alg]
    )


def verify_with_jwks(agent: Agent, token: str) -> dict[str, Any]:
    keys = KeySet.import_key_set(agent.http().get(agent.metadata["jwks_uri"]).json())
    segment = token.split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return dict(jws.deserialize_compact(token, keys, algorithms=[header["alg"]]).headers())
