"""Serving the emulator over TLS with a throwaway self-signed certificate.

msal insists on an https authority, so the Microsoft face is served this way; the Google face
and ``python -m connectors.emulator`` can use it too. The client trusts the certificate file
(e.g. ``OFFICESTREAM_MICROSOFT_CA_BUNDLE``) instead of a real CA.
"""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

from aiohttp import web


def self_signed_tls(directory: Path, host: str = "127.0.0.1") -> tuple[ssl.SSLContext, Path]:
    """A throwaway certificate for ``host`` (and localhost): the server's SSL context and the
    PEM file a client trusts (``OFFICESTREAM_MICROSOFT_CA_BUNDLE``)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "officestream emulator")])
    now = dt.datetime.now(dt.UTC)
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(public)
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), False)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = directory / "emulator-cert.pem", directory / "emulator-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file


async def start_https(app: web.Application, context: ssl.SSLContext, host: str = "127.0.0.1",
                      port: int = 0) -> tuple[web.AppRunner, str]:
    """Like ``server.start`` but over TLS; returns the runner and the https base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=context)
    await site.start()
    return runner, f"https://{host}:{runner.addresses[0][1]}"
