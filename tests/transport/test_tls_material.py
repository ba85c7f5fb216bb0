"""TLS material: the CA, client certificates in every form, and the negative cases."""

from __future__ import annotations

import base64
import datetime
import hashlib
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID

from pytest_authmock.transport.tls import SERVER_IDENTITIES, TLSMaterial, certificate_thumbprint


def test_ca_pem_is_written_and_loads(tls_material: TLSMaterial) -> None:
    loaded = x509.load_pem_x509_certificate(tls_material.ca_pem.read_bytes())
    assert loaded == tls_material.ca_certificate
    basic = loaded.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert basic.ca


def test_client_cert_files_pem_and_pkcs12(tls_material: TLSMaterial) -> None:
    cert = tls_material.issue_client_cert("ci-bot", password="p12-pass")
    assert cert.cert_pem.name == "ci-bot.pem"
    assert cert.key_pem.name == "ci-bot-key.pem"
    assert cert.p12.name == "ci-bot.p12"
    assert cert.key_pem.stat().st_mode & 0o077 == 0
    assert x509.load_pem_x509_certificate(cert.cert_pem.read_bytes()) == cert.certificate
    key, p12_cert, cas = pkcs12.load_key_and_certificates(cert.p12.read_bytes(), b"p12-pass")
    assert p12_cert == cert.certificate
    assert cas == [tls_material.ca_certificate]
    assert key is not None
    with pytest.raises(ValueError, match=r"(?i)invalid password|mac"):
        pkcs12.load_key_and_certificates(cert.p12.read_bytes(), b"wrong")
    assert tls_material.is_issued_by_ca(cert.certificate)
    eku = cert.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]


def test_default_subject_and_custom_subject_and_san(tls_material: TLSMaterial) -> None:
    default = tls_material.issue_client_cert("ci-bot")
    assert default.subject_dn == "O=pytest-authmock,OU=clients,CN=ci-bot"
    assert default.san_dns == []
    custom = tls_material.issue_client_cert(
        "svc", subject_dn="CN=svc,O=Example Corp,C=DE", san_dns=["svc.example.com"]
    )
    assert custom.certificate.subject == x509.Name.from_rfc4514_string("CN=svc,O=Example Corp,C=DE")
    assert custom.san_dns == ["svc.example.com"]


def test_random_p12_password_is_never_in_repr(tls_material: TLSMaterial) -> None:
    cert = tls_material.issue_client_cert("ci-bot")
    assert len(cert.p12_password) >= 12
    assert cert.p12_password not in repr(cert)
    pkcs12.load_key_and_certificates(cert.p12.read_bytes(), cert.p12_password.encode())


def test_two_certificates_for_one_client_do_not_overwrite(tls_material: TLSMaterial) -> None:
    first = tls_material.issue_client_cert("same")
    second = tls_material.issue_client_cert("same")
    assert first.cert_pem != second.cert_pem
    assert first.cert_pem.read_bytes() != second.cert_pem.read_bytes()


def test_explicit_directory_uses_serve_layout(tls_material: TLSMaterial, tmp_path: object) -> None:
    from pathlib import Path

    target = Path(str(tmp_path))
    cert = tls_material.issue_client_cert("weird id/x", directory=target)
    assert sorted(p.name for p in target.iterdir()) == [
        "weird_id_x-key.pem",
        "weird_id_x.p12",
        "weird_id_x.pem",
    ]
    assert cert.client_id == "weird id/x"


def test_expired_certificate(tls_material: TLSMaterial) -> None:
    cert = tls_material.issue_client_cert("old", expired=True)
    assert cert.certificate.not_valid_after_utc < datetime.datetime.now(datetime.timezone.utc)
    assert tls_material.is_issued_by_ca(cert.certificate)


def test_untrusted_certificate_has_a_foreign_issuer(tls_material: TLSMaterial) -> None:
    cert = tls_material.issue_client_cert("rogue", untrusted=True)
    assert not tls_material.is_issued_by_ca(cert.certificate)
    assert cert.certificate.issuer != tls_material.ca_certificate.subject


def test_self_signed_certificate(tls_material: TLSMaterial) -> None:
    cert = tls_material.self_signed_client_cert("solo")
    assert cert.certificate.issuer == cert.certificate.subject
    cert.certificate.verify_directly_issued_by(cert.certificate)
    assert not tls_material.is_issued_by_ca(cert.certificate)


def test_thumbprint_is_rfc8705_x5t_s256(tls_material: TLSMaterial) -> None:
    cert = tls_material.issue_client_cert("ci-bot")
    der = cert.certificate.public_bytes(serialization.Encoding.DER)
    expected = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
    assert cert.thumbprint == expected == certificate_thumbprint(cert.certificate)
    assert "=" not in cert.thumbprint


def test_bad_subject_dn_names_the_problem(tls_material: TLSMaterial) -> None:
    with pytest.raises(ValueError, match="is not an RFC 4514 distinguished name"):
        tls_material.issue_client_cert("x", subject_dn="no equals sign")
    with pytest.raises(ValueError, match="client_id must be a non-empty string"):
        tls_material.issue_client_cert("")


def test_server_context_modes(tls_material: TLSMaterial) -> None:
    assert tls_material.server_context().verify_mode == ssl.CERT_NONE
    assert tls_material.server_context(client_auth="optional").verify_mode == ssl.CERT_OPTIONAL
    assert tls_material.server_context(client_auth="required").verify_mode == ssl.CERT_REQUIRED
    with pytest.raises(ValueError, match="client_auth must be one of"):
        tls_material.server_context(client_auth="sometimes")


def test_server_certificate_names_every_loopback_spelling(tls_material: TLSMaterial) -> None:
    assert SERVER_IDENTITIES == ("127.0.0.1", "localhost", "::1")
    context = tls_material.client_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
