"""redis against real Redis servers on 127.0.0.1: the shared server on 6379 (read only) and redis-server
instances the tests start themselves (a primary and a replica, one with a password and an ACL user, one with
maxmemory filled up, one with AOF, one with RDB snapshots, a cluster node, one with TLS), plus a listener
that never answers."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import redis as kind

from ._hostile_servers import hostile, huge_bulk_redis
from ._kind_runner import described, prepared, run_item
from ._ports import unused_port
from ._redis_servers import (
    ACL_PASSWORD,
    ACL_USER,
    PASSWORD,
    add_acl_user,
    cluster_node,
    fill_memory,
    primary_and_replica,
    redis_server,
    tls_supported,
)
from ._smtpservers import MintedCA
from ._tcp_servers import TcpServer

SECRETS = (PASSWORD, ACL_PASSWORD)


def check(port, timeout=5.0, **item):
    item.setdefault("host", "127.0.0.1")
    record = run_item(kind, dict(item, port=port), timeout)
    shown = json.dumps(record)
    for secret in SECRETS:
        assert secret not in shown
    return record


def prepare(**item):
    item.setdefault("host", "127.0.0.1")
    return prepared(kind, item)


@pytest.fixture(scope="module")
def plain():
    with redis_server() as server:
        yield server


@pytest.fixture(scope="module")
def pair():
    with primary_and_replica() as servers:
        yield servers


@pytest.fixture(scope="module")
def secured():
    """requirepass PASSWORD, and an ACL user that may PING and INFO but not CONFIG."""
    with redis_server(password=PASSWORD) as server:
        add_acl_user(server, "+ping", "+info")
        yield server


@pytest.fixture(scope="module")
def three_quarters_full():
    with redis_server("--maxmemory", "4mb", "--maxmemory-policy", "noeviction") as server:
        server.used_percent = fill_memory(server, 75)
        yield server


# --- reachability and latency ---------------------------------------------------------------------

def test_shared_server_passes_read_only_on_a_spare_db():
    record = check(6379, db=15, latency_warn_above="20s", latency_fail_above="30s")
    assert record["status"] == "pass", record["summary"]
    assert record["id"] == "redis:127.0.0.1:6379/15"
    assert record["title"] == "Redis 127.0.0.1:6379/15"
    assert (record["section"], record["severity"]) == ("services", "critical")
    assert record["summary"].startswith("PONG in ")
    assert record["observed"]["redis_version"]
    assert record["expected"]["latency_ms"] == {"warn": {"above": 20000}, "fail": {"above": 30000}, "unit": "ms"}


def test_latency_above_levels_warns_or_fails(plain):
    warned = check(plain.port, latency_warn_above="0ms", latency_fail_above="10s")
    assert warned["status"] == "warn"
    assert warned["summary"].startswith("PONG in ") and warned["summary"].endswith("(warn > 0ms, fail > 10s)")
    assert warned["observed"]["latency_ms"]["value"] > 0
    assert check(plain.port, latency_fail_above="0ms")["status"] == "fail"
    assert check(plain.port)["id"] == f"redis:127.0.0.1:{plain.port}"


def test_refused_connection_is_an_error():
    port = unused_port()
    record = check(port)
    assert record["status"] == "error"
    assert record["summary"] == f"cannot connect to 127.0.0.1:{port}: Connection refused"


def test_server_that_never_answers_times_out_within_the_check():
    silent = TcpServer().start()  # connections complete in the kernel and are never answered
    try:
        started = time.monotonic()
        record = check(silent.port, timeout=1.0)
        elapsed = time.monotonic() - started
    finally:
        silent.stop()
    assert record["status"] == "error"
    # The socket waits for what the check has left (about 800ms of its 1s), which the machine's load shortens.
    assert re.fullmatch(r"timed out after [0-9]+ms waiting for the answer to PING", record["summary"])
    assert elapsed < 20  # the listener never answers: only the 1 s timeout ends it


def test_missing_database_is_an_error(plain):
    record = check(plain.port, db=99)
    assert record["status"] == "error"
    assert record["summary"] == "cannot select db 99: DB index is out of range"


# --- authentication -------------------------------------------------------------------------------

def test_password_and_acl_user_pass(secured):
    assert check(secured.port, password=PASSWORD)["status"] == "pass"
    assert check(secured.port, username=ACL_USER, password=ACL_PASSWORD)["status"] == "pass"


def test_wrong_password_is_an_error_that_does_not_show_it(secured):
    record = check(secured.port, password=ACL_PASSWORD)
    assert record["status"] == "error"
    assert record["summary"] == ("authentication failed for the default user: "
                                 "invalid username-password pair or user is disabled.")
    record = check(secured.port, username=ACL_USER, password=PASSWORD)
    assert record["status"] == "error"
    assert record["summary"].startswith(f"authentication failed for user {ACL_USER}: ")


def test_missing_password_is_an_error(secured):
    record = check(secured.port)
    assert record["status"] == "error"
    assert record["summary"] == "authentication required: Authentication required."


def test_user_without_info_permission_is_an_error(plain):
    add_acl_user(plain, "+ping")
    record = check(plain.port, username=ACL_USER, password=ACL_PASSWORD)
    assert record["status"] == "error"
    assert record["summary"].startswith("INFO failed: ")
    assert "no permissions to run the 'info' command" in record["summary"]


# --- role and replication -------------------------------------------------------------------------

def test_role_of_primary_and_replica(pair):
    primary, replica = pair
    assert check(replica.port, role="replica")["status"] == "pass"
    for role in ("master", "primary"):
        record = check(primary.port, role=role)
        assert record["status"] == "pass", record["summary"]
        assert record["observed"]["role"] == "master" and record["expected"]["role"] == "master"
    record = check(primary.port, role="replica")
    assert record["status"] == "fail"
    assert record["summary"] == "role is master, expected replica"


def test_replica_link_up_passes_and_a_master_has_none(pair):
    primary, replica = pair
    record = check(replica.port, replica_link_required=True)
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["master"] == f"127.0.0.1:{primary.port}"
    assert record["observed"]["master_link_status"] == "up"
    assert record["observed"]["replica_offset_lag"]["unit"] == "bytes"
    assert record["observed"]["replica_offset_lag"]["value"] >= 0
    record = check(primary.port, replica_link_required=True)
    assert record["status"] == "fail"
    assert record["summary"] == "not a replica (role master): no replication link"


def test_replica_lag_grows_while_the_primary_is_quiet(pair):
    primary, replica = pair
    assert check(replica.port, replica_lag_fail_above="1h")["status"] == "pass"
    time.sleep(2.2)  # the primary pings its replicas only every 60s
    warned = check(replica.port, replica_lag_warn_above="1s", replica_lag_fail_above="1h")
    assert warned["status"] == "warn", warned["summary"]
    assert warned["observed"]["replica_lag_seconds"]["value"] >= 2
    assert "master last heard" in warned["summary"] and "(warn > 1s, fail > 1h)" in warned["summary"]
    assert check(replica.port, replica_lag_fail_above="1s")["status"] == "fail"
    record = check(primary.port, replica_lag_warn_above="1s")
    assert record["status"] == "fail" and record["summary"] == "not a replica (role master): no replication link"


def test_cut_replication_link_fails():
    with primary_and_replica() as (primary, replica):
        primary.stop()
        replica.wait_for(lambda info: info.get("master_link_status") == "down", "the link to go down")
        record = check(replica.port, role="replica", replica_link_required=True, replica_lag_fail_above="1h")
        lag_only = check(replica.port, replica_lag_warn_above="1h")
    assert record["status"] == "fail"
    assert record["summary"].startswith(f"replication link to 127.0.0.1:{primary.port} is down")
    assert record["observed"]["master_link_status"] == "down"
    assert record["observed"]["replica_lag_seconds"] is None
    assert lag_only["status"] == "fail"
    assert lag_only["summary"].startswith(f"replica lag unknown: replication link to 127.0.0.1:{primary.port} is down")


def test_min_replicas_counts_online_replicas(pair):
    primary, replica = pair
    record = check(primary.port, min_replicas=1)
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["online_replicas"]["value"] == 1
    assert record["observed"]["replicas"][0]["address"] == f"127.0.0.1:{replica.port}"
    assert record["observed"]["replicas"][0]["state"] == "online"
    assert record["observed"]["replicas"][0]["lag"]["unit"] == "seconds"
    assert record["observed"]["connected_replicas"] == {"value": 1, "unit": "count"}
    record = check(primary.port, min_replicas=2)
    assert record["status"] == "fail"
    assert record["summary"] == "1 replica online, expected at least 2"
    assert check(replica.port, min_replicas=1)["summary"] == "0 replicas online, expected at least 1"


# --- memory and eviction --------------------------------------------------------------------------

def test_memory_percent_of_maxmemory(three_quarters_full):
    port, used = three_quarters_full.port, three_quarters_full.used_percent
    assert 70 <= used < 90, used
    record = check(port, memory_used_warn_above="95%")
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["maxmemory"] == {"value": 4 * 1024 * 1024, "unit": "bytes"}
    assert record["observed"]["used_memory"]["unit"] == "bytes" and record["observed"]["used_memory"]["value"] > 0
    assert record["observed"]["uptime_seconds"]["unit"] == "seconds"
    assert abs(record["observed"]["memory_used_percent"]["value"] - used) < 5
    warned = check(port, memory_used_warn_above="50%", memory_used_fail_above="95")
    assert warned["status"] == "warn"
    assert warned["summary"].startswith("memory used (")
    warned_percent = warned["observed"]["memory_used_percent"]["value"]
    assert warned["summary"].endswith(f"of 4.0 MiB) {warned_percent:.1f}% (warn > 50.0%, fail > 95.0%)")
    assert check(port, memory_used_fail_above=60)["status"] == "fail"


def test_full_instance_fails():
    with redis_server("--maxmemory", "2mb", "--maxmemory-policy", "noeviction") as server:
        fill_memory(server, 200)  # until the server refuses writes
        record = check(server.port, memory_used_warn_above="80", memory_used_fail_above="90",
                       eviction_policy="noeviction")
    assert record["status"] == "fail"
    assert record["observed"]["memory_used_percent"]["value"] > 90
    assert "maxmemory-policy noeviction" not in record["summary"]  # only findings are shown when failing


def test_unlimited_memory_fails_unless_allowed(plain):
    record = check(plain.port, memory_used_warn_above="80%")
    assert record["status"] == "fail"
    assert record["summary"].startswith("maxmemory is not set (unlimited), ")
    assert record["observed"]["maxmemory"] == {"value": 0, "unit": "bytes"}
    assert record["observed"]["memory_used_percent"] is None
    record = check(plain.port, memory_used_warn_above="80%", require_maxmemory=False)
    assert record["status"] == "pass"
    assert "used of unlimited memory (maxmemory 0)" in record["summary"]
    assert check(plain.port, require_maxmemory=True)["status"] == "fail"


def test_eviction_policy_from_info(three_quarters_full, plain):
    record = check(three_quarters_full.port, eviction_policy="noeviction")
    assert record["status"] == "pass"
    assert "maxmemory-policy noeviction" in record["summary"]
    record = check(plain.port, eviction_policy="allkeys-lru")
    assert record["status"] == "fail"
    assert record["summary"] == "maxmemory-policy is noeviction, expected allkeys-lru"


def test_eviction_policy_read_by_a_user_without_config(secured):
    record = check(secured.port, username=ACL_USER, password=ACL_PASSWORD, eviction_policy="noeviction")
    assert record["status"] == "pass", record["summary"]


# --- persistence ----------------------------------------------------------------------------------

def test_require_aof():
    with redis_server("--appendonly", "yes") as server:
        record = check(server.port, require_aof=True)
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["aof_enabled"] is True and "AOF on" in record["summary"]


def test_require_aof_fails_when_off(plain):
    record = check(plain.port, require_aof=True)
    assert record["status"] == "fail"
    assert record["summary"] == "AOF is off (appendonly no)"


def test_require_rdb_reads_the_save_schedule(plain):
    with redis_server("--save", "3600 1 300 100") as server:
        record = check(server.port, require_rdb=True)
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["rdb_save"] == "3600 1 300 100"
    record = check(plain.port, require_rdb=True)
    assert record["status"] == "fail"
    assert record["summary"] == 'RDB snapshots are off (save "")'


def test_require_rdb_without_config_permission_judges_by_snapshots():
    with redis_server() as server:
        add_acl_user(server, "+ping", "+info")
        unknown = check(server.port, username=ACL_USER, password=ACL_PASSWORD, require_rdb=True)
        server.admin().bgsave()
        server.wait_for(lambda info: info["rdb_bgsave_in_progress"] == 0 and info["rdb_saves"] > 0, "a snapshot")
        known = check(server.port, username=ACL_USER, password=ACL_PASSWORD, require_rdb=True)
    assert unknown["status"] == "error"
    assert unknown["summary"].startswith("cannot tell whether RDB snapshots are configured: "
                                         "CONFIG GET save is not allowed (")
    assert known["status"] == "pass", known["summary"]
    assert "RDB snapshots taken since start (CONFIG GET save not allowed" in known["summary"]


def test_last_rdb_save_age(plain):
    time.sleep(max(0.0, 2.2 - plain.info()["uptime_in_seconds"]))  # Redis counts its start as a save
    record = check(plain.port, rdb_last_save_max_age="1h")
    assert record["status"] == "pass", record["summary"]
    record = check(plain.port, rdb_last_save_max_age="1s")
    assert record["status"] == "fail"
    assert record["summary"].startswith("last RDB save ") and record["summary"].endswith(" ago (max 1s)")
    assert record["observed"]["rdb_last_save_age_seconds"]["value"] >= 2


def test_failed_snapshot_fails():
    with redis_server() as server:
        shutil.rmtree(server.directory)  # the snapshot cannot be written anywhere
        server.admin().bgsave()
        server.wait_for(lambda info: info["rdb_last_bgsave_status"] == "err", "the snapshot to fail")
        record = check(server.port, rdb_last_save_max_age="1h")
    assert record["status"] == "fail"
    assert record["summary"] == "the last RDB snapshot failed (rdb_last_bgsave_status err)"


# --- cluster --------------------------------------------------------------------------------------

def test_cluster_state_follows_slot_assignment():
    with cluster_node() as server:
        failing = check(server.port, cluster_state_ok=True)
        server.admin().execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
        ends = time.monotonic() + 10
        while server.admin().cluster("info")["cluster_state"] != "ok" and time.monotonic() < ends:
            time.sleep(0.05)
        passing = check(server.port, cluster_state_ok=True)
    assert failing["status"] == "fail"
    assert failing["summary"] == "cluster_state is fail (0 of 16384 slots assigned)"
    assert failing["observed"]["cluster_enabled"] is True
    assert passing["status"] == "pass", passing["summary"]
    assert passing["observed"]["cluster_slots_assigned"] == {"value": 16384, "unit": "count"}
    assert "cluster_state ok" in passing["summary"]


def test_cluster_state_fails_outside_cluster_mode(plain):
    record = check(plain.port, cluster_state_ok=True)
    assert record["status"] == "fail"
    assert record["summary"] == "cluster mode is off (cluster_enabled:0)"


# --- TLS ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    supported, why = tls_supported()
    if not supported:
        pytest.skip(why)
    ca = MintedCA(tmp_path_factory.mktemp("redis-ca"))
    ca.server_context("redis.shop.test")  # writes redis.shop.test.crt/.key, valid for 127.0.0.1 too
    stem = os.path.join(ca.directory, "redis.shop.test")
    with redis_server(password=PASSWORD, tls=(ca.ca_file, stem + ".crt", stem + ".key")) as server:
        yield ca, server


def test_tls_with_the_ca_passes(tls):
    ca, server = tls
    record = check(server.port, tls=True, ca_file=ca.ca_file, password=PASSWORD)
    assert record["status"] == "pass", record["summary"]
    assert record["expected"]["tls"] is True


def test_tls_certificate_from_an_unknown_issuer_fails(tls):
    record = check(tls[1].port, tls=True, password=PASSWORD)
    assert record["status"] == "fail"
    # redis-server sends its CA along, so the chain ends in a self-signed certificate nobody trusts here
    assert record["summary"] == "certificate not verified: self-signed certificate in certificate chain"


def test_tls_without_verification_passes(tls):
    assert check(tls[1].port, tls=True, validate_certs=False, password=PASSWORD)["status"] == "pass"


def test_tls_against_a_plain_server_and_plain_against_tls_are_errors(tls, plain):
    # a plain Redis takes the TLS ClientHello for the start of a command and waits for its end
    record = check(plain.port, tls=True, validate_certs=False, timeout=1.0)
    assert record["status"] == "error"
    # Either redis-py's connect timeout says so, or, on a loaded machine, the runner's check timeout wins.
    timed_out = rf"timed out after (\d+ms connecting to 127\.0\.0\.1:{plain.port} \(TCP, TLS handshake and AUTH\)|1s)"
    assert re.fullmatch(timed_out, record["summary"]), record["summary"]
    record = check(tls[1].port, password=PASSWORD, timeout=2.0)
    assert record["status"] == "error"
    assert record["summary"] == f"cannot connect to 127.0.0.1:{tls[1].port}: Connection reset by peer"


def test_unreadable_ca_file_is_an_error(tls, tmp_path):
    record = check(tls[1].port, tls=True, ca_file=str(tmp_path / "absent.pem"), password=PASSWORD)
    assert record["status"] == "error"
    assert record["summary"] == f'ca_file: cannot read {tmp_path / "absent.pem"}'


# --- the library ----------------------------------------------------------------------------------

def test_missing_redis_library_is_an_error_naming_it():
    script = textwrap.dedent("""\
        import json, sys
        sys.modules["redis"] = None  # this interpreter has no redis-py
        from ansible_collections.golive.readiness.plugins.module_utils._checks import redis as kind
        from ansible_collections.golive.readiness.plugins.module_utils._runner import PreparedCheck, run_checks
        from ansible_collections.golive.readiness.plugins.module_utils._module import validated_item
        plan = kind.prepare(validated_item(dict(host="127.0.0.1", port=6379), kind))
        [record] = run_checks([PreparedCheck({}, "t", "t", kind, plan, 5.0)])
        print(json.dumps(record))
        """)
    collections = [p for p in sys.path if p.endswith(".collections")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(collections))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["status"] == "error"
    assert "Failed to import the required Python library (redis)" in record["summary"]


# --- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize("item, message", [
    (dict(host=""), "host: must not be empty"),
    (dict(host="cache one"), "host: 'cache one' is not a host name or address"),
    (dict(port=0), "port: 0 is not a TCP port (1-65535)"),
    (dict(db=-1), "db: -1 must not be negative"),
    (dict(username="app"), "username: given without password"),
    (dict(ca_file="/etc/ca.pem"), "ca_file: only applies with tls: true"),
    (dict(latency_warn_above="fast"), "latency_warn_above: 'fast' is not a number with an optional unit"),
    (dict(latency_warn_above="2s", latency_fail_above="1s"),
     "latency_warn_above/latency_fail_above: the warn level (2s) must be below the fail level (1s)"),
    (dict(role="master", replica_link_required=True),
     "replica_link_required: contradicts role: master (only a replica has a link)"),
    (dict(role="primary", replica_lag_fail_above="10s"),
     "replica_lag_warn_above/replica_lag_fail_above: contradict role: primary (only a replica lags)"),
    (dict(replica_lag_warn_above="10parsecs"), "replica_lag_warn_above: unknown duration unit 'parsecs'"),
    (dict(min_replicas=-1), "min_replicas: -1 must not be negative"),
    (dict(memory_used_fail_above="150%"), "memory_used_fail_above: '150%' is outside 0-100%"),
    (dict(memory_used_warn_above="1GB"), "memory_used_warn_above: '1GB' is not a percentage"),
    (dict(eviction_policy="LRU!"), "eviction_policy: 'LRU!' is not a maxmemory-policy name"),
    (dict(rdb_last_save_max_age="0s"), "rdb_last_save_max_age: must be greater than zero"),
    (dict(rdb_last_save_max_age="yesterday"), "rdb_last_save_max_age: 'yesterday' is not a number"),
])
def test_bad_options_name_the_option(item, message):
    with pytest.raises(OptionError) as raised:
        prepare(**item)
    assert str(raised.value).startswith(message)


def test_prepare_touches_no_network():
    plan = prepare(host="cache.invalid", port=1, memory_used_warn_above="80%")
    assert plan["require_maxmemory"] is True
    assert prepare(host="::1")["host"] == "::1"
    assert described(kind, dict(host="::1", port=6380, db=2)) == ("[::1]:6380/2", "Redis [::1]:6380/2")


def test_reply_announcing_gigabytes_is_an_error_naming_the_cap():
    server = hostile(huge_bulk_redis)
    try:
        record = check(server.port, timeout=30.0)
    finally:
        server.stop()
    assert record["status"] == "error"
    assert "REDIS_READ_CAP" in record["summary"] and "1.0 MiB" in record["summary"]
