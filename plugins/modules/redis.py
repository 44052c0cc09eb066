#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: redis
short_description: Check a Redis server's latency, role, replication, memory, eviction, persistence and cluster state
version_added: 0.1.0
description:
  - For each server, connects (optionally over TLS, as a user with a password), measures the C(PING) round
    trip and reads C(INFO) once, then grades what the item asks for - the role, the replication link and
    lag of a replica, the replicas online on a master, memory used as a percentage of C(maxmemory), the
    eviction policy, AOF and RDB persistence, and the cluster state.
  - B(Read-only.) The only commands sent are C(AUTH) and C(SELECT) (while connecting), C(PING), C(INFO),
    C(CONFIG GET save) (only with I(require_rdb)) and C(CLUSTER INFO) (only on a node in cluster mode).
    Never C(SET), C(CONFIG SET) or C(FLUSH*); redis-py's C(CLIENT SETINFO) is switched off.
  - C(error) when the server cannot be evaluated - connection refused, unknown host, authentication
    failed or required, no answer before the check's time limit (the summary says C(timed out)), a
    C(db) that does not exist, a user not allowed to run C(PING) or C(INFO), a server still loading
    its dataset.
  - C(fail) when an expectation is not met, including a TLS certificate that does not verify (the
    reason is named) or a TLS handshake that fails.
  - The password is handed to the server only and never appears in results, not even masked.
  - An endpoint check; runs on the probe host.
  - B(Size cap.) At most 1 MiB (C(REDIS_READ_CAP)) is read from the server over the whole check; a
    reply that announces or streams more (a hostile or broken server) ends the check as C(error)
    naming C(REDIS_READ_CAP), whatever length the reply claims.
author: golive.readiness contributors (@golive-readiness)
requirements:
  - redis (redis-py) 5.0 or later on the host that runs the check
extends_documentation_fragment:
  - golive.readiness.check_item
options:
  checks:
    description:
      - The Redis servers to check, one item each.
      - An item's C(id) defaults to C(redis:<host>:<port>), with C(/<db>) when I(db) is set and not V(0).
      - Its C(title) defaults to C(Redis <host>:<port>) (with C(/<db>) like the id).
      - An item's C(timeout) is the time limit of this check, connecting included. Every network step is bounded by
        what is left of it.
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(redis) item defaults to section V(services) and severity V(critical).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description: Host name or address of the Redis server.
        type: str
        required: true
      port:
        description: TCP port (the TLS port with I(tls=true)).
        type: int
        default: 6379
      db:
        description:
          - Database number to select; only selected, never written. A number the server does not have
            is an C(error).
        type: int
      username:
        description: ACL user (Redis 6 and later) to authenticate as. Requires I(password).
        type: str
      password:
        description:
          - Password of I(username), or the C(requirepass) password without I(username) (C(no_log)).
        type: str
      tls:
        description: Connect over TLS.
        type: bool
        default: false
      ca_file:
        description: PEM file of the CA certificates to trust instead of the system's. Only with I(tls=true).
        type: path
      validate_certs:
        description:
          - With I(tls=true), verify the server certificate (chain to a trusted CA, validity, I(host) as its
            name). A certificate that does not verify makes the check C(fail).
        type: bool
        default: true
      latency_warn_above:
        description: Warn when the C(PING) round trip takes longer than this duration (V(5ms), V(1s)).
        type: str
      latency_fail_above:
        description: Fail when the C(PING) round trip takes longer than this duration.
        type: str
      role:
        description:
          - The replication role the server must have (C(INFO replication) C(role)).
          - V(primary) is a synonym of V(master); a server reporting C(slave) is a V(replica).
        type: str
        choices: [master, primary, replica]
      replica_link_required:
        description:
          - The server must be a replica whose link to its master is up (C(master_link_status:up)).
            A master fails it.
        type: bool
        default: false
      replica_lag_warn_above:
        description:
          - On a replica, warn when the master was last heard from longer ago than this duration
            (C(master_last_io_seconds_ago)). A master sends replicas a ping every
            C(repl-ping-replica-period) (10s by default) even when idle, so levels below that warn on an
            idle, healthy pair.
          - The replication offset difference (C(master_repl_offset) - C(slave_repl_offset)) is reported as
            C(replica_offset_lag), not graded.
          - A replica whose link is down fails, whatever the levels. A master fails it.
        type: str
      replica_lag_fail_above:
        description: On a replica, fail when the master was last heard from longer ago than this duration.
        type: str
      min_replicas:
        description:
          - Fail when fewer replicas than this are C(online) (from the C(slaveN) lines of C(INFO replication);
            replicas still syncing do not count).
        type: int
      memory_used_warn_above:
        description:
          - Warn when C(used_memory) is above this percentage of C(maxmemory) (V(80%) or V(80)).
        type: str
      memory_used_fail_above:
        description: Fail when C(used_memory) is above this percentage of C(maxmemory).
        type: str
      require_maxmemory:
        description:
          - Fail when C(maxmemory) is V(0) (unlimited; Redis grows until the host runs out of memory).
          - Defaults to V(true) when a memory level is set, else V(false); with V(false), an unlimited
            server only has its memory use reported.
        type: bool
      eviction_policy:
        description:
          - The C(maxmemory-policy) the server must have (V(noeviction), V(allkeys-lru), V(allkeys-lfu),
            V(allkeys-random), V(volatile-lru), V(volatile-lfu), V(volatile-random), V(volatile-ttl)).
          - Read from C(INFO memory), so it works for users not allowed C(CONFIG).
        type: str
      require_aof:
        description: Fail unless the append-only file is on (C(aof_enabled:1)) and its last write succeeded.
        type: bool
        default: false
      require_rdb:
        description:
          - Fail unless RDB snapshots are scheduled (C(CONFIG GET save) is not empty) and the last snapshot
            succeeded.
          - When C(CONFIG) is not allowed (ACL, or the command renamed away), the schedule cannot be read;
            the check then passes when C(INFO persistence) shows a snapshot since the server started
            (C(rdb_saves)), and is an C(error) (cannot tell) when it shows none.
        type: bool
        default: false
      rdb_last_save_max_age:
        description:
          - Fail when the last successful RDB save (C(rdb_last_save_time), by the server's own clock) is
            older than this duration (V(1h), V(1d)), or when the last snapshot failed.
          - Redis counts its start (or the load of its dataset) as a save.
        type: str
      cluster_state_ok:
        description:
          - The server must run in cluster mode and C(CLUSTER INFO) must report C(cluster_state:ok).
        type: bool
        default: false
      # BEGIN generated: item options (scripts/generate; do not edit by hand)
      id:
        description:
          - Result id, unique within a host; waivers and reports refer to it.
          - Its default is given in the description of O(checks).
        type: str
      title:
        description: Human title; its default is given in the description of O(checks).
        type: str
      section:
        description:
          - Checklist section of this check; defaults to the module's O(section), else the kind's (see
            O(checks)).
        type: str
      severity:
        description: Severity of this check; defaults to the module's O(severity), else the kind's (see O(checks)).
        type: str
        choices: [critical, high, medium, low]
      timeout:
        description:
          - Time limit of this check, as a duration (V(10s), V(500ms), V(2m)) or seconds; defaults to the module's
            O(timeout).
          - What it bounds besides the check itself, if anything, is said in the description of O(checks).
        type: raw
      target:
        description: Inventory host this check is about, when it runs from another (probe) host.
        type: str
      hint:
        description:
          - What to do when this check does not pass (a runbook step, a command, a link), at most 1000 characters.
          - Carried in the result and shown beside the check in the HTML, Markdown and JUnit reports when it
            warns, fails or errs.
        type: str
      contact:
        description:
          - Who acts when this check does not pass (a team, a person, a channel), at most 200 characters.
          - Carried in the result and shown beside the check, with O(checks[].hint), when it warns, fails or errs.
        type: str
      # END generated: item options
seealso:
  - module: golive.readiness.verify
"""

EXAMPLES = r"""
- name: The cache answers fast, is a master with a replica online, and evicts before it fills up
  golive.readiness.redis:
    checks:
      - host: cache.internal.example.com
        password: "{{ vault_redis_password }}"
        role: primary
        min_replicas: 1
        latency_warn_above: 5ms
        latency_fail_above: 50ms
        memory_used_warn_above: 75%
        memory_used_fail_above: 90%
        eviction_policy: allkeys-lru
  delegate_to: localhost

- name: The queue's replica keeps up and the data is persisted
  golive.readiness.redis:
    checks:
      - host: queue-replica.internal.example.com
        port: 6380
        tls: true
        ca_file: /etc/ssl/internal-ca.pem
        username: golive-probe
        password: "{{ vault_redis_probe_password }}"
        role: replica
        replica_link_required: true
        replica_lag_warn_above: 15s
        replica_lag_fail_above: 60s
        require_aof: true
        require_rdb: true
        rdb_last_save_max_age: 2h

- name: A node of the session cluster has every slot served
  golive.readiness.redis:
    checks:
      - host: sessions-1.internal.example.com
        cluster_state_ok: true
        latency_fail_above: 20ms
"""

RETURN = r"""
golive_checks:
  description:
    - One record per server, in the order of O(checks).
    - C(observed) holds C(latency_ms) (ms), C(redis_version), C(redis_mode), C(uptime_seconds) (seconds), C(role)
      (V(master) or V(replica)), C(connected_replicas) and C(online_replicas) (counts), C(replicas) (address,
      state, offset, lag in seconds of each), C(used_memory) and C(maxmemory) (bytes, as Redis reports
      them), C(maxmemory_policy), C(memory_used_percent) (percent, null without I(maxmemory)), C(aof_enabled),
      C(aof_last_write_status), C(rdb_last_bgsave_status), C(rdb_changes_since_last_save) (a count); on a replica
      C(master), C(master_link_status), C(master_link_down_seconds) (seconds), C(replica_offset_lag) (bytes of the
      replication stream) and C(replica_lag_seconds) (seconds); with I(require_rdb) C(rdb_save) (the schedule,
      or null when C(CONFIG) is not allowed); with I(rdb_last_save_max_age) C(rdb_last_save_age_seconds)
      (seconds); C(cluster_enabled), and
      in cluster mode C(cluster_state), C(cluster_slots_assigned) and C(cluster_known_nodes) (counts).
    - C(expected) holds C(tls), the levels of C(latency_ms), C(online_replicas), C(memory_used_percent),
      C(replica_lag_seconds) and C(rdb_last_save_age_seconds) that are set, and C(role), C(master_link_status),
      C(maxmemory), C(maxmemory_policy), C(aof_enabled), C(rdb_save) and C(cluster_state) as asked for.
  returned: always
  type: list
  elements: dict
  sample:
    - id: redis:cache.internal:6379
      kind: redis
      section: services
      title: Redis cache.internal:6379
      status: pass
      severity: critical
      summary: PONG in 1.3ms; 1 replica online; memory used (422.1 MiB of 1.0 GiB) 41.2% (warn > 80.0%, fail > 95.0%)
      observed:
        latency_ms: {value: 1.3, unit: ms}
        redis_version: 7.2.4
        redis_mode: standalone
        uptime_seconds: {value: 1209600, unit: seconds}
        role: master
        connected_replicas: {value: 1, unit: count}
        online_replicas: {value: 1, unit: count}
        replicas: [{address: '10.0.0.12:6379', state: online, offset: 88123411, lag: {value: 0, unit: seconds}}]
        used_memory: {value: 442619904, unit: bytes}
        maxmemory: {value: 1073741824, unit: bytes}
        maxmemory_policy: allkeys-lru
        memory_used_percent: {value: 41.2, unit: percent}
        aof_enabled: false
        aof_last_write_status: ok
        rdb_last_bgsave_status: ok
        rdb_changes_since_last_save: {value: 120, unit: count}
        cluster_enabled: false
      expected:
        tls: false
        online_replicas: {fail: {below: 1}, unit: count}
        memory_used_percent: {warn: {above: 80.0}, fail: {above: 95.0}, unit: percent}
      duration_ms: 9
  contains:
    # BEGIN generated: record fields (scripts/generate; do not edit by hand)
    id:
      description: Stable identifier of the check, unique within a host; waivers refer to it.
      returned: always
      type: str
    kind:
      description: The check kind (the module's name).
      returned: always
      type: str
    section:
      description: Checklist section.
      returned: always
      type: str
    title:
      description: Human title.
      returned: always
      type: str
    status:
      description: V(pass), V(warn), V(fail), V(error) (could not be evaluated) or V(skipped).
      returned: always
      type: str
    severity:
      description: V(critical), V(high), V(medium) or V(low).
      returned: always
      type: str
    summary:
      description: One line saying what was observed against what was expected.
      returned: always
      type: str
    observed:
      description:
        - Measured values by name (what each kind measures is listed in the description of RV(golive_checks)).
        - A number with a unit is C({value, unit}) (units V(bytes), V(seconds), V(ms), V(percent), V(count), V(ratio),
          V(days)); texts, lists and flags are plain; secrets only masked.
      returned: always
      type: dict
    expected:
      description:
        - 'What each observed value was held against, under the same name: levels
          C({warn: {below|above: n}, fail: {...}, unit}), a quantity, or a plain value. Empty when nothing was graded.'
      returned: always
      type: dict
    duration_ms:
      description:
        - How long the check took, in milliseconds.
        - With O(wait), from its first round's start to its last round's end, pauses included.
      returned: always
      type: int
    rounds:
      description:
        - How many times the check ran while the call waited (O(wait)); V(1) when it passed, warned or was
          skipped at once, V(0) when the call's deadline came before it could start. Its other fields are
          its last round's.
      returned: when O(wait) is set above V(0s)
      type: int
    target:
      description: Inventory host the check is about, when it ran from another (probe) host.
      returned: when set in the item
      type: str
    hint:
      description: What to do when the check does not pass, as the item's C(hint) says.
      returned: when set in the item
      type: str
    contact:
      description: Who acts when the check does not pass, as the item's C(contact) says.
      returned: when set in the item
      type: str
    # END generated: record fields
# BEGIN generated: golive_counts (scripts/generate; do not edit by hand)
golive_counts:
  description: Number of results per status.
  returned: always
  type: dict
  sample: {pass: 3, warn: 1, fail: 0, error: 0, skipped: 0}
  contains:
    pass:
      description: Checks that passed.
      returned: always
      type: int
    warn:
      description: Checks that warned.
      returned: always
      type: int
    fail:
      description: Checks that failed.
      returned: always
      type: int
    error:
      description: Checks that could not be evaluated.
      returned: always
      type: int
    skipped:
      description: Checks that were skipped.
      returned: always
      type: int
# END generated: golive_counts
"""

from ansible_collections.golive.readiness.plugins.module_utils._checks import redis
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(redis)


if __name__ == "__main__":
    main()
