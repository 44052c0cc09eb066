"""dns_record against a real dnsmasq on 127.0.0.1 serving shop.test; dead and silent nameservers are real sockets."""

from __future__ import annotations

import socket
import sys
import time

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import dns_record
from ansible_collections.golive.readiness.plugins.module_utils._module import item_spec
from ansible_collections.golive.readiness.plugins.module_utils._runner import PreparedCheck, run_checks

from ._dns_server import LOCAL_TTL, LONG_TTL, dns_server, free_port
from ._kind_runner import run_item as run_kind_item
from ._kind_runner import validated_item


@pytest.fixture(scope="module")
def server():
    with dns_server() as running:
        yield running


def validated(item):
    return validated_item(dns_record, item)


def run_item(item, timeout=5.0):
    record = run_kind_item(dns_record, item, timeout)
    return record


def ask(server, name, rdtype="A", timeout=5.0, **options):
    """A check of ``name``/``rdtype`` asked of the test server (never the system's nameservers)."""
    item = dict(name=name, type=rdtype, nameserver=server.address, nameserver_port=server.port)
    item.update(options)
    return run_item(item, timeout)


# --- answers --------------------------------------------------------------------------------------

def test_a_records_matching_exactly_pass_with_everything_observed(server):
    record = ask(server, "api.shop.test", values=["10.0.0.11", "10.0.0.10"])
    assert record["id"] == "dns_record:api.shop.test A"
    assert record["title"] == "DNS api.shop.test A"
    assert (dns_record.SECTION, dns_record.SEVERITY) == ("infrastructure", "high")
    assert record["status"] == "pass", record["summary"]
    observed = record["observed"]
    assert observed["answers"] == ["10.0.0.10", "10.0.0.11"]
    assert observed["ttl"]["value"] == LOCAL_TTL
    assert observed["cname_chain"] == []
    assert observed["nameserver"] == f"127.0.0.1:{server.port}"
    assert 0 < observed["latency_ms"]["value"] < 30000  # a measured figure; how large depends on the machine's load
    assert record["expected"] == {"values": ["10.0.0.10", "10.0.0.11"], "match": "exact"}
    assert record["summary"].startswith("A 10.0.0.10, 10.0.0.11; TTL 1m; latency ")


def test_exact_match_fails_on_missing_and_unexpected_answers(server):
    record = ask(server, "api.shop.test", values=["10.0.0.10", "10.0.0.99"])
    assert record["status"] == "fail"
    assert record["summary"] == "missing 10.0.0.99; unexpected 10.0.0.11"


def test_contains_match_passes_on_a_subset_and_fails_on_a_missing_value(server):
    assert ask(server, "api.shop.test", values=["10.0.0.10"], match="contains")["status"] == "pass"
    record = ask(server, "api.shop.test", values=["10.0.0.10", "10.0.0.99"], match="contains")
    assert record["status"] == "fail"
    assert record["summary"] == "missing 10.0.0.99"


def test_aaaa_values_are_compared_as_addresses(server):
    record = ask(server, "api.shop.test", "AAAA", values=["fd00:0:0::10"])
    assert record["status"] == "pass", record["summary"]
    assert record["id"] == "dns_record:api.shop.test AAAA"
    assert record["observed"]["answers"] == ["fd00::10"]


def test_type_is_case_insensitive_and_names_may_end_with_a_dot(server):
    record = ask(server, "API.shop.test.", "aaaa")
    assert record["id"] == "dns_record:api.shop.test AAAA"
    assert record["status"] == "pass"


def test_mx_values_with_or_without_preference(server):
    record = ask(server, "shop.test", "MX", values=["20 mail2.shop.test", "10 mail.shop.test."])
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["answers"] == ["10 mail.shop.test", "20 mail2.shop.test"]
    assert ask(server, "shop.test", "MX", values=["mail.shop.test", "mail2.shop.test"])["status"] == "pass"
    wrong = ask(server, "shop.test", "MX", values=["20 mail.shop.test", "mail2.shop.test"])
    assert wrong["status"] == "fail"
    assert wrong["summary"] == "missing 20 mail.shop.test; unexpected 10 mail.shop.test"


def test_txt_and_ns_records(server):
    spf = ask(server, "shop.test", "TXT", values=["v=spf1 mx -all"])
    assert spf["status"] == "pass", spf["summary"]
    dmarc = ask(server, "_dmarc.shop.test", "TXT", values=["v=DMARC1; p=none"])
    assert dmarc["status"] == "fail"
    assert dmarc["summary"] == "missing v=DMARC1; p=none; unexpected v=DMARC1; p=reject"
    ns = ask(server, "shop.test", "NS", values=["ns1.shop.test", "ns2.shop.test"], min_count=2)
    assert ns["status"] == "pass", ns["summary"]


def test_cname_query_answers_the_first_hop_only(server):
    record = ask(server, "www.shop.test", "CNAME", values=["a.shop.test"])
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["cname_chain"] == []


def test_cname_chain_is_followed_and_limited(server):
    record = ask(server, "www.shop.test", values=["10.0.0.10", "10.0.0.11"], cname_chain_max=3)
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["cname_chain"] == ["a.shop.test", "b.shop.test", "api.shop.test"]
    assert record["observed"]["cname_chain_length"]["value"] == 3
    too_long = ask(server, "www.shop.test", cname_chain_max=2)
    assert too_long["status"] == "fail"
    assert too_long["summary"] == "CNAME chain length 3 (fail > 2)"
    assert ask(server, "short.shop.test", cname_chain_max=2)["status"] == "pass"


def test_a_cname_whose_target_does_not_exist_is_asked_again_and_fails(server):
    record = ask(server, "dangling.shop.test")
    assert record["status"] == "fail"
    assert record["summary"] == ("dangling.shop.test does not exist "
                                 "(its CNAME chain ends at gone.shop.test, which does not exist)")
    assert record["observed"]["cname_chain"] == ["gone.shop.test"]


def test_addresses_must_be_within_the_cidrs(server):
    inside = ask(server, "api.shop.test", within_cidrs=["10.0.0.0/24"])
    assert inside["status"] == "pass", inside["summary"]
    assert "all within 10.0.0.0/24" in inside["summary"]
    outside = ask(server, "outside.shop.test", within_cidrs=["10.0.0.0/24", "10.1.0.0/16"])
    assert outside["status"] == "fail"
    assert outside["summary"] == "192.0.2.7 outside 10.0.0.0/24, 10.1.0.0/16"
    v6 = ask(server, "api.shop.test", "AAAA", within_cidrs=["fd00::/8"])
    assert v6["status"] == "pass", v6["summary"]


def test_long_ttl_fails_ttl_max(server):
    record = ask(server, "long.shop.test", ttl_max="5m")
    assert record["status"] == "fail"
    assert record["observed"]["ttl"]["value"] == LONG_TTL
    assert record["expected"]["ttl"] == {"fail": {"above": 300}, "unit": "seconds"}
    assert record["summary"] == "TTL 1d (fail > 5m)"
    assert ask(server, "api.shop.test", ttl_max=300)["status"] == "pass"


def test_min_count(server):
    assert ask(server, "api.shop.test", min_count=2)["status"] == "pass"
    record = ask(server, "api.shop.test", min_count=3)
    assert record["status"] == "fail"
    assert record["summary"] == "2 A records (min 3)"


def test_latency_levels_warn_and_fail(server):
    assert ask(server, "api.shop.test", latency_warn_above="2s", latency_fail_above="4s")["status"] == "pass"
    warned = ask(server, "api.shop.test", latency_warn_above="0ms")
    assert warned["status"] == "warn"
    assert warned["summary"].startswith("latency ") and warned["summary"].endswith("(warn > 0ms)")
    failed = ask(server, "api.shop.test", latency_warn_above="0ms", latency_fail_above="0ms")
    assert failed["status"] == "fail"


def test_queries_over_tcp(server):
    record = ask(server, "api.shop.test", protocol="tcp", values=["10.0.0.10", "10.0.0.11"])
    assert record["status"] == "pass", record["summary"]


def test_truncated_udp_answer_is_asked_again_over_tcp(server):
    import dns.flags
    import dns.message
    import dns.query

    truncated = dns.query.udp(dns.message.make_query("big.shop.test", "TXT"), server.address, timeout=2,
                              port=server.port)
    assert truncated.flags & dns.flags.TC  # what the check is given over UDP
    record = ask(server, "big.shop.test", "TXT", min_count=4)
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["answers"] == [str(n) * 200 for n in range(1, 5)]


# --- absent names and types -----------------------------------------------------------------------

def test_nxdomain_fails_unless_absence_is_expected(server):
    record = ask(server, "nope.shop.test")
    assert record["status"] == "fail"
    assert record["summary"] == "nope.shop.test does not exist"
    assert record["observed"]["answers"] == []
    absent = ask(server, "nope.shop.test", expect_absent=True)
    assert absent["status"] == "pass"
    assert absent["summary"].startswith("nope.shop.test does not exist; latency ")
    assert absent["expected"] == {"absent": True}


def test_no_record_of_the_type_fails(server):
    record = ask(server, "api.shop.test", "MX")
    assert record["status"] == "fail"
    assert record["summary"] == "no api.shop.test MX record"
    assert ask(server, "v6.shop.test", "A")["status"] == "fail"
    assert ask(server, "v6.shop.test", "A", expect_absent=True)["status"] == "pass"


def test_an_existing_record_expected_absent_fails(server):
    record = ask(server, "api.shop.test", expect_absent=True)
    assert record["status"] == "fail"
    assert record["summary"] == "api.shop.test A exists (expected absent): 10.0.0.10, 10.0.0.11"


# --- nameservers that do not answer ---------------------------------------------------------------

def test_refused_query_is_an_error(server):
    record = ask(server, "www.example.org")
    assert record["status"] == "error"
    assert record["summary"] == f"nameserver 127.0.0.1:{server.port} answered REFUSED"


def test_dead_nameserver_times_out_as_an_error_within_the_timeout():
    port = free_port()
    started = time.monotonic()
    record = run_item(dict(name="api.shop.test", nameserver="127.0.0.1", nameserver_port=port), timeout=1.0)
    assert time.monotonic() - started < 20  # nothing ever answers: only the 1 s timeout ends it
    assert record["status"] == "error"
    assert record["summary"].startswith(f"nameserver 127.0.0.1:{port} timed out after ")
    assert record["summary"].endswith("(udp)")


def test_dead_nameserver_over_tcp_is_refused_as_an_error():
    port = free_port(socket.SOCK_STREAM)
    record = run_item(dict(name="api.shop.test", nameserver="127.0.0.1", nameserver_port=port, protocol="tcp"))
    assert record["status"] == "error"
    assert record["summary"] == f"nameserver 127.0.0.1:{port} cannot be reached over tcp: Connection refused"


def test_silent_tcp_nameserver_times_out_as_an_error():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections complete in the kernel; nothing is ever read or answered
        port = silent.getsockname()[1]
        started = time.monotonic()
        record = run_item(dict(name="api.shop.test", nameserver="127.0.0.1", nameserver_port=port, protocol="tcp"),
                          timeout=1.0)
    assert time.monotonic() - started < 20  # nothing ever answers: only the 1 s timeout ends it
    assert record["status"] == "error"
    assert "timed out after" in record["summary"]


def test_missing_dnspython_is_an_error_with_the_standard_text(monkeypatch, server):
    params = validated(dict(name="api.shop.test", nameserver=server.address, nameserver_port=server.port))
    plan = dns_record.prepare(params)
    monkeypatch.setitem(sys.modules, "dns", None)  # what an import finds when it is not installed
    [record] = run_checks([PreparedCheck(params, "dns_record:x", "x", dns_record, plan, 5)])
    assert record["status"] == "error"
    assert record["summary"].startswith("Failed to import the required Python library (dnspython)")


# --- options --------------------------------------------------------------------------------------

@pytest.mark.parametrize("item, message", [
    (dict(type="SRV"), "type: 'SRV' is not one of A, AAAA, CNAME, MX, TXT, NS"),
    (dict(name=""), "name: '' is not a domain name"),
    (dict(name="a..shop.test"), "name: 'a..shop.test' is not a domain name (empty label, or a label over 63 "
                                "characters)"),
    (dict(name="x" * 64 + ".test"), "name: '%s.test' is not a domain name (empty label, or a label over 63 "
                                    "characters)" % ("x" * 64)),
    (dict(values=["10.0.0.300"]), "values: '10.0.0.300' is not an IPv4 address"),
    (dict(values=["fd00::1"]), "values: 'fd00::1' is not an IPv4 address"),
    (dict(type="AAAA", values=["10.0.0.1"]), "values: '10.0.0.1' is not an IPv6 address"),
    (dict(type="MX", values=["ten mail.shop.test"]),
     "values: 'ten mail.shop.test' is not an MX value ('10 mail.example.com' or 'mail.example.com')"),
    (dict(values=[]), "values: must list at least one value (use expect_absent for none)"),
    (dict(within_cidrs=["10.0.0.0/33"]), "within_cidrs: '10.0.0.0/33' is not a network in CIDR form (10.0.0.0/8)"),
    (dict(within_cidrs=["office"]), "within_cidrs: 'office' is not a network in CIDR form (10.0.0.0/8)"),
    (dict(within_cidrs=["fd00::/8"]), "within_cidrs: fd00::/8 is an IPv6 network; A records hold IPv4 addresses"),
    (dict(within_cidrs=[]), "within_cidrs: must list at least one network"),
    (dict(type="MX", within_cidrs=["10.0.0.0/8"]), "within_cidrs: only applies to A and AAAA records"),
    (dict(type="TXT", cname_chain_max=1), "cname_chain_max: only applies to A and AAAA records"),
    (dict(cname_chain_max=-1), "cname_chain_max: must not be negative, got -1"),
    (dict(min_count=-2), "min_count: must not be negative, got -2"),
    (dict(ttl_max="5 fortnights"), "ttl_max: unknown duration unit 'fortnights' in '5 fortnights' (use ms, s, m, h, "
                                   "d, w)"),
    (dict(nameserver="ns1.shop.test"), "nameserver: 'ns1.shop.test' is not an IP address"),
    (dict(nameserver="127.0.0.1", nameserver_port=0), "nameserver_port: 0 is outside 1-65535"),
    (dict(nameserver="127.0.0.1", nameserver_port=70000), "nameserver_port: 70000 is outside 1-65535"),
    (dict(latency_warn_above="2s", latency_fail_above="1s"),
     "latency_warn_above/latency_fail_above: the warn level (2s) must be below the fail level (1s)"),
    (dict(expect_absent=True, values=["10.0.0.1"]), "values: does not apply with expect_absent"),
    (dict(expect_absent=True, min_count=1), "min_count: does not apply with expect_absent"),
])
def test_bad_options_are_rejected_naming_the_option(item, message):
    params = dict(name="api.shop.test", nameserver="127.0.0.1", nameserver_port=53)
    params.update(item)
    with pytest.raises(OptionError) as raised:
        dns_record.prepare(validated(params))
    assert str(raised.value) == message


def test_choices_are_enforced_by_the_argument_spec():
    for item in (dict(name="a.test", match="some"), dict(name="a.test", protocol="quic")):
        result = ArgumentSpecValidator(item_spec(dns_record)).validate(item)
        assert result.error_messages
