"""Real SMTP servers on 127.0.0.1 for the smtp_server tests: aiosmtpd with STARTTLS and AUTH, a plain one,
one with a certificate for the wrong name, implicit TLS, and raw sockets that stay silent or refuse service.

Certificates are minted per run with ``cryptography``: a test CA, and server certificates signed by it.
Every listener binds 127.0.0.1 on a port the kernel picks, and is stopped when its block ends.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import socket
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

USER = "mailer@shop.test"
PASSWORD = "Pw-7f3a9c1e55b04d2e"  # searched for in every output: it must never appear
SERVER_HOSTNAME = "mail.shop.test"  # what the servers greet with; no name lookup is ever made


# --- certificates -------------------------------------------------------------------------------

def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(key, path):
    with open(path, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))


def _write_cert(cert, path):
    with open(path, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))


class MintedCA(object):
    """A CA made for one test run; ``ca_file`` is what the client trusts."""

    def __init__(self, directory):
        self.directory = str(directory)
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (x509.CertificateBuilder()
                     .subject_name(_name("golive test CA")).issuer_name(_name("golive test CA"))
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(hours=1))
                     .not_valid_after(now + datetime.timedelta(days=30))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                  content_commitment=False, key_encipherment=False,
                                                  data_encipherment=False, key_agreement=False,
                                                  encipher_only=False, decipher_only=False), critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.ca_file = os.path.join(self.directory, "ca.pem")
        _write_cert(self.cert, self.ca_file)

    def server_context(self, dns_name, for_loopback_address=True):
        """A server SSLContext presenting a certificate for ``dns_name`` (and 127.0.0.1) signed by this CA."""
        names = [x509.DNSName(dns_name)]
        if for_loopback_address:
            names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder()
                .subject_name(_name(dns_name)).issuer_name(self.cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=10))
                .add_extension(x509.SubjectAlternativeName(names), critical=False)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .sign(self.key, hashes.SHA256()))
        stem = os.path.join(self.directory, dns_name)
        _write_cert(cert, stem + ".crt")
        _write_key(key, stem + ".key")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(stem + ".crt", stem + ".key")
        return context


# --- aiosmtpd servers ---------------------------------------------------------------------------

def accept_one_user(server, session, envelope, mechanism, auth_data):
    """aiosmtpd authenticator: USER with PASSWORD, by PLAIN or LOGIN; anything else is refused."""
    ok = (mechanism in ("PLAIN", "LOGIN") and auth_data.login == USER.encode()
          and auth_data.password == PASSWORD.encode())
    return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself


class RecordingHandler(object):
    """Remembers every command that would deliver mail: the check must never send any."""

    def __init__(self):
        self.mail_commands = []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.mail_commands.append(("MAIL", address))
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.mail_commands.append(("DATA", len(envelope.content or b"")))
        return "250 OK"


class _LoopbackController(Controller):
    """aiosmtpd Controller on a socket bound to 127.0.0.1 port 0 beforehand: no port race."""

    def __init__(self, handler, **kwargs):
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        port = self._listener.getsockname()[1]
        Controller.__init__(self, handler, hostname="127.0.0.1", port=port,
                            server_hostname=SERVER_HOSTNAME, **kwargs)

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._listener, ssl=self.ssl_context)


@contextlib.contextmanager
def aiosmtpd_server(tls_context=None, implicit_tls=None, authenticator=None):
    """An aiosmtpd server; yields (port, handler).

    ``tls_context`` offers STARTTLS; ``implicit_tls`` speaks TLS from the first byte (port 465 style);
    ``authenticator`` enables AUTH, which aiosmtpd only allows over TLS (its default, kept).
    """
    handler = RecordingHandler()
    kwargs = {}
    if tls_context is not None:
        kwargs["tls_context"] = tls_context
    if authenticator is not None:
        kwargs["authenticator"] = authenticator
    controller = _LoopbackController(handler, ssl_context=implicit_tls, **kwargs)
    controller.start()
    try:
        yield controller.port, handler
    finally:
        controller.stop()


# --- raw sockets --------------------------------------------------------------------------------

def _converse(conn, greeting, replies):
    """Send the greeting, then answer each line received with the next scripted reply."""
    try:
        if greeting:
            conn.sendall(greeting)
        reader = conn.makefile("rb")
        for reply in replies:
            if not reader.readline():
                return
            conn.sendall(reply)
    except OSError:
        pass


@contextlib.contextmanager
def raw_server(greeting=None, replies=()):
    """A TCP listener that sends ``greeting`` (bytes) or nothing at all, then answers each line it
    receives with the next of ``replies``, then goes silent. Yields the port.

    Connections are held open until the block ends.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()
    held = []

    def serve():
        while not stop.is_set():
            try:
                conn = listener.accept()[0]
            except (socket.timeout, OSError):
                continue
            held.append(conn)
            threading.Thread(target=_converse, args=(conn, greeting, list(replies)), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        listener.close()
