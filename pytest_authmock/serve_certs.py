"""Client certificates of ``authmock serve``: one per client when it runs with TLS.

Used for the clients registered at start-up and for those the control API adds
later, so both get the same files (``<id>.pem``, ``<id>-key.pem``, ``<id>.p12``
next to ``ca.pem``) and, with ``--mtls``, the same way to authenticate.
"""

from __future__ import annotations

import re
from typing import Any

#: Password of the ``<id>.p12`` files (unless a client sets ``p12_password``).
#: Test material, not a secret.
P12_PASSWORD = "authmock"


def certify(material: Any, spec: dict[str, Any], *, mtls: bool) -> tuple[dict[str, Any], Any, str]:
    """Issue a certificate for the client ``spec`` describes; returns the ``add_client``
    keywords (with ``--mtls``: its certificate subject and the auth methods that use it),
    the certificate and its PKCS#12 password."""
    spec = dict(spec)
    password = spec.pop("p12_password", None) or P12_PASSWORD
    client_id = spec["client_id"]
    if re.sub(r"[^A-Za-z0-9._-]+", "_", client_id) == "ca":
        raise ValueError("client_id 'ca' would overwrite the CA's ca.pem; choose another id")
    has_tls = bool(spec.get("tls_client_auth_subject_dn") or spec.get("tls_client_auth_san_dns"))
    san = spec.get("tls_client_auth_san_dns")
    cert = material.issue_client_cert(
        client_id,
        subject_dn=spec.get("tls_client_auth_subject_dn"),
        san_dns=[san] if san else (),
        password=password,
        directory=material.directory,
    )
    if mtls:
        # Only with --mtls does the server ask for the certificate.
        if not has_tls:
            spec["tls_client_auth_subject_dn"] = cert.subject_dn
        if "token_endpoint_auth_method" not in spec:
            methods = ["tls_client_auth"]
            if spec.get("client_secret"):
                methods = ["client_secret_basic", "client_secret_post", *methods]
            if "jwks" in spec or "jwks_uri" in spec:
                methods.append("private_key_jwt")
            spec["token_endpoint_auth_method"] = methods
    return spec, cert, password


def describe(cert: Any, password: str) -> dict[str, str]:
    """The certificate's files, for the control API's answer and the start record."""
    return {
        "cert": str(cert.cert_pem),
        "key": str(cert.key_pem),
        "p12": str(cert.p12),
        "p12_password": password,
        "subject_dn": cert.subject_dn,
    }
