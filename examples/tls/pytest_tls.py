"""The TLS example, with a certificate for 127.0.0.1 made here (with the
cryptography package, in PEM for CPython and DER for MicroPython) that the
client trusts: a verified connection carrying several requests; without
its certificate the app says what is missing."""
import datetime
import http.client
import ipaddress
import shutil
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def make_certificate(folder):
    """A self-signed certificate for 127.0.0.1 and its key, in both
    forms, in `folder`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, '127.0.0.1')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                           True)
            .sign(key, hashes.SHA256()))
    for encoding, form in ((serialization.Encoding.PEM, 'pem'),
                           (serialization.Encoding.DER, 'der')):
        (folder / ('cert.' + form)).write_bytes(cert.public_bytes(encoding))
        (folder / ('key.' + form)).write_bytes(key.private_bytes(
            encoding, serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption()))


@pytest.fixture(scope='module')
def server(serve, example_dir):
    make_certificate(example_dir)
    with serve(example_dir, ssl=True) as url:
        yield url


@pytest.fixture(scope='module')
def client_context(example_dir):
    """Trusts the example's certificate alone, and checks the name in it."""
    return ssl.create_default_context(cafile=str(example_dir / 'cert.pem'))


def test_requests_over_one_verified_connection(server, client_context):
    assert server.startswith('https://127.0.0.1:')
    conn = http.client.HTTPSConnection(server.partition('://')[2],
                                       timeout=10, context=client_context)
    try:
        for _ in range(3):
            conn.request('GET', '/')
            response = conn.getresponse()
            assert (response.status, response.read()) == \
                (200, b'Hello over https!')
        assert conn.sock.version() in ('TLSv1.2', 'TLSv1.3')
    finally:
        conn.close()


def test_missing_certificate(serve, example_dir, tmp_path):
    folder = tmp_path / 'tls'
    folder.mkdir()
    shutil.copy(example_dir / 'main.py', folder)
    with pytest.raises(AssertionError, match='cannot load cert\\.(pem|der) '
                       'and key\\.(pem|der) .*: make them as main\\.py says'):
        with serve(folder, ssl=True):
            pass
