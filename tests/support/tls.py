"""A throwaway certificate authority for serving the sandbox over HTTPS on 127.0.0.1.

``alibabacloud-credentials`` calls STS AssumeRole over HTTPS only and verifies the
certificate against OpenSSL's default paths plus certifi. The one knob it honours is
OpenSSL's ``SSL_CERT_FILE``, so tests point that at this CA (the bot's own client reads
the same variable, see ``bot.cloud.cloud_tls_context``).

``test_ca``        one CA for the whole run (Tea caches a TLS session per host and port,
                   so every test must trust the same file), with ``SSL_CERT_FILE`` set
``tls_sandbox``    a fresh demo sandbox serving HTTPS with a certificate from it
``rogue_server_context()``  a server certificate from a CA nobody trusts
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from commands.sandbox import Sandbox, demo_world


@dataclass(frozen=True)
class LocalCA:
    """A CA certificate file and a server context for 127.0.0.1 signed by it."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(directory: Path, label: str = "Offboard test CA") -> LocalCA:
    """A new CA in ``directory`` and a server certificate for 127.0.0.1 it signed."""
    now = dt.datetime.now(dt.UTC)
    valid = {"not_valid_before": now - dt.timedelta(hours=1)}
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder(**valid, not_valid_after=now + dt.timedelta(days=1))
        .subject_name(_name(label))
        .issuer_name(_name(label))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder(**valid, not_valid_after=now + dt.timedelta(days=1))
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    files = LocalCA(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    files.ca_file.write_bytes(ca.public_bytes(pem))
    files.cert_file.write_bytes(cert.public_bytes(pem))
    files.key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return files


@pytest.fixture(scope="session")
def _session_ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return make_ca(tmp_path_factory.mktemp("test-ca"))


@pytest.fixture
def test_ca(_session_ca: LocalCA, monkeypatch: pytest.MonkeyPatch) -> LocalCA:
    monkeypatch.setenv("SSL_CERT_FILE", str(_session_ca.ca_file))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return _session_ca


@pytest.fixture
def tls_sandbox(test_ca: LocalCA) -> Iterator[Sandbox]:
    box = Sandbox(demo_world())
    box.start(tls=test_ca.server_context())
    try:
        yield box
    finally:
        box.stop()


def rogue_server_context(directory: Path) -> ssl.SSLContext:
    """A server context whose certificate no test trusts."""
    return make_ca(directory, "Rogue CA").server_context()
