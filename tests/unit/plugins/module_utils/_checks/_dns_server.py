"""A real DNS server for the tests: dnsmasq on 127.0.0.1, serving the test zone shop.test and nothing else.

dnsmasq runs in the foreground with no configuration file, no upstream servers and no /etc/hosts:
names under shop.test that it does not hold are NXDOMAIN (``--local``), and every other name is
REFUSED, so nothing a test asks ever leaves this machine.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

ZONE = "shop.test"
LOCAL_TTL = 60
LONG_TTL = 86400


def _name_rdata_hex(name):
    """A domain name in DNS wire form, as hex, for dnsmasq's --dns-rr (here: the rdata of an NS record)."""
    wire = b"".join(bytes([len(label)]) + label.encode("ascii") for label in name.split(".")) + b"\0"
    return wire.hex()


# The test zone. Names and values the tests rely on are spelled out here once.
RECORDS = [
    f"--local=/{ZONE}/",
    f"--local-ttl={LOCAL_TTL}",
    "--host-record=api.shop.test,10.0.0.10,fd00::10",
    "--host-record=api.shop.test,10.0.0.11",
    "--host-record=outside.shop.test,10.0.0.12",
    "--host-record=outside.shop.test,192.0.2.7",
    "--host-record=v6.shop.test,fd00::30",
    f"--host-record=long.shop.test,10.0.0.20,{LONG_TTL}",
    "--host-record=mail.shop.test,10.0.0.25",
    "--host-record=mail2.shop.test,10.0.0.26",
    # www -> a -> b -> api: a CNAME chain of length 3; short -> api: length 1.
    "--cname=www.shop.test,a.shop.test",
    "--cname=a.shop.test,b.shop.test",
    "--cname=b.shop.test,api.shop.test",
    "--cname=short.shop.test,api.shop.test",
    # dnsmasq answers a CNAME to a name it does not hold with the CNAME alone: the checker asks again.
    "--cname=dangling.shop.test,gone.shop.test",
    "--mx-host=shop.test,mail.shop.test,10",
    "--mx-host=shop.test,mail2.shop.test,20",
    "--txt-record=shop.test,v=spf1 mx -all",
    "--txt-record=_dmarc.shop.test,v=DMARC1; p=reject",
    # Four TXT records of 200 characters: more than a 512-byte UDP answer holds, so it comes truncated.
    *[f"--txt-record=big.shop.test,{str(n) * 200}" for n in range(1, 5)],
    "--dns-rr=shop.test,2,{}".format(_name_rdata_hex("ns1.shop.test")),
    "--dns-rr=shop.test,2,{}".format(_name_rdata_hex("ns2.shop.test")),
]


def dnsmasq_path():
    found = shutil.which("dnsmasq", path=os.pathsep.join(["/usr/sbin", "/sbin", os.environ.get("PATH", "")]))
    if not found:
        pytest.skip("dnsmasq is not installed (Debian package dnsmasq-base)")
    return found


def free_port(kind=socket.SOCK_DGRAM):
    """A loopback port nothing listens on right now (for UDP and, when it can be had, TCP too)."""
    tries = 20
    while tries:
        tries -= 1
        with socket.socket(socket.AF_INET, kind) as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            other = socket.SOCK_STREAM if kind == socket.SOCK_DGRAM else socket.SOCK_DGRAM
            with socket.socket(socket.AF_INET, other) as second:
                try:
                    second.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free loopback port found")


class DnsServer(object):
    """dnsmasq serving RECORDS on 127.0.0.1:<port>, over UDP and TCP, until stop()."""

    address = "127.0.0.1"

    def __init__(self, records=None):
        self.records = list(RECORDS if records is None else records)
        self.port = None
        self.proc = None
        self.workdir = None
        self.log_path = None

    def argv(self, port):
        return [
            dnsmasq_path(), "--keep-in-foreground", "--log-facility=-", "--conf-file=/dev/null",
            "--no-resolv", "--no-hosts", "--no-poll", f"--listen-address={self.address}", "--bind-interfaces",
            f"--port={port}", f"--user={pwd.getpwuid(os.geteuid()).pw_name}",
            "--pid-file={}".format(os.path.join(self.workdir, "dnsmasq.pid")), "--cache-size=0",
            *self.records,
        ]

    def start(self, within=10.0):
        self.workdir = tempfile.mkdtemp(prefix="golive-dnsmasq-")
        self.log_path = os.path.join(self.workdir, "dnsmasq.log")
        problems = []
        for attempt in range(1, 4):  # another process may take the free port first
            self.port = free_port()
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen(self.argv(self.port), stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=subprocess.STDOUT, start_new_session=True)
            if self._wait_answering(within):
                return self
            problems.append(f"attempt {attempt} on port {self.port}:\n{self.log()}")
            self._kill()
        shutil.rmtree(self.workdir, ignore_errors=True)
        raise RuntimeError("dnsmasq did not start answering:\n{}".format("\n".join(problems)))

    def log(self):
        with open(self.log_path, "rb") as log:
            return log.read().decode("utf-8", errors="replace")

    def _wait_answering(self, within):
        import dns.exception
        import dns.message
        import dns.query
        import dns.rcode

        until = time.monotonic() + within
        while time.monotonic() < until:
            if self.proc.poll() is not None:
                return False
            try:
                response = dns.query.udp(dns.message.make_query(f"api.{ZONE}", "A"), self.address,
                                         timeout=0.2, port=self.port)
            except (dns.exception.Timeout, OSError):
                continue
            if response.rcode() == dns.rcode.NOERROR and response.answer:
                return True
        return False

    def _kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stop(self):
        self._kill()
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


@contextlib.contextmanager
def dns_server(records=None):
    server = DnsServer(records).start()
    try:
        yield server
    finally:
        server.stop()
