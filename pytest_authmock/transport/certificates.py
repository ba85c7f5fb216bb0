"""Client certificates for mutual TLS: built with ``cryptography``, written to disk
in every form clients ask for (PEM certificate and key, PKCS#12).

Every key is ECDSA P-256, generated in well under a millisecond.
:class:`~.tls.TLSMaterial` signs them with the test CA.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import re
import secrets
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "ORGANIZATION",
    "ClientCertificate",
    "certificate_thumbprint",
    "load_issuer_key",
    "sign_client_certificate",
    "sign_self_signed",
    "subject_name",
    "write_client_certificate",
]

ORGANIZATION = "pytest-authmock"
_CLIENT_UNIT = "clients"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


def certificate_thumbprint(certificate: x509.Certificate) -> str:
    """The RFC 8705 §3.1 ``x5t#S256`` value: base64url(SHA-256(DER)), unpadded."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    digest = hashlib.sha256(der).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class ClientCertificate:
    """A client certificate written to disk in every form clients ask for.

    Do not construct it yourself: get one from :meth:`TLSMaterial.issue_client_cert`,
    :meth:`TLSMaterial.self_signed_client_cert` or ``idp_server.client_cert(...)``.

    ``cert_pem``/``key_pem`` suit ``requests`` (``cert=(cert_pem, key_pem)``), curl
    (``--cert``/``--key``) and :meth:`ssl.SSLContext.load_cert_chain`; ``p12`` is a
    PKCS#12 bundle (certificate, key and the CA) protected by ``p12_password``.
    """

    client_id: str
    certificate: x509.Certificate
    cert_pem: Path
    key_pem: Path
    p12: Path
    p12_password: str = field(repr=False)
    #: The CA the loopback server trusts (not necessarily this certificate's issuer:
    #: a wrong-CA or self-signed certificate is still meant to talk to our server).
    ca_pem: Path

    @property
    def thumbprint(self) -> str:
        """``x5t#S256`` of the certificate, as it appears in a bound token's ``cnf``."""
        return certificate_thumbprint(self.certificate)

    @property
    def subject_dn(self) -> str:
        """The subject as an RFC 4514 string (for ``tls_client_auth_subject_dn``)."""
        return self.certificate.subject.rfc4514_string()

    @property
    def san_dns(self) -> list[str]:
        """The DNS names of the subjectAltName extension (``tls_client_auth_san_dns``)."""
        try:
            san = self.certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        except x509.ExtensionNotFound:
            return []
        return list(san.value.get_values_for_type(x509.DNSName))

    @property
    def requests_cert(self) -> tuple[str, str]:
        """``cert=`` for ``requests``: the (certificate, key) paths as strings."""
        return (str(self.cert_pem), str(self.key_pem))

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts the test CA and presents this certificate.

        Pass it as ``verify=`` to ``httpx.Client`` (httpx deprecated ``cert=``).
        """
        context = ssl.create_default_context(cafile=str(self.ca_pem))
        context.load_cert_chain(str(self.cert_pem), str(self.key_pem))
        return context

    def header_value(self) -> str:
        """This certificate as an RFC 9440 ``Client-Cert`` header value.

        Only for the in-process transport, which simulates what a TLS-terminating
        proxy forwards; see :mod:`pytest_authmock.transport.client_cert_header`.
        """
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return ":" + base64.b64encode(der).decode("ascii") + ":"


def subject_name(client_id: str, subject_dn: str | None) -> x509.Name:
    """``subject_dn`` (RFC 4514), or ``O=pytest-authmock,OU=clients,CN=<client_id>``."""
    if not client_id:
        raise ValueError("client_id must be a non-empty string")
    if subject_dn is None:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, client_id),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, _CLIENT_UNIT),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            ]
        )
    try:
        return x509.Name.from_rfc4514_string(subject_dn)
    except ValueError as exc:
        raise ValueError(
            f"subject_dn {subject_dn!r} is not an RFC 4514 distinguished name "
            f"(e.g. 'CN=ci-bot,O=Example'): {exc}"
        ) from None


def sign_client_certificate(
    subject: x509.Name,
    issuer: x509.Certificate,
    issuer_key: CertificateIssuerPrivateKeyTypes,
    *,
    expired: bool = False,
    san_dns: tuple[str, ...] | list[str] = (),
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A TLS client certificate (and its new key) signed by ``issuer``."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    if expired:
        not_before, not_after = now - datetime.timedelta(days=30), now - datetime.timedelta(days=1)
    else:
        # A day of slack either way keeps the certificate valid under freezegun
        # and for providers whose clock a test moved.
        not_before, not_after = now - datetime.timedelta(days=1), now + datetime.timedelta(days=365)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_KEY_USAGE, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer.public_key()  # type: ignore[arg-type]
            ),
            critical=False,
        )
    )
    if san_dns:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name) for name in san_dns]),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256()), key


def sign_self_signed(subject: x509.Name) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A self-signed client certificate (RFC 8705 §2.2) and its new key."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate, key


def load_issuer_key(pem: bytes) -> CertificateIssuerPrivateKeyTypes:
    """A CA's private key from PEM (trustme makes RSA or ECDSA keys)."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise TypeError(f"a CA key must be RSA or ECDSA, not {type(key).__name__}")
    return key


def write_client_certificate(
    client_id: str,
    certificate: x509.Certificate,
    key: ec.EllipticCurvePrivateKey,
    *,
    folder: Path,
    password: str | None,
    ca_certificate: x509.Certificate,
    ca_pem: Path,
) -> ClientCertificate:
    """Write ``<id>.pem``, ``<id>-key.pem`` (0600) and ``<id>.p12`` into ``folder``.

    The PKCS#12 password is random unless ``password`` is given.
    """
    stem = _SAFE_NAME.sub("_", client_id)
    p12_password = password if password is not None else secrets.token_urlsafe(12)
    cert_pem = folder / f"{stem}.pem"
    key_pem = folder / f"{stem}-key.pem"
    p12 = folder / f"{stem}.p12"
    cert_pem.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_pem.chmod(0o600)
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            name=client_id.encode("utf-8"),
            key=key,
            cert=certificate,
            cas=[ca_certificate],
            encryption_algorithm=serialization.BestAvailableEncryption(
                p12_password.encode("utf-8")
            ),
        )
    )
    return ClientCertificate(
        client_id=client_id,
        certificate=certificate,
        cert_pem=cert_pem,
        key_pem=key_pem,
        p12=p12,
        p12_password=p12_password,
        ca_pem=ca_pem,
    )
