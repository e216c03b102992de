"""The local CA: made once, keys private, certificates that name only ServiceTitan's hosts."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError
from typer.testing import CliRunner

from localtitan import cli
from localtitan.hosts import ca as ca_module
from localtitan.hosts.ca import LocalCA, ensure_ca, rotate_ca, system_ca_file, write_bundle

HOSTS = {
    "auth.servicetitan.io",
    "auth-integration.servicetitan.io",
    "api.servicetitan.io",
    "api-integration.servicetitan.io",
}


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("LOCALTITAN_"):
            monkeypatch.delenv(name)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _server_cert(ca: LocalCA) -> x509.Certificate:
    return x509.load_pem_x509_certificate(ca.server_cert_path.read_bytes())


def _verifier_for(ca: LocalCA, name: str, now: dt.datetime | None = None) -> object:
    builder = PolicyBuilder().store(Store([ca.certificate()]))
    if now is not None:
        builder = builder.time(now)
    return builder.build_server_verifier(x509.DNSName(name))


def _verify(ca: LocalCA, leaf: x509.Certificate, name: str) -> None:
    verifier = _verifier_for(ca, name)
    verifier.verify(leaf, [])  # type: ignore[attr-defined]


def test_first_use_makes_a_ca_with_private_keys_readable_by_the_owner_only(
    tmp_path: Path,
) -> None:
    ca = ensure_ca(tmp_path)
    assert ca.directory == tmp_path / "ca"
    assert _mode(ca.directory) == 0o700
    assert _mode(ca.key_path) == 0o600
    assert _mode(ca.server_key_path) == 0o600
    assert _mode(ca.cert_path) == 0o644
    cert = ca.certificate()
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    assert "localtitan" in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    # Made once: a second use keeps the same CA and server certificate.
    fingerprint, serial = ca.fingerprint(), _server_cert(ca).serial_number
    again = ensure_ca(tmp_path)
    assert again.fingerprint() == fingerprint
    assert _server_cert(again).serial_number == serial


def test_the_server_certificate_names_the_four_hosts_localhost_and_127_0_0_1_only(
    tmp_path: Path,
) -> None:
    ca = ensure_ca(tmp_path)
    leaf = _server_cert(ca)
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(sans.get_values_for_type(x509.DNSName)) == HOSTS | {"localhost"}
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc <= dt.timedelta(days=398)
    for host in HOSTS:
        _verify(ca, leaf, host)
    with pytest.raises(VerificationError):
        _verify(ca, leaf, "example.com")


def test_the_ca_cannot_vouch_for_any_other_host_even_with_its_key(tmp_path: Path) -> None:
    """Name constraints: a certificate for another site, signed with the CA's own key,
    is rejected, so a leaked key cannot be used to impersonate the rest of the web."""
    ca = ensure_ca(tmp_path)
    ca_key = serialization.load_pem_private_key(ca.key_path.read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    rogue = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "www.example.com")]))
        .issuer_name(ca.certificate().subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("www.example.com")]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    with pytest.raises(VerificationError):
        _verify(ca, rogue, "www.example.com")


def test_rotation_replaces_the_ca_and_the_old_one_no_longer_verifies(tmp_path: Path) -> None:
    old = ensure_ca(tmp_path)
    old_cert = old.certificate()
    old_fingerprint = old.fingerprint()
    new = rotate_ca(tmp_path)
    assert new.fingerprint() != old_fingerprint
    assert _mode(new.key_path) == 0o600
    leaf = _server_cert(new)
    _verify(new, leaf, "api-integration.servicetitan.io")
    verifier = (
        PolicyBuilder()
        .store(Store([old_cert]))
        .build_server_verifier(x509.DNSName("api-integration.servicetitan.io"))
    )
    with pytest.raises(VerificationError):
        verifier.verify(leaf, [])


def test_a_server_certificate_near_its_end_is_renewed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = ensure_ca(tmp_path)
    before = _server_cert(ca)
    later = before.not_valid_after_utc - dt.timedelta(days=10)
    monkeypatch.setattr(ca_module, "_now", lambda: later)
    ensure_ca(tmp_path)
    after = _server_cert(ca)
    assert after.serial_number != before.serial_number
    assert after.not_valid_after_utc > before.not_valid_after_utc
    assert ca.fingerprint() == LocalCA(tmp_path / "ca").fingerprint()  # the CA stays


def test_the_bundle_holds_the_system_cas_and_ours_but_no_key(tmp_path: Path) -> None:
    ca = ensure_ca(tmp_path)
    path = write_bundle(ca)
    text = path.read_text()
    ours = ca.cert_path.read_text()
    assert ours in text
    assert "PRIVATE KEY" not in text
    system = system_ca_file()
    assert system is not None
    assert text.count("BEGIN CERTIFICATE") == system.read_text().count("BEGIN CERTIFICATE") + 1


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli.app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_ca_commands_print_paths_and_never_the_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, out, err = _cli("ca", "path", "--data-dir", str(data))
    assert code == 0, err
    path = Path(out.strip())
    assert path == (data / "ca" / "ca.pem").resolve()
    assert path.read_text().startswith("-----BEGIN CERTIFICATE-----")

    target = tmp_path / "elsewhere" / "trust.pem"
    code, out, err = _cli("ca", "bundle", "--data-dir", str(data), "-o", str(target))
    assert code == 0, err
    assert Path(out.strip()) == target.resolve()
    assert path.read_text() in target.read_text()

    before = LocalCA(data / "ca").fingerprint()
    code, out, err = _cli("ca", "rotate", "--data-dir", str(data))
    assert code == 0, err
    after = LocalCA(data / "ca").fingerprint()
    assert after != before
    assert Path(out.strip()) == path
    assert after in " ".join(err.split())
    assert "Restart" in err
    key = (data / "ca" / "ca.key").read_text()
    for shown in (out, err):
        assert "PRIVATE KEY" not in shown
        assert key.splitlines()[1] not in shown
