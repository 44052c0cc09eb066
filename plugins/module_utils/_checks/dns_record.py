# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind dns_record: the records of one name and type as a nameserver answers them (private).

Queries are sent with dnspython straight to one nameserver (the given one, else those of the system
resolver configuration in turn), so that NXDOMAIN, an empty answer and a refusing or silent nameserver
can each be told apart. Addresses are compared with the standard library's ipaddress module, which
does everything this kind needs of netaddr (parse, normalise, network membership) without a dependency.
"""

from __future__ import annotations

import ipaddress
import time

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    Limit,
    OptionError,
    format_duration,
    format_ms,
    format_number,
    limit_from_options,
    parse_duration,
)

KIND = "dns_record"
SECTION = "infrastructure"
SEVERITY = "high"
VARIABLES = {"golive_dns_records": "infrastructure"}
ENDPOINT = True
TYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "NS")
ADDRESS_TYPES = {"A": 4, "AAAA": 6}
OPTIONS = dict(
    name=dict(type="str", required=True),
    type=dict(type="str", default="A"),
    values=dict(type="list", elements="str"),
    match=dict(type="str", default="exact", choices=["exact", "contains"]),
    min_count=dict(type="int"),
    within_cidrs=dict(type="list", elements="str"),
    ttl_max=dict(type="str"),
    cname_chain_max=dict(type="int"),
    nameserver=dict(type="str"),
    nameserver_port=dict(type="int", default=53),
    protocol=dict(type="str", default="udp", choices=["udp", "tcp"]),
    latency_warn_above=dict(type="str"),
    latency_fail_above=dict(type="str"),
    expect_absent=dict(type="bool", default=False),
)

# One answer is one DNS message: dnspython reads a UDP datagram of at most 65535 bytes, and over TCP one
# message behind a 16-bit length. The protocol bounds what a nameserver can make this check read.
DNS_MESSAGE_CAP = 65535
MAX_CHAIN = 16  # CNAME hops followed at most: a loop or a runaway chain cannot be evaluated
SHOWN_CHARS = 120
_ONLY_PRESENT = ("values", "min_count", "within_cidrs", "ttl_max", "cname_chain_max")


def _normal_name(text, option="name"):
    name = str(text).strip()
    if name.endswith(".") and name != ".":
        name = name[:-1]
    name = name.lower()
    if not name or any(c.isspace() for c in name):
        raise OptionError(f"{option}: {text!r} is not a domain name")
    if name != "." and (len(name) > 253 or any(not 0 < len(label) <= 63 for label in name.split("."))):
        raise OptionError(f"{option}: {text!r} is not a domain name (empty label, or a label over 63 characters)")
    return name


def _record_type(item):
    rdtype = str(item.get("type") or "A").strip().upper()
    if rdtype not in TYPES:
        raise OptionError("type: {!r} is not one of {}".format(item.get("type"), ", ".join(TYPES)))
    return rdtype


def describe(item):
    rdtype = str(item.get("type") or "A").strip().upper()
    name = str(item.get("name") or "").strip().rstrip(".").lower() or item.get("name")
    key = f"{name} {rdtype}"
    return key, f"DNS {key}"


# --- options ------------------------------------------------------------------------------------

def _expected_value(rdtype, value):
    """A value of ``values`` in the form the answers are shown in (see answer_text)."""
    text = str(value).strip()
    if rdtype in ADDRESS_TYPES:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            address = None
        if address is None or address.version != ADDRESS_TYPES[rdtype]:
            raise OptionError(f"values: {value!r} is not an IPv{ADDRESS_TYPES[rdtype]} address")
        return str(address)
    if rdtype in ("CNAME", "NS"):
        return _normal_name(text, "values")
    if rdtype == "MX":
        parts = text.split()
        if len(parts) == 2 and parts[0].isdigit():
            return f"{int(parts[0])} {_normal_name(parts[1], 'values')}"
        if len(parts) == 1:
            return _normal_name(parts[0], "values")
        raise OptionError(f"values: {value!r} is not an MX value ('10 mail.example.com' or 'mail.example.com')")
    return str(value)


def _networks(item, rdtype):
    cidrs = item.get("within_cidrs")
    if cidrs is None:
        return None
    if rdtype not in ADDRESS_TYPES:
        raise OptionError("within_cidrs: only applies to A and AAAA records")
    if not cidrs:
        raise OptionError("within_cidrs: must list at least one network")
    networks = []
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(str(cidr).strip(), strict=False)
        except ValueError:
            raise OptionError(f"within_cidrs: {cidr!r} is not a network in CIDR form (10.0.0.0/8)") from None
        if network.version != ADDRESS_TYPES[rdtype]:
            raise OptionError(f"within_cidrs: {network} is an IPv{network.version} network; "
                              f"{rdtype} records hold IPv{ADDRESS_TYPES[rdtype]} addresses")
        networks.append(network)
    return networks


def _nameserver(item):
    port = item.get("nameserver_port")
    port = 53 if port is None else port
    if not 1 <= port <= 65535:
        raise OptionError(f"nameserver_port: {port} is outside 1-65535")
    if item.get("nameserver") is None:
        return None, port
    try:
        address = ipaddress.ip_address(str(item["nameserver"]).strip())
    except ValueError:
        raise OptionError("nameserver: {!r} is not an IP address".format(item["nameserver"])) from None
    return str(address), port


def _non_negative(item, option):
    if item.get(option) is None:
        return None
    if item[option] < 0:
        raise OptionError(f"{option}: must not be negative, got {item[option]}")
    return item[option]


def _latency_ms(text, option):
    return parse_duration(text, option) * 1000.0


def prepare(item):
    name = _normal_name(item["name"])
    rdtype = _record_type(item)
    absent = bool(item.get("expect_absent"))
    if absent:
        for option in _ONLY_PRESENT:
            if item.get(option) is not None:
                raise OptionError(f"{option}: does not apply with expect_absent")
    values = item.get("values")
    if values is not None:
        if not values:
            raise OptionError("values: must list at least one value (use expect_absent for none)")
        values = sorted(set(_expected_value(rdtype, v) for v in values))
    chain_max = _non_negative(item, "cname_chain_max")
    if chain_max is not None and rdtype not in ADDRESS_TYPES:
        raise OptionError("cname_chain_max: only applies to A and AAAA records")
    ttl_max = None
    if item.get("ttl_max") is not None:
        ttl_max = parse_duration(item["ttl_max"], "ttl_max")
    nameserver, port = _nameserver(item)
    return dict(
        name=name,
        type=rdtype,
        absent=absent,
        values=values,
        match=item["match"],
        min_count=_non_negative(item, "min_count"),
        networks=_networks(item, rdtype),
        ttl=Limit(fail=ttl_max, direction="above", formatter=format_duration),
        chain=Limit(fail=chain_max, direction="above", formatter=format_number),
        nameserver=nameserver,
        port=port,
        protocol=item["protocol"],
        latency=limit_from_options(item, "latency", "above", _latency_ms, format_ms),
    )


# --- asking -------------------------------------------------------------------------------------

def load_dns():
    """The dns package of dnspython, or None when it is not installed (reported by run() as error)."""
    try:
        import dns.exception
        import dns.flags
        import dns.message
        import dns.name
        import dns.query
        import dns.rcode
        import dns.rdatatype
        import dns.resolver
    except ImportError:
        return None
    return dns


class Unanswered(Exception):
    """One nameserver gave no usable answer (timed out, refused, SERVFAIL ...)."""


class Resolution(object):
    """What a nameserver said: the final record set (or None), the CNAME hops, NXDOMAIN or not."""

    def __init__(self, server):
        self.server = server
        self.rrset = None
        self.chain = []  # (target name, TTL) per CNAME hop
        self.nxdomain = False
        self.latency_ms = 0.0


def _server_text(server):
    address, port = server
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _servers(dns, plan):
    if plan["nameserver"] is not None:
        return [(plan["nameserver"], plan["port"])]
    try:
        resolver = dns.resolver.Resolver(configure=True)
    except dns.exception.DNSException as exc:
        raise CheckError(f"no nameserver given and the system resolver configuration is unusable: {exc}") from None
    servers = []
    for address in resolver.nameservers:
        try:
            servers.append((str(ipaddress.ip_address(str(address))), plan["port"]))
        except ValueError:
            continue  # DNS-over-HTTPS URLs and the like: not for this kind
    if not servers:
        raise CheckError("no nameserver given and the system resolver configuration lists none")
    return servers


def _seconds_left(deadline, what):
    left = deadline - time.monotonic()
    if left <= 0:
        raise Unanswered(f"timed out before {what}")
    return left


def ask(dns, qname, rdtype, server, protocol, deadline):
    """One query, bounded by ``deadline``; a truncated UDP answer is asked again over TCP."""
    address, port = server
    query = dns.message.make_query(qname, rdtype)
    started = time.monotonic()
    try:
        if protocol == "udp":
            response = dns.query.udp(query, address, timeout=_seconds_left(deadline, "asking"), port=port)
            if not response.flags & dns.flags.TC:
                return response
        return dns.query.tcp(query, address, timeout=_seconds_left(deadline, "asking"), port=port)
    except dns.exception.Timeout:
        raise Unanswered(f"timed out after {format_duration(time.monotonic() - started)} ({protocol})") from None
    except OSError as exc:  # over TCP: connection refused, network unreachable
        raise Unanswered(f"cannot be reached over {protocol}: {exc.strerror or exc}") from None
    except dns.exception.DNSException as exc:
        raise Unanswered(f"sent an answer that cannot be read: {exc}") from None


def _find(response, name, rdtype):
    for rrset in response.answer:
        if rrset.name == name and rrset.rdtype == rdtype:
            return rrset
    return None


def walk(dns, response, name, rdtype, resolution):
    """Follow the CNAMEs in one answer from ``name``; returns the name the answer ends at."""
    seen = set()
    while resolution.rrset is None:
        resolution.rrset = _find(response, name, rdtype)
        if resolution.rrset is not None or rdtype == dns.rdatatype.CNAME or name in seen:
            break
        cname = _find(response, name, dns.rdatatype.CNAME)
        if cname is None:
            break
        seen.add(name)
        name = cname[0].target
        resolution.chain.append((name, cname.ttl))
    return name


def resolve_at(dns, plan, server, deadline):
    """Ask one nameserver, following a CNAME chain that leaves its answer with further queries."""
    resolution = Resolution(server)
    rdtype = dns.rdatatype.from_text(plan["type"])
    name = dns.name.from_text(plan["name"])
    started = time.monotonic()
    while True:
        response = ask(dns, name, rdtype, server, plan["protocol"], deadline)
        rcode = response.rcode()
        if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            raise Unanswered(f"answered {dns.rcode.to_text(rcode)}")
        hops = len(resolution.chain)
        name = walk(dns, response, name, rdtype, resolution)
        if rcode == dns.rcode.NXDOMAIN:
            resolution.nxdomain = True
        if resolution.nxdomain or resolution.rrset is not None or len(resolution.chain) == hops:
            break
        if len(resolution.chain) > MAX_CHAIN:
            chain = " -> ".join(_chain_names(resolution)[:MAX_CHAIN])
            raise CheckError(f"the CNAME chain of {plan['name']} is longer than {MAX_CHAIN} (a loop?): {chain}")
    resolution.latency_ms = (time.monotonic() - started) * 1000.0
    return resolution


def resolve(dns, plan, seconds):
    """The first usable answer of the nameservers in turn, each given an equal share of the time left."""
    deadline = time.monotonic() + seconds
    servers = _servers(dns, plan)
    problems = []
    for index, server in enumerate(servers):
        share = (deadline - time.monotonic()) / (len(servers) - index)
        try:
            return resolve_at(dns, plan, server, time.monotonic() + share)
        except Unanswered as exc:
            problems.append(f"nameserver {_server_text(server)} {exc}")
    raise CheckError("; ".join(problems))


# --- evaluation ---------------------------------------------------------------------------------

def answer_text(rdtype, rdata):
    """An answer in the form ``values`` are written in: an address, a name, '10 mail.example.com', text."""
    if rdtype in ADDRESS_TYPES:
        return str(ipaddress.ip_address(rdata.address))
    if rdtype in ("CNAME", "NS"):
        return _normal_name(rdata.target.to_text())
    if rdtype == "MX":
        return f"{rdata.preference} {_normal_name(rdata.exchange.to_text())}"
    return b"".join(rdata.strings).decode("utf-8", errors="replace")


def _matches(rdtype, expected, answer):
    if rdtype == "MX" and " " not in expected:
        return answer.split(" ", 1)[1] == expected  # an expected exchange without a preference
    return expected == answer


def _shown(text):
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def _listed(answers):
    return ", ".join(_shown(a) for a in answers)


def _chain_names(resolution):
    return [_normal_name(name.to_text()) for name, dummy in resolution.chain]


def _check_values(plan, answers, ev):
    ev.expect("values", plan["values"])
    ev.expect("match", plan["match"])
    missing = [v for v in plan["values"] if not any(_matches(plan["type"], v, a) for a in answers)]
    unexpected = [a for a in answers if not any(_matches(plan["type"], v, a) for v in plan["values"])]
    ev.require(not missing, f"missing {_listed(missing)}")
    if plan["match"] == "exact":
        ev.require(not unexpected, f"unexpected {_listed(unexpected)}")


def _check_networks(plan, answers, ev):
    networks = plan["networks"]
    ev.expect("within_cidrs", [str(n) for n in networks])
    outside = [a for a in answers if not any(ipaddress.ip_address(a) in n for n in networks)]
    ev.require(not outside, "{} outside {}".format(_listed(outside), ", ".join(str(n) for n in networks)),
               passing="all within {}".format(", ".join(str(n) for n in networks)))


def _evaluate_answers(plan, found, ev):
    rdtype = plan["type"]
    answers = sorted(answer_text(rdtype, rdata) for rdata in found.rrset)
    ev.observe("answers", answers)
    ttl = max([found.rrset.ttl] + [ttl for dummy, ttl in found.chain])
    ev.note(f"{rdtype} {_listed(answers)}")
    if found.chain:
        ev.note("via CNAME {}".format(" -> ".join(_chain_names(found))))
    if plan["min_count"] is not None:
        ev.expect_at_least("count", plan["min_count"], "count")
        ev.observe("count", len(answers), "count")
        ev.require(len(answers) >= plan["min_count"],
                   f"{len(answers)} {rdtype} record{'' if len(answers) == 1 else 's'} (min {plan['min_count']})")
    if plan["values"] is not None:
        _check_values(plan, answers, ev)
    if plan["networks"] is not None:
        _check_networks(plan, answers, ev)
    ev.measure("ttl", ttl, plan["ttl"], label="TTL")
    if plan["chain"].is_set:
        ev.measure("cname_chain_length", len(found.chain), plan["chain"], label="CNAME chain length")


def _evaluate_missing(plan, found, ev):
    subject = "{} {}".format(plan["name"], plan["type"])
    if found.nxdomain:
        message = "{} does not exist".format(plan["name"])
        if found.chain:
            message += f" (its CNAME chain ends at {_chain_names(found)[-1]}, which does not exist)"
    else:
        message = f"no {subject} record"
    ev.observe("answers", [])
    if plan["absent"]:
        ev.note(message)
    else:
        ev.finding("fail", message)


def run(plan, ctx):
    dns = load_dns()
    if dns is None:
        raise CheckError(missing_required_lib("dnspython"))
    found = resolve(dns, plan, ctx.child_timeout())
    ev = Evaluation()
    ev.observe("nameserver", _server_text(found.server))
    ev.observe("cname_chain", _chain_names(found))
    ev.observe("ttl", None)
    if plan["absent"]:
        ev.expect("absent", True)
    if found.rrset is None:
        _evaluate_missing(plan, found, ev)
    elif plan["absent"]:
        answers = sorted(answer_text(plan["type"], rdata) for rdata in found.rrset)
        ev.observe("answers", answers)
        ev.finding("fail", "{} {} exists (expected absent): {}".format(plan["name"], plan["type"], _listed(answers)))
    else:
        _evaluate_answers(plan, found, ev)
    ev.measure("latency_ms", round(found.latency_ms, 3), plan["latency"], label="latency", formatter=format_ms)
    return ev.outcome()
