"""Certificates minted for the tests, and real TLS servers on 127.0.0.1 that present them.

A test PKI (root CA -> intermediate -> leaves) made with cryptography; TLS servers are threads
around a listening socket and ``ssl.SSLContext.wrap_socket``; a silent server accepts and never
answers; a STARTTLS SMTP server is aiosmtpd's. Nothing here talks to anything but 127.0.0.1.
Free of pytest so the benchmarks can use it too.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import socket
import ssl
import tempfile
import threading
import warnings

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ._ports import unused_port

LOOPBACK = "127.0.0.1"
NAME = "app.golive.test"


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def rsa_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "golive test"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


class Issued(object):
    """A certificate and its private key."""

    def __init__(self, cert, key):
        self.cert = cert
        self.key = key

    def pem(self):
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self):
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())


def issue(common_name, issuer=None, key=None, ca=False, sans=(NAME, LOOPBACK), valid_from_days=-30,
          valid_days=90, digest=None):
    """A certificate for ``common_name`` signed by ``issuer`` (an Issued), or self-signed when None."""
    key = key or ec_key()
    signer_key = issuer.key if issuer else key
    issuer_name = issuer.cert.subject if issuer else _name(common_name)
    start = now() + datetime.timedelta(days=valid_from_days)
    builder = (x509.CertificateBuilder()
               .subject_name(_name(common_name))
               .issuer_name(issuer_name)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(start)
               .not_valid_after(start + datetime.timedelta(days=valid_days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()),
                              critical=False))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True)
    else:
        names = []
        for san in sans:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(san)))
            except ValueError:
                names.append(x509.DNSName(san))
        builder = (builder
                   .add_extension(x509.SubjectAlternativeName(names), critical=False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
    return Issued(builder.sign(signer_key, digest or hashes.SHA256()), key)


# AlgorithmIdentifier OIDs (DER) of sha256WithRSAEncryption and sha1WithRSAEncryption: same length.
_SHA256_RSA = bytes.fromhex("06092a864886f70d01010b")
_SHA1_RSA = bytes.fromhex("06092a864886f70d010105")


def _der(tag, content):
    size = len(content)
    if size < 0x80:
        length = bytes([size])
    else:
        octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(octets)]) + octets
    return bytes([tag]) + length + content


def resign_with_sha1(issued, issuer):
    """The certificate re-signed by an RSA ``issuer`` with SHA-1.

    cryptography no longer signs certificates with SHA-1, so the SHA-256 certificate's to-be-signed
    part gets the SHA-1 algorithm identifier (same length) and is signed with the RSA primitive.
    """
    tbs = issued.cert.tbs_certificate_bytes
    assert tbs.count(_SHA256_RSA) == 1, "the issuer must be an RSA key"
    tbs = tbs.replace(_SHA256_RSA, _SHA1_RSA)
    signature = issuer.key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    algorithm = _der(0x30, _SHA1_RSA + b"\x05\x00")
    der = _der(0x30, tbs + algorithm + _der(0x03, b"\x00" + signature))
    return Issued(x509.load_der_x509_certificate(der), issued.key)


class MintedPKI(object):
    """A root and an intermediate CA, and the leaves the tests need, minted once."""

    def __init__(self):
        self.root = issue("golive test root", ca=True, valid_from_days=-365, valid_days=3650)
        # RSA, so that it can also sign the SHA-1 leaf (see resign_with_sha1).
        self.intermediate = issue("golive test intermediate", issuer=self.root, key=rsa_key(2048), ca=True,
                                  valid_from_days=-365, valid_days=1825)
        self._leaves = {}

    LEAVES = dict(
        valid=dict(),
        rsa=dict(key=lambda: rsa_key(2048)),
        expiring=dict(valid_from_days=-80, valid_days=90),  # 10 days left
        expired=dict(valid_from_days=-100, valid_days=90),
        not_yet_valid=dict(valid_from_days=5, valid_days=90),
        wrong_host=dict(sans=("other.golive.test",)),
        wildcard=dict(sans=("*.golive.test",)),
        weak_key=dict(key=lambda: rsa_key(1024)),
        sha1=dict(digest="sha1"),
    )

    def leaf(self, kind):
        """The leaf of a kind of LEAVES (issued by the intermediate), or 'self_signed'."""
        if kind not in self._leaves:
            if kind == "self_signed":
                self._leaves[kind] = issue(NAME, sans=(NAME, LOOPBACK))
            else:
                options = dict(self.LEAVES[kind])
                if "key" in options:
                    options["key"] = options["key"]()
                sha1 = options.pop("digest", None) == "sha1"
                leaf = issue(NAME, issuer=self.intermediate, **options)
                self._leaves[kind] = resign_with_sha1(leaf, self.intermediate) if sha1 else leaf
        return self._leaves[kind]

    def served_chain(self, kind, with_intermediate=True):
        """The certificates a server of this leaf presents, leaf first."""
        leaf = self.leaf(kind)
        if kind == "self_signed" or not with_intermediate:
            return [leaf]
        return [leaf, self.intermediate]

    def write_ca(self, directory):
        path = os.path.join(directory, "root.pem")
        with open(path, "wb") as handle:
            handle.write(self.root.pem())
        return path

    def write_bundle(self, directory, kind, with_intermediate=True, name=None):
        path = os.path.join(directory, name or f"{kind}.pem")
        with open(path, "wb") as handle:
            for issued in self.served_chain(kind, with_intermediate):
                handle.write(issued.pem())
        return path


def _listener():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, 0))
    sock.listen(64)
    sock.settimeout(0.2)
    return sock


def server_context(chain, key, weak=False, min_version=None):
    """A server SSLContext presenting ``chain`` (Issued objects, leaf first)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if weak:
        # OpenSSL 3 refuses SHA-1 or 1024-bit certificates and TLS 1.0 at the default security level.
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    if min_version is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = min_version
    workdir = tempfile.mkdtemp(prefix="golive-tls-")
    try:
        certfile = os.path.join(workdir, "chain.pem")
        keyfile = os.path.join(workdir, "key.pem")
        with open(certfile, "wb") as handle:
            for issued in chain:
                handle.write(issued.pem())
        with open(keyfile, "wb") as handle:
            handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        context.load_cert_chain(certfile, keyfile)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return context


class _ThreadedServer(object):
    """Accepts connections on a free loopback port in a thread; each connection is served in its own."""

    def __init__(self):
        self.sock = _listener()
        self.port = self.sock.getsockname()[1]
        self.host = LOOPBACK
        self.stopping = threading.Event()
        self.connections = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _accept(self):
        while not self.stopping.is_set():
            try:
                conn = self.sock.accept()[0]
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._serve_quietly, args=(conn,), daemon=True).start()

    def _serve_quietly(self, conn):
        try:
            self.serve(conn)
        except (OSError, ValueError):
            pass  # a client hanging up mid-handshake is the client's business
        finally:
            conn.close()

    def serve(self, conn):
        raise NotImplementedError

    def stop(self):
        self.stopping.set()
        self.sock.close()
        self.thread.join(5)
        for conn in self.connections:
            try:
                conn.close()
            except OSError:
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class TLSServer(_ThreadedServer):
    """Completes TLS handshakes with ``context``, then waits for the client to hang up."""

    def __init__(self, context):
        super(TLSServer, self).__init__()
        self.context = context
        self.handshakes = 0

    def serve(self, conn):
        conn.settimeout(5)
        with self.context.wrap_socket(conn, server_side=True) as tls:
            self.handshakes += 1
            while tls.recv(1024):
                pass


class SilentServer(_ThreadedServer):
    """Accepts connections and never says a word."""

    def serve(self, conn):
        self.stopping.wait()


def tls_server(pki, kind, with_intermediate=True, weak=False, min_version=None):
    """A started TLSServer presenting the PKI's leaf of ``kind``."""
    chain = pki.served_chain(kind, with_intermediate)
    weak = weak or kind in ("sha1", "weak_key")
    return TLSServer(server_context(chain, chain[0].key, weak=weak, min_version=min_version)).start()


class SMTPStartTLSServer(object):
    """aiosmtpd on a loopback port offering STARTTLS with the given server context. Accepts no mail."""

    def __init__(self, context):
        from aiosmtpd.controller import Controller

        class RefuseMail(object):
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                return "550 this test server accepts no mail"

        self.port = unused_port()
        self.host = LOOPBACK
        self.controller = Controller(RefuseMail(), hostname=LOOPBACK, port=self.port, tls_context=context,
                                     require_starttls=False, ready_timeout=10)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
