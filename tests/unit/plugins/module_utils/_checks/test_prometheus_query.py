"""prometheus_query against a real Prometheus on 127.0.0.1 scraping test apps whose request rates, latency
histogram and memory growth are known (``_prometheus_rates.py``): the checklist's error rate, p95 latency,
availability and memory growth, graded as asked; no data, many series, stale series, a stopped target."""

from __future__ import annotations

import json

import pytest
import yaml

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import prometheus_query as kind
from ansible_collections.golive.readiness.plugins.modules import prometheus_query as module_page

from ._kind_runner import described, prepared, run_item
from ._ports import unused_port
from ._prometheus_rates import (
    ERROR_SHARE,
    MEMORY_GROWTH_PER_SECOND,
    P95_SECONDS,
    rates_stack,
)
from ._prometheus_servers import TOKEN

ERROR_RATE = ('sum(rate(http_requests_total{job="shop", code=~"5.."}[10m]))\n'
              '  / sum(rate(http_requests_total{job="shop"}[10m]))')
P95_LATENCY = 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="shop"}[10m])))'
AVAILABILITY = 'avg_over_time(up{job="shop"}[1h])'
MEMORY_GROWTH = 'deriv(process_resident_memory_bytes{job="shop"}[1h]) * 3600'
CODE_SHARES = ('sum by (code) (rate(http_requests_total{job="shop"}[10m]))\n'
               '  / on() group_left sum(rate(http_requests_total{job="shop"}[10m]))')
ERRORS_503 = 'sum(rate(http_requests_total{job="shop", code="503"}[10m]))'


@pytest.fixture(scope="module")
def stack():
    with rates_stack() as running:
        yield running


def check(url, query, timeout=10.0, **item):
    record = run_item(kind, dict(item, url=url, query=query), timeout)
    assert TOKEN not in json.dumps(record)
    return record


def value_of(record):
    return record["observed"]["value"]["value"]


def test_error_rate_under_five_percent_passes(stack):
    record = check(stack.url, ERROR_RATE, name="5xx error rate", unit="ratio", fail_above="5%")
    assert record["status"] == "pass", record["summary"]
    assert (record["section"], record["severity"]) == ("monitoring", "high")
    assert record["id"] == "prometheus_query:5xx error rate"
    assert record["summary"] == "5xx error rate 2.0% (fail > 5.0%)"
    assert value_of(record) == pytest.approx(ERROR_SHARE * 100, rel=1e-6)
    assert record["observed"]["value"]["unit"] == "percent"
    assert record["expected"]["value"] == {"fail": {"above": 5.0}, "unit": "percent"}
    assert record["observed"]["series"] == [dict(labels="{}", value=record["observed"]["value"], status="pass")]


def test_error_rate_over_the_warn_level_warns_and_over_the_fail_level_fails(stack):
    warned = check(stack.url, ERROR_RATE, unit="ratio", warn_above=0.01, fail_above="5%")
    assert warned["status"] == "warn"
    assert warned["summary"] == "value 2.0% (warn > 1.0%, fail > 5.0%)"
    failed = check(stack.url, f"100 * (\n{ERROR_RATE}\n)", unit="percent", fail_above="1%")
    assert failed["status"] == "fail"
    assert failed["summary"] == "value 2.0% (fail > 1.0%)"


def test_p95_latency_from_the_histogram_under_500ms_passes(stack):
    record = check(stack.url, P95_LATENCY, name="p95 latency", unit="seconds", fail_above="500ms")
    assert record["status"] == "pass", record["summary"]
    assert value_of(record) == pytest.approx(P95_SECONDS, rel=1e-6)
    assert record["summary"] == "p95 latency 325ms (fail > 500ms)"
    slow = check(stack.url, P95_LATENCY + " * 1000", unit="ms", warn_above=300, fail_above="1s")
    assert slow["status"] == "warn"
    assert slow["summary"] == "value 325ms (warn > 300ms, fail > 1s)"
    assert slow["expected"]["value"] == {"warn": {"above": 300.0}, "fail": {"above": 1000.0}, "unit": "ms"}


def test_availability_at_100_percent_passes(stack):
    record = check(stack.url, AVAILABILITY, name="availability", unit="ratio", fail_below="100%")
    assert record["status"] == "pass", record["summary"]
    assert record["summary"] == "availability 100.0% (fail < 100.0%)"
    [series] = record["observed"]["series"]
    assert series["labels"].startswith('{instance="127.0.0.1:') and series["labels"].endswith('", job="shop"}')


def test_memory_growth_over_an_hour_is_graded_in_bytes(stack):
    growth = MEMORY_GROWTH_PER_SECOND * 3600
    record = check(stack.url, MEMORY_GROWTH, name="memory growth per hour", unit="bytes", fail_above="512MB")
    assert record["status"] == "fail"
    # The slope of samples whose scrape times and values are taken a moment apart: close, not exact.
    assert value_of(record) == pytest.approx(growth, rel=0.15)
    assert record["summary"].startswith("memory growth per hour ")
    assert record["summary"].endswith(" GiB (fail > 512.0 MiB)")
    allowed = check(stack.url, MEMORY_GROWTH, unit="bytes", warn_above="4GiB", fail_above="8GiB")
    assert allowed["status"] == "pass", allowed["summary"]


def test_range_query_is_graded_on_its_reduced_value(stack):
    short_rate = ('sum(rate(http_requests_total{job="shop", code=~"5.."}[30s]))'
                  ' / sum(rate(http_requests_total{job="shop"}[30s]))')
    record = check(stack.url, short_rate, unit="ratio", range="20s", step="2s", reduce="max", fail_above="5%")
    assert record["status"] == "pass", record["summary"]
    assert value_of(record) == pytest.approx(ERROR_SHARE * 100, rel=1e-6)
    observed = record["observed"]
    assert (observed["range"], observed["step"], observed["reduce"]) == (
        {"value": 20.0, "unit": "seconds"}, {"value": 2.0, "unit": "seconds"}, "max")
    growing = check(stack.url, 'process_resident_memory_bytes{job="shop"}', unit="bytes", range="10s",
                    fail_above="1GiB", warn_below="100MiB")
    # worst: the highest value against a level above, the lowest against one below; here the lowest warns
    # only if memory fell under 100 MiB, which it never does; the highest is under 1 GiB.
    assert growing["status"] == "pass", growing["summary"]


def test_many_series_where_one_is_expected_is_an_error(stack):
    record = check(stack.url, 'rate(http_requests_total{job="shop"}[10m])', fail_above=1000)
    assert record["status"] == "error"
    assert record["summary"].startswith("2 series where one is expected: {code=\"200\", handler=\"/api/orders\", "
                                        'instance="127.0.0.1:')
    assert record["observed"]["series_count"] == {"value": 2, "unit": "count"}
    assert "value" not in record["observed"]


def test_every_series_graded_lists_the_offenders_with_their_labels(stack):
    record = check(stack.url, CODE_SHARES, name="share by code", unit="ratio", expect_series="all",
                   warn_above="10%", fail_above="50%")
    assert record["status"] == "fail"
    assert record["summary"] == 'share by code: 1 of 2 series outside levels (warn > 10.0%, fail > 50.0%): ' \
                                '{code="200"} 98.0%'
    assert [(s["labels"], s["status"]) for s in record["observed"]["series"]] == [
        ('{code="200"}', "fail"), ('{code="500"}', "pass")]
    assert value_of(record) == pytest.approx(98.0, rel=1e-6)
    calm = check(stack.url, CODE_SHARES, unit="ratio", expect_series="all", fail_below="1%")
    assert calm["status"] == "pass"
    assert calm["summary"] == 'value: 2 series within levels, the nearest {code="500"} 2.0% (fail < 1.0%)'


def test_any_series_within_levels_passes(stack):
    record = check(stack.url, CODE_SHARES, unit="ratio", expect_series="any", fail_above="50%")
    assert record["status"] == "pass"
    assert record["summary"] == 'value 2.0% (fail > 50.0%), best of 2 series: {code="500"}'


def test_no_data_is_an_error_unless_accepted_and_or_vector_0_reads_as_zero(stack):
    record = check(stack.url, ERRORS_503, unit="count", fail_above=0)
    assert record["status"] == "error"
    assert record["summary"] == "no data: the query returned no series"
    assert record["observed"]["series_count"] == {"value": 0, "unit": "count"}
    accepted = check(stack.url, ERRORS_503, unit="count", fail_above=0, no_data="pass")
    assert accepted["status"] == "pass"
    assert accepted["summary"] == "no data: the query returned no series (no_data: pass)"
    assert check(stack.url, ERRORS_503, no_data="fail")["status"] == "fail"
    zero = check(stack.url, ERRORS_503 + " or vector(0)", unit="count", fail_above=0)
    assert zero["status"] == "pass"
    assert zero["summary"] == "value 0 (fail > 0)"


def test_a_sample_older_than_max_staleness_is_an_error(stack):
    # batch_rows_loaded is exported with a timestamp 40 s before the app started: an old sample, still in
    # Prometheus's 5-minute lookback, that no staleness marker removes.
    record = check(stack.url, 'batch_rows_loaded{job="shop"}', unit="count", fail_below=1, max_staleness="20s")
    assert record["status"] == "error"
    assert "stale: newest sample " in record["summary"] and "(max_staleness 20s)" in record["summary"]
    assert record["observed"]["age"]["value"] > 40
    assert record["expected"]["age"] == {"fail": {"above": 20.0}, "unit": "seconds"}
    fresh = check(stack.url, 'batch_rows_loaded{job="shop"}', unit="count", fail_below=1, max_staleness="4m")
    assert fresh["status"] == "pass"
    assert fresh["summary"] == "value 1234 (fail < 1)"


def test_a_stopped_target_is_no_data_now_and_stale_over_a_range(stack):
    stack.stop_worker()
    gone = check(stack.url, 'process_resident_memory_bytes{job="worker"}', unit="bytes")
    assert gone["status"] == "error"
    assert gone["summary"] == "no data: the query returned no series"
    # Its rate is still computed from the samples left in the window, as if it were serving...
    still = check(stack.url, 'sum(rate(http_requests_total{job="worker"}[10m]))', unit="count")
    assert still["status"] == "pass" and value_of(still) > 0, still["summary"]
    # ...the range shows that its series stopped at least 6 s ago (stop_worker waited so long).
    stale = check(stack.url, 'process_resident_memory_bytes{job="worker"}', unit="bytes", range="2m", step="1s",
                  max_staleness="3s")
    assert stale["status"] == "error"
    assert stale["summary"].startswith('{__name__="process_resident_memory_bytes", instance="127.0.0.1:'), stale
    assert 'job="worker"} stale: newest sample ' in stale["summary"], stale["summary"]
    assert stale["summary"].endswith(" old (max_staleness 3s)")
    assert stale["observed"]["age"]["value"] >= 5


def test_not_a_number_is_an_error(stack):
    record = check(stack.url, "vector(0) / vector(0)", unit="ratio", fail_above="5%")
    assert record["status"] == "error"
    assert record["summary"] == "is NaN, not a number to grade (0/0: nothing happened in the window?)"


def test_a_range_vector_or_a_string_is_an_error(stack):
    matrix = check(stack.url, 'up{job="shop"}[1m]')
    assert matrix["status"] == "error"
    assert matrix["summary"].startswith("the query returns a range vector")
    text = check(stack.url, '"ok"')
    assert text["status"] == "error"
    assert text["summary"] == "/api/v1/query: the query's result is a string, not a number"


def test_a_query_prometheus_refuses_is_an_error_with_its_reason(stack):
    record = check(stack.url, "sum(rate(http_requests_total[5m])")
    assert record["status"] == "error"
    assert record["summary"].startswith("/api/v1/query answered HTTP 400 Bad Request: ")
    assert "parse error" in record["summary"]


def test_token_is_sent_and_never_shown(stack):
    record = check(stack.url, AVAILABILITY, bearer_token=TOKEN, unit="ratio", fail_below="100%")
    assert record["status"] == "pass"


def example_items(stack):
    """The module page's examples, pointed at the test Prometheus (whose app serves the same metric names)."""
    tasks = yaml.safe_load(module_page.EXAMPLES)
    items = [item for task in tasks if "vars" in task for item in task["vars"]["golive_prometheus_queries"]]
    items += [item for task in tasks if "vars" not in task
              for item in task["golive.readiness.prometheus_query"]["checks"]]
    return [dict(item, url=stack.url, bearer_token=TOKEN) if "bearer_token" in item else dict(item, url=stack.url)
            for item in items]


def test_the_module_examples_work_as_written(stack):
    records = [check(item.pop("url"), item.pop("query"), **item) for item in example_items(stack)]
    assert [(r["id"], r["status"]) for r in records] == [
        ("prometheus_query:5xx error rate", "warn"),  # 2% of the app's requests fail: over 1%, under 5%
        ("prometheus_query:p95 latency", "pass"),
        ("prometheus_query:availability", "pass"),
        ("prometheus_query:memory growth per hour", "fail"),  # the app grows by 1 MiB a second
        ("prometheus_query:5xx error rate, last hour", "pass"),
        ("prometheus_query:rows loaded tonight", "error"),  # the test app is no job etl: no data
    ], [r["summary"] for r in records]
    assert records[0]["summary"] == "5xx error rate 2.0% (warn > 1.0%, fail > 5.0%)"


def test_refused_port_is_an_error():
    port = unused_port()
    record = check(f"http://127.0.0.1:{port}", "up")
    assert record["status"] == "error"
    assert record["summary"] == f"connection refused by 127.0.0.1:{port}"


@pytest.mark.parametrize("item, message", [
    (dict(query=" "), "query: must not be empty"),
    (dict(query="up", unit="ratio", warn_above="1%", fail_above=0.005),
     "warn_above/fail_above: the warn level (1.0%) must be below the fail level (0.5%)"),
    (dict(query="up", unit="seconds", fail_above="fast"), "fail_above: 'fast' is not a number with an optional unit"),
    (dict(query="up", unit="bytes", fail_above="5 parsecs"), "fail_above: unknown size unit 'parsecs'"),
    (dict(query="up", fail_below="many"), "fail_below: 'many' is not a number"),
    (dict(query="up", step="10s"), "step: only applies with range"),
    (dict(query="up", reduce="max"), "reduce: only applies with range"),
    (dict(query="up", range="1d", step="1s"), "step: '1s' makes more than 11000 points of range '1d'"),
    (dict(query="up", range="0s"), "range: must be longer than 0s"),
    (dict(query="up", max_staleness="0"), "max_staleness: must be longer than 0s"),
    (dict(query="up", url="http://prometheus:9090/api/v1/query"), None),
    (dict(query="up", url="http://prometheus:9090/?query=up"), "url: 'http://prometheus:9090/?query=up' must not"),
])
def test_bad_options_are_named(item, message):
    item = dict(dict(url="http://prometheus:9090"), **item)
    if message is None:
        assert prepared(kind, item)["connection"]["url"] == item["url"]
        return
    with pytest.raises(OptionError) as raised:
        prepared(kind, item)
    assert str(raised.value).startswith(message)


def test_levels_read_in_the_query_unit():
    plan = prepared(kind, dict(url="http://p:9090", query="x", unit="ratio", warn_above=0.01, fail_above="5%"))
    assert [(limit.direction, limit.warn, limit.fail) for limit in plan["limits"] if limit.is_set] == [
        ("above", 1.0, 5.0)]
    plan = prepared(kind, dict(url="http://p:9090", query="x", unit="ms", warn_above=250, fail_above="1s"))
    assert [(limit.warn, limit.fail) for limit in plan["limits"] if limit.is_set] == [(250.0, 1000.0)]
    plan = prepared(kind, dict(url="http://p:9090", query="x", range="1h"))
    assert (plan["range"], plan["step"], plan["reduce"]) == (3600.0, 60.0, "worst")


def test_describe():
    assert described(kind, dict(url="https://prom.example.com", query="up", name="availability")) == (
        "availability", "availability from Prometheus at https://prom.example.com")
    assert described(kind, dict(url="https://prom.example.com", query="sum(up)\n  by (job)")) == (
        "https://prom.example.com:sum(up) by (job)", "Prometheus query sum(up) by (job) at https://prom.example.com")


def test_worst_of_a_range_grades_each_candidate_in_the_levels_unit():
    """A ratio's levels are percentages: the lowest value of the window (0.2%) is the worse against warn < 1%,
    though the highest (3%) is the one nearer a level above (fail > 5%)."""
    plan = prepared(kind, dict(url="http://p:9090", query="x", unit="ratio", range="1h", warn_below="1%",
                               fail_above="5%"))
    assert kind.reduced_value(plan, [0.2, 1.5, 3.0]) == 0.2
    plan = prepared(kind, dict(url="http://p:9090", query="x", unit="ratio", range="1h", warn_below="1%",
                               fail_above="2%"))
    assert kind.reduced_value(plan, [0.2, 1.5, 3.0]) == 3.0
