"""The local certificate authority that lets clients trust localtitan for ServiceTitan's hosts.

Everything lives in ``<data-dir>/ca/``: the CA certificate (``ca.pem``, safe to share), its
key (``ca.key``, mode 0600, never printed or copied anywhere), and the server certificate and
key the HTTPS port and the proxy present. The CA carries name constraints, so even a stolen
key could not vouch for any host but the four ServiceTitan names, ``localhost`` and
``127.0.0.1``; the server certificate names exactly those.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import ipaddress
import os
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from localtitan.hosts.names import LOOPBACK_IP, LOOPBACK_NAME, SERVED_HOSTS

__all__ = [
    "CA_DIR",
    "LocalCA",
    "ensure_ca",
    "rotate_ca",
    "server_ssl_context",
    "system_ca_file",
    "write_bundle",
]

CA_DIR = "ca"
CA_YEARS = 10
# Browsers and Apple's TLS stack refuse server certificates valid for longer than 398 days.
SERVER_DAYS = 397
RENEW_BEFORE = dt.timedelta(days=30)
CERT_NAMES: tuple[str, ...] = (*SERVED_HOSTS, LOOPBACK_NAME)


@dataclass(frozen=True)
class LocalCA:
    """The files of one data dir's CA (all made by :func:`ensure_ca`)."""

    directory: Path

    @property
    def cert_path(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def key_path(self) -> Path:
        return self.directory / "ca.key"

    @property
    def server_cert_path(self) -> Path:
        return self.directory / "server.pem"

    @property
    def server_key_path(self) -> Path:
        return self.directory / "server.key"

    @property
    def bundle_path(self) -> Path:
        return self.directory / "bundle.pem"

    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_path.read_bytes())

    def fingerprint(self) -> str:
        """SHA-256 of the CA certificate, as ``AB:CD:...`` (what browsers and openssl show)."""
        digest = hashlib.sha256(self.certificate().public_bytes(serialization.Encoding.DER))
        return ":".join(f"{b:02X}" for b in digest.digest())


def ensure_ca(data_dir: Path) -> LocalCA:
    """The data dir's CA, made on first use; the server certificate renewed when due."""
    ca = LocalCA(data_dir / CA_DIR)
    with _locked(ca):
        if not (ca.cert_path.exists() and ca.key_path.exists()):
            _new_ca(ca)
        if _server_cert_due(ca):
            _new_server_cert(ca)
    return ca


def rotate_ca(data_dir: Path) -> LocalCA:
    """Replace the CA and the server certificate; clients must trust the new CA afterwards."""
    ca = LocalCA(data_dir / CA_DIR)
    with _locked(ca):
        _new_ca(ca)
        _new_server_cert(ca)
        ca.bundle_path.unlink(missing_ok=True)
    return ca


def system_ca_file() -> Path | None:
    """The system's bundle of trusted CAs (OpenSSL's default), else certifi's if installed."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with httpx
        return None
    return Path(certifi.where())


def write_bundle(ca: LocalCA, dest: Path | None = None) -> Path:
    """Write the system's CAs plus this one, for clients that replace their trust store."""
    path = dest or ca.bundle_path
    parts: list[bytes] = []
    system = system_ca_file()
    if system is not None:
        parts.append(system.read_bytes().rstrip(b"\n") + b"\n")
    parts.append(b"# localtitan local CA\n" + ca.cert_path.read_bytes())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(b"".join(parts))
    os.chmod(tmp, 0o644)
    tmp.replace(path)
    return path


def server_ssl_context(ca: LocalCA) -> ssl.SSLContext:
    """What the HTTPS port and the proxy present: the server certificate, HTTP/1.1 only."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(ca.server_cert_path, ca.server_key_path)
    context.set_alpn_protocols(["http/1.1"])
    return context


# ---------------------------------------------------------------- making certificates


@contextlib.contextmanager
def _locked(ca: LocalCA) -> Iterator[None]:
    """One process at a time makes certificates (the server and ``localtitan run`` may race)."""
    ca.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    with (ca.directory / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, mode)  # the umask may have taken bits off
    tmp.replace(path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _permitted() -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in CERT_NAMES]
    names.append(x509.IPAddress(ipaddress.ip_network(f"{LOOPBACK_IP}/32")))
    return names


def _new_ca(ca: LocalCA) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    stamp = now.strftime("%Y-%m-%d %H:%M:%S UTC")
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "localtitan"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"localtitan local CA ({stamp})"),
        ]
    )
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.NameConstraints(permitted_subtrees=_permitted(), excluded_subtrees=None),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    # The key first: a certificate without its key is useless, a key without one is redone.
    _write(ca.key_path, _key_pem(key), 0o600)
    _write(ca.cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)


def _server_cert_due(ca: LocalCA) -> bool:
    if not (ca.server_cert_path.exists() and ca.server_key_path.exists()):
        return True
    try:
        cert = x509.load_pem_x509_certificate(ca.server_cert_path.read_bytes())
        issuer = ca.certificate()
    except ValueError:
        return True
    if cert.issuer != issuer.subject or cert.not_valid_after_utc - RENEW_BEFORE < _now():
        return True
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return True
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return sorted(sans.get_values_for_type(x509.DNSName)) != sorted(CERT_NAMES)


def _new_server_cert(ca: LocalCA) -> None:
    ca_key = serialization.load_pem_private_key(ca.key_path.read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    issuer = ca.certificate()
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    now = _now()
    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in CERT_NAMES]
    sans.append(x509.IPAddress(ipaddress.ip_address(LOOPBACK_IP)))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVED_HOSTS[0])]))
        .issuer_name(issuer.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(min(now + dt.timedelta(days=SERVER_DAYS), issuer.not_valid_after_utc))
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
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write(ca.server_key_path, _key_pem(key), 0o600)
    _write(ca.server_cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
