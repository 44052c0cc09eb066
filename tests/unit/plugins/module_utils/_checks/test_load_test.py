"""load_test: a real Locust run against a local app, graded against what the app did; k6 summary exports."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import load_test

from ._kind_runner import prepared, run_item
from ._load_tests import BROKEN_EVERY, SLOW_SECONDS, counting_app, k6_summary, run_locust

ENDPOINTS = ("/fast", "/slow", "/broken")


@pytest.fixture(scope="module")
def locust_run(tmp_path_factory):
    """(path of PREFIX_stats.csv, the app's own counts) of one real Locust run."""
    directory = tmp_path_factory.mktemp("locust")
    with counting_app() as (url, counts):
        stats = run_locust(directory, url)
    return stats, counts


def check(timeout=20.0, **item):
    return run_item(load_test, item, timeout)


def write(where, name, text, age=0):
    path = where / name
    path.write_text(text)
    if age:
        then = time.time() - age
        os.utime(path, (then, then))
    return str(path)


def rejected(**item):
    with pytest.raises(OptionError) as raised:
        prepared(load_test, item)
    return str(raised.value)


# --- Locust -------------------------------------------------------------------------------------

def test_locust_aggregate_counts_what_the_app_answered(locust_run):
    stats, counts = locust_run
    record = check(path=stats, max_age="1h", min_requests=10)
    assert record["id"] == f"load_test:{stats}" and record["title"] == f"Load test {stats}"
    assert record["section"] == "application" and record["severity"] == "high"
    assert record["status"] == "pass", record["summary"]
    observed = record["observed"]
    answered = sum(counts[(path, "seen")] for path in ENDPOINTS)
    failed = counts[("/broken", 500)]
    requests, failures = observed["requests"]["value"], observed["failures"]["value"]
    # Locust records the requests whose answers it read before its time was up: some of the app's are missing.
    assert answered / 2 <= requests <= answered and failures <= failed
    assert failures >= 1 and observed["error_rate"] == {"value": round(100.0 * failures / requests, 3),
                                                        "unit": "percent"}
    assert observed["p95_ms"]["unit"] == "ms" and observed["p95_ms"]["value"] >= SLOW_SECONDS * 1000 * 0.9
    assert observed["rps"]["value"] > 0 and observed["format"] == "locust_csv"
    assert record["expected"]["requests"] == {"fail": {"below": 10}, "unit": "count"}


def test_locust_error_rate_over_its_level_fails_and_says_so(locust_run):
    stats = locust_run[0]
    record = check(path=stats, error_rate_warn_above="0.1%", error_rate_fail_above="1%")
    assert record["status"] == "fail"
    assert "error rate" in record["summary"] and "(warn > 0.1%, fail > 1.0%)" in record["summary"]
    assert record["expected"]["error_rate"] == {"warn": {"above": 0.1}, "fail": {"above": 1.0}, "unit": "percent"}


def test_one_endpoint_of_a_locust_run_is_graded_on_its_own_row(locust_run):
    stats, counts = locust_run
    slow = check(path=stats, endpoint="/slow", p95_fail_above="150ms")
    assert slow["id"] == f"load_test:{stats}:/slow"
    assert slow["status"] == "fail" and slow["summary"].startswith("p95 ")
    assert slow["observed"]["p95_ms"]["value"] >= SLOW_SECONDS * 1000 * 0.9
    assert slow["observed"]["error_rate"]["value"] == 0
    assert check(path=stats, endpoint="/slow", p95_fail_above="60s")["status"] == "pass"
    broken = check(path=stats, endpoint="GET /broken", error_rate_fail_above="5%")
    assert broken["status"] == "fail"
    # The app fails every 4th /broken request; Locust saw a run of consecutive ones.
    rate = broken["observed"]["error_rate"]["value"]
    assert abs(rate - 100.0 / BROKEN_EVERY) <= 10, rate
    assert broken["observed"]["requests"]["value"] <= counts[("/broken", "seen")]


def test_an_endpoint_the_load_test_never_called_fails_naming_the_rows_it_has(locust_run):
    stats = locust_run[0]
    record = check(path=stats, endpoint="/checkout")
    assert record["status"] == "fail"
    assert record["summary"].startswith("the load test has no row for /checkout (rows: GET /broken, GET /fast")


def test_two_request_types_of_one_name_must_be_told_apart(tmp_path):
    text = ("Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
            "Max Response Time,Average Content Size,Requests/s,Failures/s,50%,95%,99%,100%\n"
            "GET,/cart,10,0,5,5,1,9,3,2.0,0.0,5,8,9,9\nPOST,/cart,4,1,50,50,40,90,3,1.0,0.2,50,80,90,90\n"
            ",Aggregated,14,1,6,18,1,90,3,3.0,0.2,6,80,90,90\n")
    path = write(tmp_path, "shop_stats.csv", text)
    record = check(path=path, endpoint="/cart")
    assert record["status"] == "error"
    assert record["summary"] == "endpoint '/cart' names 2 rows (GET, POST): prefix the request type, as in 'GET /cart'"
    post = check(path=path, endpoint="POST /cart", error_rate_fail_above="10%")
    assert post["status"] == "fail" and post["observed"]["error_rate"]["value"] == 25.0


def test_the_wrong_locust_file_is_refused_naming_the_one_to_give(locust_run):
    stats = locust_run[0]
    history = stats.replace("_stats.csv", "_stats_history.csv")
    record = check(path=history)
    assert record["status"] == "error"
    assert record["summary"] == (f"{history} is not Locust's --csv statistics (PREFIX_stats.csv): its header lacks "
                                 "Request Count, Failure Count (a _stats_history.csv? give PREFIX_stats.csv)")
    failures = stats.replace("_stats.csv", "_failures.csv")
    record = check(path=failures, format="locust_csv")
    assert record["status"] == "error" and "is not Locust's --csv statistics" in record["summary"]


def test_a_run_without_requests_fails(tmp_path):
    path = write(tmp_path, "idle_stats.csv", "Type,Name,Request Count,Failure Count,Median Response Time,"
                 "Requests/s,Failures/s,95%,99%\n,Aggregated,0,0,0,0.0,0.0,N/A,N/A\n")
    record = check(path=path, p95_fail_above="1s")
    assert record["status"] == "fail" and record["summary"] == "the load test made no requests"


# --- k6 -----------------------------------------------------------------------------------------

def test_k6_summary_export_is_graded_on_latency_rate_and_errors(tmp_path):
    path = write(tmp_path, "summary.json", k6_summary(requests=1200, failed=12, seconds=30.0, p95=215.95))
    record = check(path=path, p95_warn_above="200ms", p95_fail_above="500ms", rps_fail_below=10,
                   error_rate_fail_above="2%")
    assert record["status"] == "warn", record["summary"]
    observed = record["observed"]
    assert observed["format"] == "k6_summary"
    assert observed["requests"] == {"value": 1200, "unit": "count"}
    assert observed["failures"] == {"value": 12, "unit": "count"}
    assert observed["error_rate"] == {"value": 1.0, "unit": "percent"}
    assert observed["rps"] == {"value": 40.0, "unit": "ratio"}
    assert observed["p95_ms"] == {"value": 215.9, "unit": "ms"}
    assert record["expected"]["p95_ms"] == {"warn": {"above": 200.0}, "fail": {"above": 500.0}, "unit": "ms"}
    assert record["expected"]["rps"] == {"fail": {"below": 10}, "unit": "ratio"}
    assert record["summary"] == "p95 216ms (warn > 200ms, fail > 500ms)"
    slow = check(path=path, rps_warn_below=100, rps_fail_below=50)
    assert slow["status"] == "fail" and slow["summary"] == "requests/s 40.0/s (warn < 100, fail < 50)"


def test_k6_p99_needs_the_trend_stat_to_be_exported(tmp_path):
    without = write(tmp_path, "without.json", k6_summary())
    record = check(path=without, p99_fail_above="1s")
    assert record["status"] == "error"
    assert record["summary"] == "the report has no p99 latency (run k6 with --summary-trend-stats including p(99))"
    with_p99 = write(tmp_path, "with.json", k6_summary(p99=1450.0))
    assert check(path=with_p99, p99_fail_above="1s")["status"] == "fail"


def test_k6_endpoint_is_its_name_tagged_sub_metric(tmp_path):
    path = write(tmp_path, "summary.json", k6_summary(endpoints={"checkout": (300, 30, 820.0)}))
    record = check(path=path, endpoint="checkout", p95_fail_above="500ms", error_rate_warn_above="5%")
    assert record["status"] == "fail"
    assert record["observed"]["requests"]["value"] == 300 and record["observed"]["error_rate"]["value"] == 10.0
    missing = check(path=path, endpoint="search")
    assert missing["status"] == "error"
    assert missing["summary"] == (f"{path} has no sub-metric http_req_duration{{name:search}}: k6 exports a "
                                  "sub-metric only when the script sets a threshold on it")


def test_wrong_formats_are_errors_naming_the_source_and_the_format(tmp_path, locust_run):
    stats = locust_run[0]
    record = check(path=stats, format="k6_summary")
    assert record["status"] == "error"
    assert record["summary"].startswith(f"{stats} is not a k6 --summary-export JSON: not JSON")
    junit = write(tmp_path, "junit.xml", "<testsuite tests='1'/>")
    record = check(path=junit)
    assert record["status"] == "error"
    assert record["summary"] == (f"{junit} is neither Locust's --csv statistics (PREFIX_stats.csv) nor "
                                 "a k6 --summary-export JSON")
    other = write(tmp_path, "results.json", '{"results": []}')
    record = check(path=other)
    assert record["summary"] == f"{other} is not a k6 --summary-export JSON: it has no metrics object"


def test_an_old_report_fails_its_age_and_a_missing_one_fails(tmp_path):
    path = write(tmp_path, "summary.json", k6_summary(), age=3 * 86400)
    record = check(path=path, max_age="1d")
    assert record["status"] == "fail" and "age 3d" in record["summary"]
    missing = check(path=str(tmp_path / "nothing_stats.csv"))
    assert missing["status"] == "fail" and missing["summary"] == f"{tmp_path}/nothing_stats.csv does not exist"


@contextlib.contextmanager
def serving(directory):
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.log_message = lambda *args: None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_report_fetched_from_the_probe_by_url(locust_run, tmp_path):
    stats = locust_run[0]
    served = tmp_path / "ci"
    served.mkdir()
    shutil.copy(stats, served / "shop_stats.csv")
    with serving(served) as base:
        record = check(url=f"{base}/shop_stats.csv", max_age="1h", endpoint="/fast")
    assert record["status"] == "pass", record["summary"]
    assert record["id"] == f"load_test:{base}/shop_stats.csv:/fast"
    assert record["observed"]["source"] == f"{base}/shop_stats.csv"


def test_bad_options_are_refused_naming_the_option():
    assert rejected(path="/srv/ci/summary.json", p95_warn_above="2s", p95_fail_above="1s") == (
        "p95_warn_above/p95_fail_above: the warn level (2s) must be below the fail level (1s)")
    assert rejected(path="/srv/ci/summary.json", p99_fail_above="fast").startswith(
        "p99_fail_above: 'fast' is not a number with an optional unit")
    assert rejected(path="/srv/ci/summary.json", error_rate_fail_above="120%") == (
        "error_rate_fail_above: '120%' is outside 0-100%")
    assert rejected(path="/srv/ci/summary.json", endpoint=" ").startswith("endpoint: must name an endpoint")
    assert rejected(path="ci/summary.json").startswith("path: 'ci/summary.json' must be an absolute path")


def test_a_report_over_the_cap_is_an_error_naming_it(tmp_path):
    big = tmp_path / "huge_stats.csv"
    with open(big, "wb") as handle:
        handle.truncate(load_test.LOAD_TEST_CAP + 1)  # sparse: no disk written
    record = check(path=str(big))
    assert record["status"] == "error"
    assert record["summary"] == f"{big} exceeded the size cap LOAD_TEST_CAP (16.0 MiB); reading stopped there"
