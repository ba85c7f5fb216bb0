"""TLS material for the loopback server: a test CA, the server certificate and
client certificates.

Everything here is built from `trustme` (the CA and the server certificate) and
`cryptography` (client certificates with a chosen subject, PKCS#12 bundles,
self-signed certificates). Nothing touches the system trust store: a client
trusts the fake provider only through :attr:`TLSMaterial.ca_pem` or
:meth:`TLSMaterial.client_context`.

Key generation is the expensive part, so :class:`TLSMaterial` is built once per
test session (per xdist worker) and every certificate it issues uses ECDSA P-256,
which is generated in well under a millisecond.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import re
import secrets
import ssl
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "SERVER_IDENTITIES",
    "ClientCertificate",
    "TLSMaterial",
    "certificate_thumbprint",
]

#: The names the server certificate is valid for: every way a client can spell
#: loopback. ``::1`` is included so that ``--host ::1`` works without a new CA.
SERVER_IDENTITIES: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")

_ORGANIZATION = "pytest-authmock"
_CLIENT_UNIT = "clients"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


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


class TLSMaterial:
    """A test certificate authority plus the loopback server's certificate.

    One instance serves a whole test session. ``directory`` receives ``ca.pem``
    and every client certificate issued; it must be private to this process
    (the fixtures use a pytest temporary directory, ``authmock serve`` the
    ``--certs-dir``).
    """

    def __init__(
        self, directory: str | Path, *, identities: Sequence[str] = SERVER_IDENTITIES
    ) -> None:
        """``identities`` are the names and addresses the server certificate is
        valid for; ``authmock serve`` adds its ``--host`` and ``--issuer`` host."""
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._ca = trustme.CA(
            organization_name=_ORGANIZATION, organization_unit_name="pytest-authmock test CA"
        )
        self._server_cert = self._ca.issue_cert(*identities, common_name="authmock server")
        self.ca_certificate: x509.Certificate = x509.load_pem_x509_certificate(
            self._ca.cert_pem.bytes()
        )
        self._ca_key = serialization.load_pem_private_key(
            self._ca.private_key_pem.bytes(), password=None
        )
        self.ca_pem: Path = self.directory / "ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_pem))
        # A second CA nobody trusts, for "untrusted chain" tests; built on demand.
        self._foreign_ca: trustme.CA | None = None
        self._lock = threading.Lock()
        self._counter = 0

    # -- contexts ---------------------------------------------------------------

    def server_context(
        self,
        *,
        client_auth: str = "none",
        extra_trust: Iterable[x509.Certificate] = (),
    ) -> ssl.SSLContext:
        """A server-side context presenting the loopback certificate.

        ``client_auth`` is ``"none"`` (no certificate requested), ``"optional"``
        (requested, verified when sent, endpoints decide whether they need one)
        or ``"required"`` (the handshake fails without a valid one). Certificates
        in ``extra_trust`` are accepted as their own trust anchors: that is how a
        registered ``self_signed_tls_client_auth`` certificate gets through the
        handshake (RFC 8705 §2.2 leaves chain building out of that method).
        """
        modes = {
            "none": ssl.CERT_NONE,
            "optional": ssl.CERT_OPTIONAL,
            "required": ssl.CERT_REQUIRED,
        }
        if client_auth not in modes:
            raise ValueError(f"client_auth must be one of {sorted(modes)}, not {client_auth!r}")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        self._server_cert.configure_cert(context)
        if client_auth != "none":
            context.verify_mode = modes[client_auth]
            self._ca.configure_trust(context)
            extra = b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in extra_trust)
            if extra:
                context.load_verify_locations(cadata=extra.decode("ascii"))
        return context

    def client_context(self, certificate: ClientCertificate | None = None) -> ssl.SSLContext:
        """A client context trusting the test CA, optionally presenting ``certificate``."""
        if certificate is not None:
            return certificate.ssl_context()
        return ssl.create_default_context(cafile=str(self.ca_pem))

    def is_issued_by_ca(self, certificate: x509.Certificate) -> bool:
        """Whether ``certificate`` carries a valid signature of the test CA."""
        if certificate.issuer != self.ca_certificate.subject:
            return False
        try:
            certificate.verify_directly_issued_by(self.ca_certificate)
        except (ValueError, TypeError, InvalidSignature):
            return False
        return True

    # -- client certificates ----------------------------------------------------

    def issue_client_cert(
        self,
        client_id: str,
        *,
        subject_dn: str | None = None,
        san_dns: Sequence[str] = (),
        expired: bool = False,
        untrusted: bool = False,
        password: str | None = None,
        directory: str | Path | None = None,
    ) -> ClientCertificate:
        """Issue a client certificate for ``client_id`` and write it to disk.

        The subject is ``subject_dn`` (an RFC 4514 string) or, by default,
        ``O=pytest-authmock,OU=clients,CN=<client_id>`` (RFC 4514 order). ``san_dns`` become DNS
        subjectAltNames. ``expired=True`` gives a certificate whose validity ended
        yesterday; ``untrusted=True`` signs it with a CA the server does not trust.
        The PKCS#12 password is random unless ``password`` is given. The files go
        to a fresh folder under :attr:`directory`, or straight into ``directory``
        (as ``<id>.pem``, ``<id>-key.pem``, ``<id>.p12``) when it is given.
        """
        subject = self._subject(client_id, subject_dn)
        if untrusted:
            issuer_cert, issuer_key = self._foreign()
        else:
            issuer_cert, issuer_key = self.ca_certificate, self._ca_key
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        if expired:
            not_before, not_after = (
                now - datetime.timedelta(days=30),
                now - datetime.timedelta(days=1),
            )
        else:
            # A day of slack either way keeps the certificate valid under freezegun
            # and for providers whose clock a test moved.
            not_before, not_after = (
                now - datetime.timedelta(days=1),
                now + datetime.timedelta(days=365),
            )
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    issuer_cert.public_key()  # type: ignore[arg-type]
                ),
                critical=False,
            )
        )
        if san_dns:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(name) for name in san_dns]),
                critical=False,
            )
        certificate = builder.sign(issuer_key, hashes.SHA256())  # type: ignore[arg-type]
        kind = "expired" if expired else "untrusted" if untrusted else "client"
        return self._write(client_id, kind, certificate, key, password, directory)

    def self_signed_client_cert(
        self,
        client_id: str,
        *,
        subject_dn: str | None = None,
        password: str | None = None,
        directory: str | Path | None = None,
    ) -> ClientCertificate:
        """A self-signed certificate for ``self_signed_tls_client_auth`` (RFC 8705 §2.2).

        Register ``cert.certificate`` with the client; the server then accepts it
        in the handshake for as long as the client exists.
        """
        subject = self._subject(client_id, subject_dn)
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
        return self._write(client_id, "self-signed", certificate, key, password, directory)

    # -- internals --------------------------------------------------------------

    def _subject(self, client_id: str, subject_dn: str | None) -> x509.Name:
        if not client_id:
            raise ValueError("client_id must be a non-empty string")
        if subject_dn is None:
            return x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, client_id),
                    x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, _CLIENT_UNIT),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORGANIZATION),
                ]
            )
        try:
            return x509.Name.from_rfc4514_string(subject_dn)
        except ValueError as exc:
            raise ValueError(
                f"subject_dn {subject_dn!r} is not an RFC 4514 distinguished name "
                f"(e.g. 'CN=ci-bot,O=Example'): {exc}"
            ) from None

    def _foreign(self) -> tuple[x509.Certificate, object]:
        with self._lock:
            if self._foreign_ca is None:
                self._foreign_ca = trustme.CA(
                    organization_name="untrusted", organization_unit_name="not the test CA"
                )
            foreign = self._foreign_ca
        cert = x509.load_pem_x509_certificate(foreign.cert_pem.bytes())
        key = serialization.load_pem_private_key(foreign.private_key_pem.bytes(), password=None)
        return cert, key

    def _write(
        self,
        client_id: str,
        kind: str,
        certificate: x509.Certificate,
        key: ec.EllipticCurvePrivateKey,
        password: str | None,
        directory: str | Path | None,
    ) -> ClientCertificate:
        stem = _SAFE_NAME.sub("_", client_id)
        if directory is not None:
            folder = Path(directory)
            folder.mkdir(parents=True, exist_ok=True)
        else:
            with self._lock:
                self._counter += 1
                number = self._counter
            # One folder per certificate: several certificates for one client never
            # overwrite each other, and the file names stay the ones people expect.
            folder = Path(tempfile.mkdtemp(prefix=f"{number:04d}-{kind}-", dir=self.directory))
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
                cas=[self.ca_certificate],
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
            ca_pem=self.ca_pem,
        )
