# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind tls_certificate: the certificate chain of a server or a PEM file, expiry, name, key, protocols (private).

How the facts are obtained, remote endpoint:
  1. a handshake with verification off (SECLEVEL=0, any protocol version, so that even a weak or
     old-fashioned server shows its certificate) gives the leaf, the negotiated protocol and cipher,
     and the chain exactly as the server presented it (``SSLSocket.get_unverified_chain()`` on
     Python 3.13+, the same call of the C-level ``_sslobj`` on 3.10-3.12; on older Pythons only the
     leaf is known and ``chain_length`` is reported as unknown);
  2. a second handshake by a client with default settings and verification ON against ``ca_file``
     (or the system trust store) decides ``verified``; OpenSSL's verify code is translated into
     words (20 with only the leaf presented = the server does not send its intermediate);
  3. with ``min_protocol``, one handshake per older version by a client restricted to that version.
The hostname is always matched against the leaf's subjectAltNames by this module (no CN fallback),
not by OpenSSL, so a wrong name and a broken chain are reported separately.

Local file: the certificates of a PEM bundle (leaf first); the chain is verified with
``cryptography.x509.verification`` (cryptography 42+) as a server certificate for a name the leaf
itself carries, again leaving the hostname to the separate SAN check.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
import ssl
import warnings

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.golive.readiness.plugins.module_utils._caps import (
    ByteBudget,
    CapExceeded,
    CappedSocket,
    read_at_most,
)
from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    OptionError,
    limit_from_options,
    parse_count,
    quantity,
)
from ansible_collections.golive.readiness.plugins.module_utils._net import connect_tcp

KIND = "tls_certificate"
# Warn a month ahead, fail two weeks ahead: time to renew and deploy before anyone sees an error.
DEFAULT_DAYS = ("30", "14")
SECTION = "infrastructure"
SEVERITY = "critical"
VARIABLES = {"golive_tls_certificates": "security"}
ENDPOINT = True
OPTIONS = dict(
    host=dict(type="str"),
    port=dict(type="int", default=443),
    server_name=dict(type="str"),
    starttls=dict(type="str", default="none", choices=["none", "smtp"]),
    path=dict(type="path"),
    hostname=dict(type="str"),
    ca_file=dict(type="path"),
    days_warn_below=dict(type="raw"),
    days_fail_below=dict(type="raw"),
    check_hostname=dict(type="bool", default=True),
    require_chain_valid=dict(type="bool", default=True),
    min_key_bits=dict(type="int", default=2048),
    forbid_weak_signatures=dict(type="bool", default=True),
    min_protocol=dict(type="str"),
)

PROTOCOLS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
_PROTOCOL_ALIASES = {"tlsv1": "TLSv1", "tlsv1.0": "TLSv1", "tlsv1.1": "TLSv1.1", "tlsv1.2": "TLSv1.2",
                     "tlsv1.3": "TLSv1.3"}
WEAK_HASHES = ("md2", "md4", "md5", "sha1")
MIN_EC_BITS = 256
# OpenSSL reasons meaning the local client cannot offer a version at all (not that the server refused it).
_CANNOT_OFFER = ("NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS_AVAILABLE")
_SMTP_CLIENT_NAME = "golive-readiness.invalid"
# The certificate chain a server may present: OpenSSL's own limit on the Certificate message (its default
# max_cert_list), which ends the handshake with EXCESSIVE_MESSAGE_SIZE; reported naming this cap.
TLS_CHAIN_CAP = 100 * 1024
# Bytes read from an SMTP server before STARTTLS (greeting, EHLO and STARTTLS replies).
STARTTLS_READ_CAP = 64 * 1024
# Size of a local PEM bundle read with path (a leaf and its chain are a few KiB).
PEM_FILE_CAP = 1024 * 1024


def describe(item):
    if item.get("path"):
        return item["path"], "TLS certificate in {}".format(item["path"])
    key = endpoint(item.get("host") or "", item["port"])
    return key, f"TLS certificate of {key}"


def endpoint(host, port):
    """'host:port', with IPv6 literals bracketed."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# --- options ------------------------------------------------------------------------------------

def _min_protocol(value):
    if value is None:
        return None
    protocol = _PROTOCOL_ALIASES.get(str(value).strip().lower())
    if protocol is None:
        raise OptionError("min_protocol: {!r} is not one of {}".format(value, ", ".join(PROTOCOLS)))
    return protocol


def _source(item):
    host, path = item.get("host"), item.get("path")
    if host and path:
        raise OptionError("host/path: give one of them, not both")
    if not host and not path:
        raise OptionError("host/path: one of them is required")
    if path:
        for option in ("server_name", "min_protocol"):
            if item.get(option):
                raise OptionError(f"{option}: only applies with host")
        if item["starttls"] != "none":
            raise OptionError("starttls: only applies with host")
        return "file"
    if item.get("hostname"):
        raise OptionError("hostname: only applies with path (use server_name with host)")
    port = item["port"]
    if not 1 <= port <= 65535:
        raise OptionError(f"port: {port!r} is not a TCP port (1-65535)")
    return "remote"


def prepare(item):
    source = _source(item)
    min_key_bits = item["min_key_bits"]
    if min_key_bits < 0:
        raise OptionError(f"min_key_bits: {min_key_bits!r} must not be negative")
    days = limit_from_options(item, "days", "below", parse_count, defaults=DEFAULT_DAYS)
    plan = dict(
        source=source,
        path=item.get("path"),
        host=item.get("host"),
        port=item["port"],
        starttls=item["starttls"],
        ca_file=item.get("ca_file"),
        days=days,
        check_hostname=item.get("check_hostname") is not False,
        require_chain_valid=item.get("require_chain_valid") is not False,
        min_key_bits=min_key_bits,
        forbid_weak_signatures=item.get("forbid_weak_signatures") is not False,
        min_protocol=_min_protocol(item.get("min_protocol")),
    )
    if source == "remote":
        plan["name"] = item.get("server_name") or item["host"]
    else:
        plan["name"] = item.get("hostname")
    return plan


# --- talking to the server ----------------------------------------------------------------------

def _budget(ctx):
    """Seconds a network operation may take: a little less than the check has left, so that this
    module reports the timeout itself rather than the runner abandoning the check."""
    return ctx.child_timeout()


def _connect(plan, ctx):
    where = endpoint(plan["host"], plan["port"])
    try:
        sock = connect_tcp(plan["host"], plan["port"], _budget(ctx))
    except socket.timeout:
        raise CheckError(f"timed out connecting to {where}") from None
    except ConnectionRefusedError:
        raise CheckError(f"connection refused by {where}") from None
    except OSError as exc:
        raise CheckError(f"cannot connect to {where}: {exc.strerror or exc}") from None
    if plan["starttls"] == "smtp":
        try:
            _smtp_starttls(sock, plan, ctx)
        except BaseException:
            sock.close()
            raise
    return sock


class _LineReader(object):
    """CRLF-terminated lines from a socket, without reading past what the server has sent."""

    def __init__(self, sock):
        self.sock = CappedSocket(sock, ByteBudget(STARTTLS_READ_CAP, "STARTTLS_READ_CAP",
                                                  "the SMTP server's replies before STARTTLS"))
        self.buffer = b""

    def line(self):
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise CheckError("the SMTP server closed the connection")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self):
        """(code, [text lines]) of a possibly multi-line SMTP reply."""
        lines = []
        while True:
            line = self.line()
            if len(line) < 3 or not line[:3].isdigit():
                raise CheckError(f"not an SMTP reply: {line[:80]!r}")
            lines.append(line[4:])
            if line[3:4] != "-":
                return int(line[:3]), lines


def _smtp_starttls(sock, plan, ctx):
    """Greeting, EHLO and STARTTLS: after this the socket is ready for the TLS handshake. Nothing is sent."""
    where = endpoint(plan["host"], plan["port"])
    reader = _LineReader(sock)
    try:
        sock.settimeout(_budget(ctx))
        code = reader.reply()[0]
        if code != 220:
            raise CheckError(f"SMTP server {where} greeted with {code}, not 220")
        sock.sendall((f"EHLO {_SMTP_CLIENT_NAME}\r\n").encode("ascii"))
        sock.settimeout(_budget(ctx))
        code, lines = reader.reply()
        if code != 250:
            raise CheckError(f"SMTP server {where} answered EHLO with {code}")
        if not any(line.split(" ")[0].upper() == "STARTTLS" for line in lines[1:]):
            raise CheckError(f"SMTP server {where} does not offer STARTTLS")
        sock.sendall(b"STARTTLS\r\n")
        sock.settimeout(_budget(ctx))
        code, lines = reader.reply()
        if code != 220:
            raise CheckError(f"SMTP server {where} refused STARTTLS: {code} {' '.join(lines)}")
    except socket.timeout:
        raise CheckError(f"timed out waiting for the SMTP server {where}") from None
    except OSError as exc:
        raise CheckError(f"SMTP conversation with {where} failed: {exc.strerror or exc}") from None


def _handshake(plan, ctx, context):
    """The connected, handshaken TLS socket (the caller closes it). SSL errors are left to the caller."""
    sock = _connect(plan, ctx)
    try:
        sock.settimeout(_budget(ctx))
        return context.wrap_socket(sock, server_hostname=plan["name"])
    except socket.timeout:
        sock.close()
        raise CheckError(f"timed out: {endpoint(plan['host'], plan['port'])} accepted the connection "
                         "but did not complete the TLS handshake") from None
    except BaseException:
        sock.close()
        raise


def _permissive_context():
    """A client that accepts anything the server shows, so the facts can be seen even when they are bad."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        except (ValueError, ssl.SSLError):
            pass
    return context


def _presented_chain(tls):
    """The DER certificates the server sent, leaf first, or None when this Python cannot tell."""
    getter = getattr(tls, "get_unverified_chain", None)  # public from Python 3.13
    if getter is None:
        getter = getattr(getattr(tls, "_sslobj", None), "get_unverified_chain", None)  # 3.10-3.12
    if getter is None:
        return None
    chain = getter() or []
    return [cert if isinstance(cert, bytes) else cert.public_bytes(ssl._ssl.ENCODING_DER) for cert in chain]


def _tls_failure(plan, exc):
    if getattr(exc, "reason", None) == "EXCESSIVE_MESSAGE_SIZE":
        return CapExceeded(f"the handshake of {endpoint(plan['host'], plan['port'])}", TLS_CHAIN_CAP, "TLS_CHAIN_CAP")
    return CheckError(f"TLS handshake with {endpoint(plan['host'], plan['port'])} failed: "
                      f"{getattr(exc, 'reason', None) or exc}")


def fetch_presented(plan, ctx):
    """dict(leaf=DER, chain=[DER] or None, protocol, cipher) from a handshake that verifies nothing."""
    try:
        tls = _handshake(plan, ctx, _permissive_context())
    except ssl.SSLError as exc:
        raise _tls_failure(plan, exc) from None
    except (ConnectionResetError, BrokenPipeError):
        where = endpoint(plan["host"], plan["port"])
        raise CheckError(f"{where} closed the connection during the TLS handshake") from None
    with tls:
        leaf = tls.getpeercert(binary_form=True)
        if not leaf:
            raise CheckError("{} presented no certificate".format(endpoint(plan["host"], plan["port"])))
        chain = _presented_chain(tls)
        if chain and sum(len(cert) for cert in chain) > TLS_CHAIN_CAP:
            raise CapExceeded(f"the chain of {endpoint(plan['host'], plan['port'])}", TLS_CHAIN_CAP, "TLS_CHAIN_CAP")
        return dict(leaf=leaf, chain=chain, protocol=tls.version(), cipher=(tls.cipher() or [None])[0])


def _verifying_context(ca_file):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False  # the hostname is checked separately, against the SANs
    context.verify_mode = ssl.CERT_REQUIRED
    if ca_file:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise CheckError(f"ca_file: cannot load {ca_file}: {getattr(exc, 'strerror', None) or exc}") from None
    else:
        context.load_default_certs()
    return context


def verify_by_handshake(plan, ctx):
    """(True, None) when a default client with verification on accepts the chain, else (False, (code, message))."""
    context = _verifying_context(plan["ca_file"])
    try:
        tls = _handshake(plan, ctx, context)
    except ssl.SSLCertVerificationError as exc:
        return False, (exc.verify_code, exc.verify_message)
    except ssl.SSLError as exc:
        reason = getattr(exc, "reason", None) or exc
        return False, (None, f"a client with default settings cannot complete the handshake: {reason}")
    except (ConnectionResetError, BrokenPipeError):
        return False, (None, "the server closed the connection during the verifying handshake")
    tls.close()
    return True, None


def probe_protocol(plan, ctx, protocol):
    """'accepted', 'refused' or 'not probed: <why>' for one old protocol version."""
    version = getattr(ssl.TLSVersion, protocol.replace(".", "_"), None)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
            context.minimum_version = version
            context.maximum_version = version
        except (ValueError, ssl.SSLError, TypeError) as exc:
            return f"not probed: this client's OpenSSL cannot offer {protocol} ({exc})"
    try:
        tls = _handshake(plan, ctx, context)
    except ssl.SSLError as exc:
        if getattr(exc, "reason", None) in _CANNOT_OFFER:
            return f"not probed: this client's OpenSSL cannot offer {protocol} ({exc.reason})"
        return "refused"
    except (ConnectionResetError, BrokenPipeError):
        return "refused"
    with tls:
        return "accepted" if tls.version() == protocol else "refused"


# --- reading certificates -----------------------------------------------------------------------

def load_cryptography():
    """The cryptography names this check needs, or None when the library is not installed."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
    except ImportError:
        return None
    return dict(x509=x509, dsa=dsa, ec=ec, ed448=ed448, ed25519=ed25519, rsa=rsa)


_PEM_BEGIN = b"-----BEGIN CERTIFICATE-----"
_PEM_END = b"-----END CERTIFICATE-----"


def pem_blocks(data):
    """Every PEM certificate block of a file's bytes, in order."""
    blocks = []
    start = data.find(_PEM_BEGIN)
    while start >= 0:
        end = data.find(_PEM_END, start)
        if end < 0:
            break
        blocks.append(data[start:end + len(_PEM_END)] + b"\n")
        start = data.find(_PEM_BEGIN, end)
    return blocks


def read_pem_bundle(path, x509):
    try:
        with open(path, "rb") as handle:
            data = read_at_most(handle.read, PEM_FILE_CAP, "PEM_FILE_CAP", path)
    except OSError as exc:
        raise CheckError(f"cannot read {path}: {exc.strerror or exc}") from None
    certs = []
    for index, block in enumerate(pem_blocks(data)):
        try:
            certs.append(x509.load_pem_x509_certificate(block))
        except ValueError as exc:
            raise CheckError(f"{path}: certificate {index + 1} is not valid PEM: {exc}") from None
    if not certs:
        raise CheckError(f"{path} holds no PEM certificate")
    return certs


def _utc(cert, name):
    value = getattr(cert, name + "_utc", None)  # cryptography 42+
    if value is None:
        value = getattr(cert, name).replace(tzinfo=datetime.timezone.utc)
    return value


def _stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _name(name):
    return name.rfc4514_string()


def subject_alt_names(cert, x509):
    """(DNS names, IP addresses) of the certificate's subjectAltName extension."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    return ext.get_values_for_type(x509.DNSName), ext.get_values_for_type(x509.IPAddress)


def _signature_hash(cert):
    try:
        algorithm = cert.signature_hash_algorithm
    except Exception:  # an algorithm this cryptography does not know
        return None
    return algorithm.name if algorithm is not None else None


def _signature_name(cert):
    oid = cert.signature_algorithm_oid
    return getattr(oid, "_name", None) or oid.dotted_string


def key_facts(cert, lib):
    """(key type, bits, curve or None)."""
    key = cert.public_key()
    if isinstance(key, lib["rsa"].RSAPublicKey):
        return "RSA", key.key_size, None
    if isinstance(key, lib["dsa"].DSAPublicKey):
        return "DSA", key.key_size, None
    if isinstance(key, lib["ec"].EllipticCurvePublicKey):
        return "EC", key.curve.key_size, key.curve.name
    if isinstance(key, lib["ed25519"].Ed25519PublicKey):
        return "Ed25519", 256, None
    if isinstance(key, lib["ed448"].Ed448PublicKey):
        return "Ed448", 456, None
    return type(key).__name__, None, None


def is_self_signed(cert):
    return cert.issuer == cert.subject


def days_left(cert, now):
    return int((_utc(cert, "not_valid_after") - now).total_seconds() // 86400)


def hostname_matches(name, dns_names, ip_addresses):
    """RFC 6125 matching against the SANs only: exact names, or a wildcard in the left-most label."""
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        address = None
    if address is not None:
        return address in ip_addresses
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    name = name.rstrip(".").lower()
    for pattern in dns_names:
        pattern = pattern.rstrip(".").lower()
        if pattern == name:
            return True
        if pattern.startswith("*.") and "." in name:
            head, rest = name.split(".", 1)
            if head and rest == pattern[2:] and "*" not in rest:
                return True
    return False


def describe_cert(cert, now):
    return dict(subject=_name(cert.subject), issuer=_name(cert.issuer), not_after=_stamp(_utc(cert, "not_valid_after")),
                days_left=quantity(days_left(cert, now), "days"), signature_algorithm=_signature_name(cert))


# --- verification of a file's chain -------------------------------------------------------------

def _trust_anchors(ca_file, x509):
    if ca_file:
        return read_pem_bundle(ca_file, x509)
    paths = ssl.get_default_verify_paths()
    if paths.cafile and os.path.exists(paths.cafile):
        return read_pem_bundle(paths.cafile, x509)
    anchors = []
    if paths.capath and os.path.isdir(paths.capath):
        for entry in sorted(os.listdir(paths.capath)):
            full = os.path.join(paths.capath, entry)
            if os.path.isfile(full):
                try:
                    anchors.extend(read_pem_bundle(full, x509))
                except CheckError:
                    continue
    if not anchors:
        raise CheckError("no system trust store found; give ca_file")
    return anchors


def verify_bundle(certs, plan, lib):
    """(True, None) or (False, reason) for a PEM bundle, by cryptography's path validation.

    The path is validated as a server certificate for a name the leaf itself carries: whether the
    leaf is valid for the wanted hostname is the separate SAN check.
    """
    try:
        from cryptography.x509 import verification
    except ImportError:
        if not plan["require_chain_valid"]:
            return None, "not verified: verifying a file needs cryptography 42 or later"
        raise CheckError("verifying a certificate file needs cryptography 42 or later; "
                         "set require_chain_valid: false to skip it") from None
    x509 = lib["x509"]
    leaf = certs[0]
    dns_names, ip_addresses = subject_alt_names(leaf, x509)
    if dns_names:
        name = dns_names[0]
        subject = verification.DNSName("wildcard" + name[1:] if name.startswith("*.") else name)
    elif ip_addresses:
        subject = verification.IPAddress(ip_addresses[0])
    else:
        return False, "the certificate has no subjectAltName, which clients require"
    anchors = _trust_anchors(plan["ca_file"], x509)
    verifier = verification.PolicyBuilder().store(verification.Store(anchors)).build_server_verifier(subject)
    try:
        verifier.verify(leaf, certs[1:])
    except verification.VerificationError as exc:
        return False, explain_bundle_failure(certs, anchors, str(exc))
    return True, None


def explain_bundle_failure(certs, anchors, message):
    """Why a file's chain does not verify, in the words used for servers where the cause is clear."""
    anchor_subjects = set(anchor.subject for anchor in anchors)
    leaf, top = certs[0], certs[-1]
    if is_self_signed(leaf) and leaf.subject not in anchor_subjects:
        return _VERIFY_WORDS[18]
    if not is_self_signed(top) and top.issuer not in anchor_subjects:
        if len(certs) == 1:
            return ("incomplete chain (the file does not include the intermediate): it holds only the leaf, and "
                    f"its issuer {_name(leaf.issuer)} is not in the trust store")
        return (f"the chain does not lead to a trusted root: the issuer of {_name(top.subject)} "
                "is not in the trust store")
    # cryptography's message names the certificate by its repr; the subject is in observed already.
    return message.split(" (encountered processing", 1)[0]


# --- judging ------------------------------------------------------------------------------------

_VERIFY_WORDS = {
    9: "not yet valid",
    10: "expired",
    18: "self-signed certificate (not issued by a trusted CA)",
    19: "self-signed root certificate in the chain is not trusted",
    62: "hostname mismatch",
}


def explain_verify_error(code, message, certs, chain_known):
    """OpenSSL's verify code in words, telling an incomplete chain apart from an untrusted one."""
    leaf = certs[0]
    if code in (20, 21) and not is_self_signed(leaf):
        if chain_known and len(certs) == 1:
            return ("incomplete chain (the server does not send the intermediate): it sends only its own "
                    f"certificate, and its issuer {_name(leaf.issuer)} is not in the trust store")
        if not chain_known:
            return ("unable to get local issuer certificate: most likely an incomplete chain (the server does not "
                    f"send the intermediate) or an issuer outside the trust store ({_name(leaf.issuer)})")
        return (f"the chain does not lead to a trusted root: the issuer of {_name(certs[-1].subject)} "
                "is not in the trust store")
    if code in _VERIFY_WORDS:
        return _VERIFY_WORDS[code]
    return message


def _where(index, cert):
    return "leaf" if index == 0 else f"certificate {index + 1} of the chain ({_name(cert.subject)})"


def _days_ago(delta):
    days = int(delta.total_seconds() // 86400)
    if days < 1:
        return "less than a day"
    return "1 day" if days == 1 else f"{days} days"


def judge_validity(ev, certs, plan, now):
    for index, cert in enumerate(certs):
        what = _where(index, cert)
        start, end = _utc(cert, "not_valid_before"), _utc(cert, "not_valid_after")
        left = days_left(cert, now)
        if end <= now:
            ev.finding("fail", f"{what} expired {_days_ago(now - end)} ago ({_stamp(end)})")
        elif start > now:
            ev.finding("fail", f"{what} is not valid until {_stamp(start)}")
        elif plan["days"].is_set:
            status = plan["days"].grade(left)
            message = f"{what} expires in {left} days ({plan['days'].describe('days')})"
            if status == "pass":
                if index == 0:
                    ev.note(message)
            else:
                ev.finding(status, message)
        elif index == 0:
            ev.note(f"expires in {left} days")


def judge_keys_and_signatures(ev, certs, plan, lib):
    for index, cert in enumerate(certs):
        what = _where(index, cert)
        key_type, bits, curve = key_facts(cert, lib)
        if key_type in ("RSA", "DSA") and bits < plan["min_key_bits"]:
            ev.finding("fail", f"{what} has a {bits}-bit {key_type} key (minimum {plan['min_key_bits']})")
        if key_type == "EC" and bits < MIN_EC_BITS:
            ev.finding("fail", f"{what} has an EC key on {curve} ({bits} bits, minimum {MIN_EC_BITS})")
        # A self-signed certificate other than the leaf is a trust anchor: its own signature is not relied on.
        if plan["forbid_weak_signatures"] and (index == 0 or not is_self_signed(cert)):
            digest = _signature_hash(cert)
            if digest in WEAK_HASHES:
                shown_digest = digest.upper().replace("SHA1", "SHA-1")
                ev.finding("fail", f"{what} is signed with {shown_digest} ({_signature_name(cert)})")


def judge_hostname(ev, leaf, plan, x509):
    if not plan["check_hostname"]:
        return
    if not plan["name"]:
        ev.note("hostname not checked (no hostname given)")
        return
    dns_names, ip_addresses = subject_alt_names(leaf, x509)
    ev.expect("hostname", plan["name"])
    names = ", ".join(dns_names + [str(a) for a in ip_addresses]) or "no subjectAltName"
    ev.require(hostname_matches(plan["name"], dns_names, ip_addresses),
               f"hostname mismatch: {plan['name']} is not among the certificate's names ({names})",
               passing=f"valid for {plan['name']}")


def judge_chain(ev, verified, error, plan):
    ev.observe("verified", verified)
    ev.observe("verify_error", error)
    if verified:
        ev.note("chain verified")
    elif plan["require_chain_valid"]:
        ev.finding("fail", f"chain not valid: {error}")
    else:
        ev.note(f"chain not verified ({error})")


def judge_protocols(ev, plan, ctx):
    if plan["min_protocol"] is None:
        return
    ev.expect("min_protocol", plan["min_protocol"])
    older = PROTOCOLS[:PROTOCOLS.index(plan["min_protocol"])]
    accepted, not_probed = [], []
    for protocol in older:
        try:
            answer = probe_protocol(plan, ctx, protocol)
        except CheckError as exc:
            ev.finding("error", f"{protocol} could not be probed: {exc}")
            not_probed.append(protocol)
            continue
        if answer == "accepted":
            accepted.append(protocol)
        elif answer.startswith("not probed"):
            not_probed.append("{} ({})".format(protocol, answer[len("not probed: "):]))
    ev.observe("old_protocols_accepted", accepted)
    ev.observe("old_protocols_not_probed", not_probed)
    ev.require(not accepted, "accepts {} (minimum {})".format(", ".join(accepted), plan["min_protocol"]),
               passing="refuses protocols older than {}".format(plan["min_protocol"]))
    if not_probed:
        ev.note("not probed: {}".format("; ".join(not_probed)))


def observe_certificate(ev, certs, lib, now):
    leaf = certs[0]
    x509 = lib["x509"]
    dns_names, ip_addresses = subject_alt_names(leaf, x509)
    key_type, bits, curve = key_facts(leaf, lib)
    ev.observe("subject", _name(leaf.subject))
    ev.observe("issuer", _name(leaf.issuer))
    ev.observe("sans", dns_names + [str(a) for a in ip_addresses])
    ev.observe("not_before", _stamp(_utc(leaf, "not_valid_before")))
    ev.observe("not_after", _stamp(_utc(leaf, "not_valid_after")))
    ev.observe("days_left", days_left(leaf, now), "days")
    ev.observe("key_type", key_type)
    ev.observe("key_bits", bits)
    if curve:
        ev.observe("key_curve", curve)
    ev.observe("signature_algorithm", _signature_name(leaf))
    ev.observe("self_signed", is_self_signed(leaf))
    ev.observe("chain", [describe_cert(cert, now) for cert in certs])


def expect_settings(ev, plan):
    if plan["days"].is_set:
        ev.expect_levels("days_left", plan["days"], unit="days")
    ev.expect("require_chain_valid", plan["require_chain_valid"])
    ev.expect("min_key_bits", plan["min_key_bits"])
    ev.expect("forbid_weak_signatures", plan["forbid_weak_signatures"])


def _run_remote(plan, ctx, lib, ev):
    x509 = lib["x509"]
    presented = fetch_presented(plan, ctx)
    chain_known = presented["chain"] is not None
    ders = presented["chain"] if chain_known and presented["chain"] else [presented["leaf"]]
    certs = [x509.load_der_x509_certificate(der) for der in ders]
    ev.observe("protocol", presented["protocol"])
    ev.observe("cipher", presented["cipher"])
    ev.observe("chain_length", len(certs) if chain_known else None, "count")
    verified, failure = verify_by_handshake(plan, ctx)
    error = None if verified else explain_verify_error(failure[0], failure[1], certs, chain_known)
    return certs, verified, error


def _run_file(plan, lib, ev):
    certs = read_pem_bundle(plan["path"], lib["x509"])
    ev.observe("chain_length", len(certs), "count")
    verified, error = verify_bundle(certs, plan, lib)
    return certs, verified, error


def run(plan, ctx):
    lib = load_cryptography()
    if lib is None:
        raise CheckError(missing_required_lib("cryptography"))
    ev = Evaluation()
    if plan["source"] == "remote":
        certs, verified, error = _run_remote(plan, ctx, lib, ev)
    else:
        certs, verified, error = _run_file(plan, lib, ev)
    now = datetime.datetime.now(datetime.timezone.utc)
    observe_certificate(ev, certs, lib, now)
    expect_settings(ev, plan)
    judge_validity(ev, certs, plan, now)
    judge_hostname(ev, certs[0], plan, lib["x509"])
    judge_chain(ev, verified, error, plan)
    judge_keys_and_signatures(ev, certs, plan, lib)
    if plan["source"] == "remote":
        judge_protocols(ev, plan, ctx)
    return ev.outcome()
