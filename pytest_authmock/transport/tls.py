"""TLS material for the loopback server: a test CA, the server certificate and
client certificates.

The CA and the server certificate come from `trustme`; client certificates
(:mod:`.certificates`) from `cryptography`. Nothing touches the system trust
store: a client trusts the fake provider only through :attr:`TLSMaterial.ca_pem`
or :meth:`TLSMaterial.client_context`.

Key generation is the expensive part, so :class:`TLSMaterial` is built once per
test session (per xdist worker).
"""

from __future__ import annotations

import ssl
import tempfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes

from pytest_authmock.transport.certificates import (
    ORGANIZATION,
    ClientCertificate,
    certificate_thumbprint,
    load_issuer_key,
    sign_client_certificate,
    sign_self_signed,
    subject_name,
    write_client_certificate,
)

__all__ = [
    "SERVER_IDENTITIES",
    "ClientCertificate",
    "TLSMaterial",
    "certificate_thumbprint",
]

#: The names the server certificate is valid for: every way a client can spell
#: loopback. ``::1`` is included so that ``--host ::1`` works without a new CA.
SERVER_IDENTITIES: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")


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
            organization_name=ORGANIZATION, organization_unit_name="pytest-authmock test CA"
        )
        self._server_cert = self._ca.issue_cert(*identities, common_name="authmock server")
        self.ca_certificate: x509.Certificate = x509.load_pem_x509_certificate(
            self._ca.cert_pem.bytes()
        )
        self._ca_key = load_issuer_key(self._ca.private_key_pem.bytes())
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
        subject = subject_name(client_id, subject_dn)
        if untrusted:
            issuer, issuer_key = self._foreign()
        else:
            issuer, issuer_key = self.ca_certificate, self._ca_key
        certificate, key = sign_client_certificate(
            subject, issuer, issuer_key, expired=expired, san_dns=list(san_dns)
        )
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
        certificate, key = sign_self_signed(subject_name(client_id, subject_dn))
        return self._write(client_id, "self-signed", certificate, key, password, directory)

    # -- internals --------------------------------------------------------------

    def _foreign(self) -> tuple[x509.Certificate, CertificateIssuerPrivateKeyTypes]:
        with self._lock:
            if self._foreign_ca is None:
                self._foreign_ca = trustme.CA(
                    organization_name="untrusted", organization_unit_name="not the test CA"
                )
            foreign = self._foreign_ca
        cert = x509.load_pem_x509_certificate(foreign.cert_pem.bytes())
        return cert, load_issuer_key(foreign.private_key_pem.bytes())

    def _write(
        self,
        client_id: str,
        kind: str,
        certificate: x509.Certificate,
        key: ec.EllipticCurvePrivateKey,
        password: str | None,
        directory: str | Path | None,
    ) -> ClientCertificate:
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
        return write_client_certificate(
            client_id,
            certificate,
            key,
            folder=folder,
            password=password,
            ca_certificate=self.ca_certificate,
            ca_pem=self.ca_pem,
        )
