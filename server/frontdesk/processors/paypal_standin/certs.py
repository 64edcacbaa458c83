"""The stand-in's signing certificate: a self-signed root it serves at /standin/root.pem and a
certificate issued by it for PayPal's signing name, as PayPal's own is issued by a public CA."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Self

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from frontdesk.processors.paypal_webhooks import SIGNER

ROOT_YEARS, SIGNER_DAYS = 10, 365


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _cert(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def issue(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: tuple[str, rsa.RSAPrivateKey] | None,
    now: datetime,
) -> x509.Certificate:
    """A root (no `issuer`: it signs itself) or a signing certificate for `subject`."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name, issuer_key = issuer or (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    )
    if issuer is None:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = (
            builder.not_valid_after(now + timedelta(days=365 * ROOT_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
            .add_extension(usage, True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        )
    else:
        builder = (
            builder.not_valid_after(now + timedelta(days=SIGNER_DAYS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        )
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass(frozen=True)
class Signer:
    """The keys and certificates one stand-in signs with, kept in its state file."""

    cert_id: str
    root: str  # PEM
    cert: str  # PEM: the signing certificate, then the root, as a chain is served
    key: str  # PEM, the signing certificate's private key

    @classmethod
    def new(cls, now: datetime) -> Self:
        root_key, key = _key(), _key()
        root_name = "Frontdesk PayPal stand-in root"
        root = issue(root_name, root_key, None, now)
        cert = issue(SIGNER, key, (root_name, root_key), now)
        cert_id = f"CERT-{secrets.token_hex(4)}-{secrets.token_hex(4)}-{secrets.token_hex(4)}"
        return cls(cert_id, _cert(root), _cert(cert) + _cert(root), _pem(key))

    @classmethod
    def from_json(cls, saved: dict[str, Any]) -> Self:
        return cls(**saved)

    def sign(self, message: bytes) -> str:
        key = serialization.load_pem_private_key(self.key.encode(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()

    def expires(self) -> datetime:
        return x509.load_pem_x509_certificates(self.cert.encode())[0].not_valid_after_utc
