"""redis end to end: real `ansible localhost -m golive.readiness.redis` runs against the shared Redis on 6379
(read only) and redis-server instances started by the test; passwords must appear nowhere in the output or
the log."""

from __future__ import annotations

import time

from ansible_collections.golive.readiness.plugins.module_utils._checks import redis
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._ports import unused_port
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._redis_servers import (
    ACL_PASSWORD,
    ACL_USER,
    PASSWORD,
    add_acl_user,
    fill_memory,
    primary_and_replica,
    redis_server,
)
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._tcp_servers import TcpServer

from ._adhoc import ansible_run_logged, assert_documents_options


def run_logged(tmp_path, args):
    """ansible_run at -vvv with Ansible's log file on; (completed, result) once no password is found in
    anything Ansible wrote."""
    done, result, written = ansible_run_logged("redis", tmp_path, args)
    for secret in (PASSWORD, ACL_PASSWORD):
        assert secret not in written
    return done, result


def test_primary_and_replica_pass_with_every_expectation(tmp_path):
    with primary_and_replica("--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru", "--appendonly", "yes",
                             "--save", "3600 1", password=PASSWORD) as (primary, replica):
        add_acl_user(primary, "+ping", "+info", "+config|get")
        done, result = run_logged(tmp_path, {"checks": [
            {"host": "127.0.0.1", "port": primary.port, "username": ACL_USER, "password": ACL_PASSWORD,
             "role": "primary", "min_replicas": 1, "latency_warn_above": "20s", "latency_fail_above": "30s",
             "memory_used_warn_above": "75%", "memory_used_fail_above": "90%", "eviction_policy": "allkeys-lru",
             "require_aof": True, "require_rdb": True, "rdb_last_save_max_age": "1h"},
            {"host": "127.0.0.1", "port": replica.port, "password": PASSWORD, "role": "replica",
             "replica_link_required": True,
             "replica_lag_fail_above": "1h"},
            {"host": "127.0.0.1", "port": 6379, "db": 15, "latency_fail_above": "30s"},
        ]})
    assert done.returncode == 0, done.stdout
    records = result["golive_checks"]
    assert [r["status"] for r in records] == ["pass", "pass", "pass"], [r["summary"] for r in records]
    assert records[0]["id"] == f"redis:127.0.0.1:{primary.port}"
    assert records[0]["title"] == f"Redis 127.0.0.1:{primary.port}"
    assert (records[0]["section"], records[0]["severity"]) == ("services", "critical")
    assert records[0]["observed"]["online_replicas"]["value"] == 1
    assert records[0]["observed"]["rdb_save"] == "3600 1"
    assert records[1]["observed"]["master_link_status"] == "up"
    assert records[2]["id"] == "redis:127.0.0.1:6379/15"
    assert result["msg"] == "3 checks: 3 pass"


def test_failures_and_errors_in_one_call(tmp_path):
    refused = unused_port()
    silent = TcpServer().start()
    try:
        with redis_server(password=PASSWORD) as secured, \
                redis_server("--maxmemory", "2mb", "--maxmemory-policy", "noeviction") as full:
            fill_memory(full, 200)
            started = time.monotonic()
            done, result = run_logged(tmp_path, {"checks": [
                {"host": "127.0.0.1", "port": secured.port, "password": PASSWORD + "-wrong"},
                {"host": "127.0.0.1", "port": secured.port, "id": "redis:no-password"},
                {"host": "127.0.0.1", "port": refused},
                {"host": "127.0.0.1", "port": silent.port, "timeout": "1s"},
                {"host": "127.0.0.1", "port": full.port, "memory_used_warn_above": "75%",
                 "memory_used_fail_above": "90%", "eviction_policy": "allkeys-lru"},
                {"host": "127.0.0.1", "port": secured.port, "password": PASSWORD, "role": "replica",
                 "id": "redis:misfit",
                 "require_aof": True, "cluster_state_ok": True, "latency_warn_above": "0ms"},
            ]})
            elapsed = time.monotonic() - started
    finally:
        silent.stop()
    assert done.returncode == 2
    assert elapsed < 60  # the silent server never answers: only the timeouts end the call, however loaded the machine
    summaries = [(r["status"], r["summary"]) for r in result["golive_checks"]]
    assert summaries[0] == ("error", "authentication failed for the default user: "
                                     "invalid username-password pair or user is disabled.")
    assert summaries[1] == ("error", "authentication required: Authentication required.")
    assert summaries[2] == ("error", f"cannot connect to 127.0.0.1:{refused}: Connection refused")
    assert summaries[3][0] == "error" and "timed out" in summaries[3][1]
    assert summaries[4][0] == "fail"
    assert summaries[4][1].startswith("memory used (")
    assert "maxmemory-policy is noeviction, expected allkeys-lru" in summaries[4][1]
    assert summaries[5][0] == "fail"
    assert summaries[5][1].startswith("role is master, expected replica; AOF is off (appendonly no); "
                                      "cluster mode is off (cluster_enabled:0); PONG in ")  # warnings come last
    assert result["golive_counts"] == {"pass": 0, "warn": 0, "fail": 2, "error": 4, "skipped": 0}


def test_bad_option_fails_the_task_naming_it(tmp_path):
    done, result = run_logged(tmp_path, {"checks": [
        {"host": "127.0.0.1", "username": ACL_USER},
        {"host": "127.0.0.1", "password": PASSWORD, "memory_used_fail_above": "120%"},
        {"host": "127.0.0.1", "role": "master", "replica_link_required": True},
    ]})
    assert done.returncode == 2
    assert result["msg"] == (
        "invalid check options: checks[0]: username: given without password; "
        "checks[1]: memory_used_fail_above: '120%' is outside 0-100%; "
        "checks[2]: replica_link_required: contradicts role: master (only a replica has a link)")
    assert "golive_checks" not in result


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("redis", redis)
    assert redis.OPTIONS["password"]["no_log"] is True
    assert doc["options"]["checks"]["suboptions"]["role"]["choices"] == ["master", "primary", "replica"]
