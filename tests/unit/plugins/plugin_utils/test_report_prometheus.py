from __future__ import annotations

import datetime
import shutil
import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.golive.readiness.plugins.plugin_utils._report_prometheus import render_prometheus

from . import _documents as docs

PROMTOOL = "/usr/bin/promtool"
STATUSES = ("pass", "warn", "fail", "error", "skipped")


def samples(text):
    """{(name, frozenset(labels)): value} as the Prometheus client's own parser reads the text."""
    found = {}
    for family in text_string_to_metric_families(text):
        assert family.type == "gauge" and family.documentation
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            assert key not in found, key
            found[key] = sample.value
    return found


def value(found, name, **labels):
    return found[(name, frozenset(labels.items()))]


def promtool_check(text):
    promtool = shutil.which("promtool") or PROMTOOL
    if not shutil.which(promtool):
        pytest.fail("promtool is missing: scripts/setup installs the Debian prometheus package that ships it")
    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "" and result.stderr.strip() == ""


@pytest.mark.parametrize("document", [docs.no_go(), docs.go(), docs.warnings_only(), docs.old_schema(), docs.nasty(),
                                      docs.large(20, 100), docs.attested()],
                         ids=["no_go", "go", "warnings", "old", "nasty", "large", "attested"])
def test_every_document_parses_and_passes_promtool(document):
    text = render_prometheus(document)
    found = samples(text)
    assert sum(value(found, "golive_verdict", verdict=v) for v in ("GO", "GO WITH WARNINGS", "NO-GO")) == 1
    assert value(found, "golive_verdict", verdict=document["verdict"]) == 1
    for section, counts in document["counts"]["by_section"].items():
        for status in STATUSES:
            assert value(found, "golive_checks", section=section, status=status) == counts[status]
    assert sum(v for (name, dummy), v in found.items() if name == "golive_checks") == len(document["checks"])
    promtool_check(text)


def test_no_go_counts_hosts_waivers_changes_signoff_and_notification():
    found = samples(render_prometheus(docs.no_go()))
    assert value(found, "golive_blocking_checks") == 3
    assert value(found, "golive_waived_checks") == 1
    assert value(found, "golive_hosts", status="ok") == 3
    assert value(found, "golive_hosts", status="unreachable") == 1
    assert value(found, "golive_hosts", status="no_results") == 0
    assert value(found, "golive_failed_tasks") == 1
    assert [value(found, "golive_waivers", state=s) for s in ("applied", "expired", "unused")] == [1, 1, 1]
    changes = [value(found, "golive_changes", change=c) for c in ("regressions", "fixed", "new", "removed")]
    assert changes == [2, 1, 1, 1]
    assert value(found, "golive_previous_run") == 1
    assert value(found, "golive_signoff", status="rejected") == 1
    assert value(found, "golive_signoff", status="signed") == 0
    assert value(found, "golive_notification", status="failed") == 1
    assert value(found, "golive_notification", status="sent") == 0
    generated = datetime.datetime(2026, 11, 24, 10, 15, tzinfo=datetime.timezone.utc)
    assert value(found, "golive_report_timestamp_seconds") == generated.timestamp()
    assert value(found, "golive_run_duration_seconds") == 40.5


def test_zero_series_are_present_and_old_documents_have_no_signoff_or_notification_series():
    found = samples(render_prometheus(docs.old_schema()))
    assert value(found, "golive_checks", section="services", status="fail") == 0
    assert value(found, "golive_changes", change="regressions") == 0
    assert value(found, "golive_previous_run") == 0
    names = set(name for name, dummy in found)
    assert "golive_signoff" not in names and "golive_notification" not in names


def test_label_values_are_escaped_and_read_back_exactly():
    text = render_prometheus(docs.nasty())
    assert 'section="sec\\"tion\\\\with\\nnewline|pipe"' in text
    found = samples(text)
    assert value(found, "golive_checks", section='sec"tion\\with\nnewline|pipe', status="fail") == 1


def test_an_unknown_verdict_gets_its_own_series():
    document = docs.go()
    document["verdict"] = 'MAYBE "so"'
    found = samples(render_prometheus(document))
    assert value(found, "golive_verdict", verdict='MAYBE "so"') == 1
    assert value(found, "golive_verdict", verdict="GO") == 0


def test_empty_document_still_gives_verdict_and_host_series():
    text = render_prometheus({})
    found = samples(text)
    assert value(found, "golive_hosts", status="ok") == 0
    assert value(found, "golive_blocking_checks") == 0
    promtool_check(text)


def test_attestations_by_status_and_one_series_per_item():
    found = samples(render_prometheus(docs.attested()))
    assert [value(found, "golive_attestations", status=s) for s in STATUSES] == [1, 1, 2, 0, 0]
    assert value(found, "golive_attestation", id="attestation:runbook-written", status="fail", severity="high",
                 required="true", waived="true") == 1
    assert value(found, "golive_attestation", id="attestation:rolback-rehearsed", status="warn", severity="low",
                 required="false", waived="false") == 1
    assert value(found, "golive_checks", section="attestations", status="fail") == 2
    assert not [key for key in samples(render_prometheus(docs.go())) if key[0].startswith("golive_attestation")]
