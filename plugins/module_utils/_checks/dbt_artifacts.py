# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check kind dbt_artifacts: what a dbt run left in its target/ directory says about the release (private).

run_results.json (required) gives every node's status; manifest.json (optional) which models have tests;
sources.json (optional, from ``dbt source freshness``) each source's freshness. Each file is read whole up to
its cap and decoded by json.loads, which holds the whole document as Python objects (measured: a 126 MiB
manifest of dbt's nodes peaks at 685 MB): the caps bound that memory, and each document is let go before the
next is read.
"""

from __future__ import annotations

import re

from ansible_collections.golive.readiness.plugins.module_utils import _evidence
from ansible_collections.golive.readiness.plugins.module_utils._check import (
    CheckError,
    Evaluation,
    Limit,
    OptionError,
    check_order,
    format_percent,
    parse_percent,
    quantity,
)
from ansible_collections.golive.readiness.plugins.module_utils._evidence import (
    EVIDENCE_OPTIONS,
    describe_source,
    grade_age,
    member_source,
    parse_json,
    parse_timestamp,
    prepare_source,
    read_evidence,
)

KIND = "dbt_artifacts"
SECTION = "data"
SEVERITY = "high"
VARIABLES = {"golive_dbt": "data"}
PROBE_OPTION = _evidence.PROBE_OPTION
SEVERITIES = ("honour", "strict")
OPTIONS = {name: spec for name, spec in EVIDENCE_OPTIONS.items() if name != "path"}
OPTIONS.update(
    target_dir=dict(type="path"),
    dbt_target=dict(type="str"),
    severities=dict(type="str", choices=list(SEVERITIES), default="honour"),
    min_test_coverage=dict(type="str"),
    test_coverage_warn_below=dict(type="str"),
    require_freshness=dict(type="bool", default=False),
)

# The largest dbt projects write run_results.json of tens of MB (every node's compiled SQL) and manifest.json of
# a few hundred MB. json.loads holds several times a document's size in memory (about 5.5 times for a manifest),
# so these caps keep one check under about 0.75 GB; a bigger manifest is an error naming MANIFEST_CAP rather
# than a host out of memory.
RUN_RESULTS_CAP = 64 * 1024 * 1024
MANIFEST_CAP = 128 * 1024 * 1024
SOURCES_CAP = 16 * 1024 * 1024
SHOWN_OFFENDERS = 10  # nodes and sources listed by name per kind of problem; the rest are counted
SHOWN_MESSAGE_CHARS = 160

ARTIFACTS = {"run_results.json": "run-results", "manifest.json": "manifest", "sources.json": "sources"}
_SCHEMA = re.compile(r"^https://schemas\.getdbt\.com/dbt/(?P<artifact>[a-z-]+)/v(?P<version>\d+)\.json$")
# Statuses dbt writes into run_results.json, per kind of node: tests (data tests, unit tests) pass, warn or fail;
# models, seeds, snapshots, hooks succeed or end in error; a node after a failed one is skipped.
_TEST_TYPES = ("test", "unit_test")
_PASSING = frozenset(("pass", "success", "no-op"))
_FAILING = frozenset(("fail", "error", "runtime error"))
_FRESHNESS = {"pass": "pass", "warn": "warn", "error": "fail", "runtime error": "fail"}


def describe(item):
    where = describe_source(dict(item, path=item.get("target_dir")))
    return where, f"dbt artifacts {where}"


# --- options ------------------------------------------------------------------------------------

def _coverage_limit(item):
    levels = {level: parse_percent(item[option], option)
              for level, option in (("warn", "test_coverage_warn_below"), ("fail", "min_test_coverage"))
              if item.get(option) is not None}
    limit = Limit(direction="below", formatter=format_percent, **levels)
    check_order(limit, "test_coverage_warn_below/min_test_coverage")
    return limit


def prepare(item):
    source = prepare_source(item, path_option="target_dir")
    target = item.get("dbt_target")
    if target is not None and not str(target).strip():
        raise OptionError("dbt_target: must not be empty (leave it out to accept any target)")
    return dict(source=source, target=target, strict=item.get("severities") == "strict",
                coverage=_coverage_limit(item), require_freshness=bool(item.get("require_freshness")))


# --- reading ------------------------------------------------------------------------------------

def read_artifact(plan, ctx, ev, name, cap, cap_name, required):
    """The decoded artifact ``name`` of the target directory, checked to be that dbt artifact; None when an
    optional one is missing (or after a fail finding when a required one is)."""
    evidence = read_evidence(member_source(plan["source"], name), ctx, cap, cap_name, ev, required=required,
                             observe=False)
    if evidence is None:
        return None, None
    read = dict(ev.observed.get("artifacts") or {})
    read[name] = dict(source=evidence.name, size=quantity(len(evidence.data), "bytes"))
    ev.observe("artifacts", read)
    what = f"a dbt {name}"
    document = parse_json(evidence, what)
    metadata = document.get("metadata") if isinstance(document, dict) else None
    schema = metadata.get("dbt_schema_version") if isinstance(metadata, dict) else None
    match = _SCHEMA.match(schema) if isinstance(schema, str) else None
    if match is None:
        raise CheckError(f"{evidence.name} is not {what}: it has no metadata.dbt_schema_version of dbt's")
    if match.group("artifact") != ARTIFACTS[name]:
        raise CheckError(f"{evidence.name} is not {what}: metadata.dbt_schema_version is {schema} "
                         f"(a {match.group('artifact')} artifact)")
    return document, evidence._replace(data=b"")  # its name and time are kept, not its bytes


def _list_of_objects(document, key, evidence, what):
    value = document.get(key)
    if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
        raise CheckError(f"{evidence.name} is not {what}: '{key}' is not a list of objects")
    return value


def _produced_at(document, evidence):
    return parse_timestamp(document["metadata"].get("generated_at"), f"{evidence.name}: metadata.generated_at")


# --- grading ------------------------------------------------------------------------------------

def first_line(text) -> str:
    line = str(text or "").strip().splitlines()[0] if str(text or "").strip() else ""
    return line if len(line) <= SHOWN_MESSAGE_CHARS else line[:SHOWN_MESSAGE_CHARS] + "\u2026"


def _offenders_text(offenders):
    shown = [unique_id + (f" ({message})" if message else "") for unique_id, message in offenders[:SHOWN_OFFENDERS]]
    more = len(offenders) - SHOWN_OFFENDERS
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _node_type(unique_id: str) -> str:
    return unique_id.split(".", 1)[0]


def _plural(count, noun):
    return f"{count} {noun}{'' if count == 1 else 's'}"


class Results(object):
    """The run's results sorted by what they mean for the release."""

    def __init__(self, results, strict):
        self.failed_tests, self.warned_tests, self.failed_nodes, self.skipped, self.unknown = [], [], [], [], []
        self.tests = self.passed_tests = self.nodes = 0
        for result in results:
            self._take(result, strict)

    def _take(self, result, strict):
        unique_id = str(result.get("unique_id") or "?")
        status = str(result.get("status") or "").lower()
        entry = (unique_id, first_line(result.get("message")))
        is_test = _node_type(unique_id) in _TEST_TYPES
        self.tests += is_test
        self.nodes += not is_test
        if status in _PASSING:
            self.passed_tests += is_test
        elif status == "warn":
            (self.failed_tests if strict else self.warned_tests).append(entry)
        elif status in _FAILING:
            (self.failed_tests if is_test else self.failed_nodes).append(entry)
        elif status == "skipped":
            self.skipped.append(entry)
        else:
            self.unknown.append((unique_id, f"status {status!r}"))


def grade_results(results, plan, ev):
    graded = Results(results, plan["strict"])
    ev.observe("tests", graded.tests, "count")
    ev.observe("tests_passed", graded.passed_tests, "count")
    ev.observe("nodes", graded.nodes, "count")
    problems = dict(failed_tests=graded.failed_tests, failed_nodes=graded.failed_nodes,
                    unknown_statuses=graded.unknown, warned_tests=graded.warned_tests, skipped=graded.skipped)
    for name, status, words in (("failed_tests", "fail", "test{} failed"), ("failed_nodes", "fail", "node{} failed"),
                                ("unknown_statuses", "fail", "result{} with a status dbt does not write"),
                                ("warned_tests", "warn", "test{} warned"), ("skipped", "warn", "node{} skipped")):
        offenders = problems[name]
        if offenders:
            ev.observe(name, [unique_id for unique_id, dummy in offenders[:SHOWN_OFFENDERS]])
            noun = words.format("" if len(offenders) == 1 else "s")
            ev.finding(status, f"{len(offenders)} {noun}: {_offenders_text(offenders)}")
    if not any(problems.values()):
        ev.note(f"{_plural(graded.tests, 'test')} passed, {_plural(graded.nodes, 'other node')} succeeded")


def grade_target(document, plan, evidence, ev):
    args = document.get("args") if isinstance(document.get("args"), dict) else {}
    target = args.get("target")
    if target is not None:
        ev.observe("dbt_target", target)
    if plan["target"] is None:
        return
    ev.expect("dbt_target", plan["target"])
    if target is None:
        raise CheckError(f"{evidence.name} does not say which target dbt ran against (args.target is not set: "
                         "run dbt with --target)")
    ev.require(target == plan["target"], f"target is {target!r}, expected {plan['target']!r}")


def model_coverage(manifest, evidence):
    """(models, tested models): the root project's enabled models that are not ephemeral (they exist only
    inside the models that use them, so nothing can test them directly), and those a test depends on."""
    nodes = manifest.get("nodes")
    if not isinstance(nodes, dict):
        raise CheckError(f"{evidence.name} is not a dbt manifest.json: 'nodes' is not an object")
    project = manifest["metadata"].get("project_name")
    models = set()
    tested = set()
    for unique_id, node in nodes.items():
        if not isinstance(node, dict):
            continue
        config = node.get("config") if isinstance(node.get("config"), dict) else {}
        if node.get("resource_type") == "model":
            counted = (config.get("enabled", True) and config.get("materialized") != "ephemeral"
                       and (project is None or node.get("package_name") == project))
            if counted:
                models.add(unique_id)
        elif node.get("resource_type") == "test":
            depends_on = node.get("depends_on") if isinstance(node.get("depends_on"), dict) else {}
            tested.update(parent for parent in depends_on.get("nodes") or () if isinstance(parent, str))
    return sorted(models), sorted(models & tested)


def grade_coverage(manifest, evidence, plan, ev):
    models, tested = model_coverage(manifest, evidence)
    ev.observe("models", len(models), "count")
    ev.observe("models_tested", len(tested), "count")
    untested = [model for model in models if model not in set(tested)]
    if untested:
        ev.observe("untested_models", untested[:SHOWN_OFFENDERS])
    if not models:
        ev.require(not plan["coverage"].is_set, "no model to measure test coverage of", status="fail")
        return
    status = ev.measure("test_coverage", round(100.0 * len(tested) / len(models), 1), plan["coverage"],
                        label="models with a test", formatter=format_percent, unit="percent")
    if status != "pass":
        ev.finding(status, f"untested: {_offenders_text([(model, '') for model in untested])}")


def grade_freshness(sources, evidence, strict, ev):
    results = _list_of_objects(sources, "results", evidence, "a dbt sources.json")
    by_status = {"fail": [], "warn": []}
    for result in results:
        status = str(result.get("status") or "").lower()
        graded = _FRESHNESS.get(status, "fail")
        if graded == "warn" and strict:
            graded = "fail"
        if graded != "pass":
            loaded = f"last loaded {result['max_loaded_at']}" if result.get("max_loaded_at") else "no load time"
            message = f"{status or 'no status'}: {first_line(result.get('error') or loaded)}"
            by_status[graded].append((str(result.get("unique_id") or "?"), message))
    ev.observe("sources", len(results), "count")
    for status, name, wording in (("fail", "sources_fail", "failed freshness"),
                                  ("warn", "sources_warn", "past warn_after")):
        offenders = by_status[status]
        if offenders:
            ev.observe(name, [unique_id for unique_id, dummy in offenders[:SHOWN_OFFENDERS]])
            ev.finding(status, f"{_plural(len(offenders), 'source')} {wording}: {_offenders_text(offenders)}")
    if not any(by_status.values()):
        ev.note(f"{_plural(len(results), 'source')} fresh")


def run(plan, ctx):
    ev = Evaluation()
    run_results, evidence = read_artifact(plan, ctx, ev, "run_results.json", RUN_RESULTS_CAP, "RUN_RESULTS_CAP",
                                          required=True)
    if run_results is None:
        return ev.outcome()
    results = _list_of_objects(run_results, "results", evidence, "a dbt run_results.json")
    ev.observe("dbt_version", run_results["metadata"].get("dbt_version"))
    ev.observe("invocation_id", run_results["metadata"].get("invocation_id"))
    produced = [_produced_at(run_results, evidence)]
    grade_target(run_results, plan, evidence, ev)
    grade_results(results, plan, ev)
    del run_results, results

    manifest, manifest_evidence = read_artifact(plan, ctx, ev, "manifest.json", MANIFEST_CAP, "MANIFEST_CAP",
                                                required=plan["coverage"].is_set)
    if manifest is not None:
        grade_coverage(manifest, manifest_evidence, plan, ev)
        del manifest

    sources, sources_evidence = read_artifact(plan, ctx, ev, "sources.json", SOURCES_CAP, "SOURCES_CAP",
                                              required=plan["require_freshness"])
    if sources is not None:
        produced.append(_produced_at(sources, sources_evidence))
        grade_freshness(sources, sources_evidence, plan["strict"], ev)
    # The oldest artifact dates the evidence: fresh test results beside a week-old freshness run prove little.
    grade_age(plan["source"], evidence, ev, produced_at=min(produced))
    return ev.outcome()
