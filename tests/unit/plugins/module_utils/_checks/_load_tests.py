"""A real Locust run against a small app on 127.0.0.1, and k6 summaries in the shape k6 documents.

The app (a ``ThreadingHTTPServer``) answers ``/fast`` at once, ``/slow`` after ``SLOW_SECONDS`` and
``/broken`` with HTTP 500 on every ``BROKEN_EVERY``-th request; it counts what it answered, so a test
can hold Locust's report against what the app really did. Locust runs headless as its own process
(``locust -f ... --headless --csv PREFIX``) and writes ``PREFIX_stats.csv`` as in any CI job.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW_SECONDS = 0.2
BROKEN_EVERY = 4
USERS = 5
RUN_TIME = "4s"
LOCUST_TIME_LIMIT = 180  # a bounded wait for a run of seconds, on a machine whose load may be 20

LOCUSTFILE = '''
from locust import HttpUser, constant, task


class Shopper(HttpUser):
    wait_time = constant(0.01)

    @task
    def fast(self):
        self.client.get("/fast")

    @task
    def slow(self):
        self.client.get("/slow")

    @task
    def broken(self):
        self.client.get("/broken")
'''


class CountingApp(BaseHTTPRequestHandler):
    """Answers by path and counts the answers by (path, status) on its server."""

    def do_GET(self):
        counts = self.server.counts
        with self.server.lock:
            counts[(self.path, "seen")] += 1
            seen = counts[(self.path, "seen")]
        if self.path == "/slow":
            time.sleep(SLOW_SECONDS)
        status = 500 if self.path == "/broken" and seen % BROKEN_EVERY == 0 else 200
        if self.path not in ("/fast", "/slow", "/broken"):
            status = 404
        body = b"ok\n" if status == 200 else b"no\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with self.server.lock:
            counts[(self.path, status)] += 1

    def log_message(self, *args):
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """Locust closes its connections when its time is up: a reset is expected, not worth a traceback."""


@contextlib.contextmanager
def counting_app():
    """(base URL, counts) of the app, served from a thread until the block ends."""
    server = QuietServer(("127.0.0.1", 0), CountingApp)
    server.counts = collections.Counter()
    server.lock = threading.Lock()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.counts
    finally:
        server.shutdown()
        server.server_close()


def run_locust(directory, host, run_time=RUN_TIME):
    """Locust run headless against ``host``; the path of the PREFIX_stats.csv it wrote."""
    locustfile = os.path.join(str(directory), "locustfile.py")
    with open(locustfile, "w", encoding="utf-8") as handle:
        handle.write(LOCUSTFILE)
    prefix = os.path.join(str(directory), "shop")
    locust = os.path.join(os.path.dirname(sys.executable), "locust")
    done = subprocess.run([locust, "-f", locustfile, "--headless", "-u", str(USERS), "-r", str(USERS),
                           "-t", run_time, "--host", host, "--csv", prefix, "--only-summary",
                           "--skip-log-setup"],
                          cwd=str(directory), capture_output=True, text=True, timeout=LOCUST_TIME_LIMIT,
                          check=False, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    stats = prefix + "_stats.csv"
    assert os.path.exists(stats), done.stdout[-2000:] + done.stderr[-4000:]
    return stats


def k6_summary(requests=1200, failed=12, seconds=30.0, p95=215.95, p99=None, endpoints=None):
    """A k6 --summary-export document as k6 writes it (the shape of k6's end-of-test summary docs):
    trends in milliseconds, http_reqs a counter with its rate, http_req_failed a Rate whose 'passes'
    count the failed requests. ``endpoints``: {name: (requests, failed, p95)} for sub-metrics tagged name."""

    def trend(p95_ms, p99_ms):
        values = {"avg": p95_ms * 0.6, "min": p95_ms * 0.2, "med": p95_ms * 0.5, "max": p95_ms * 2.5,
                  "p(90)": p95_ms * 0.9, "p(95)": p95_ms}
        if p99_ms is not None:
            values["p(99)"] = p99_ms
        return values

    metrics = {
        "http_req_duration": trend(p95, p99),
        "http_req_duration{expected_response:true}": trend(p95 * 0.98, p99),
        "http_reqs": {"count": requests, "rate": requests / seconds},
        "http_req_failed": {"passes": failed, "fails": requests - failed,
                            "value": failed / float(requests) if requests else 0},
        "iterations": {"count": requests // 3, "rate": requests / 3 / seconds},
        "vus": {"value": 10, "min": 1, "max": 10},
        "checks": {"passes": requests - failed, "fails": failed, "value": 1 - failed / float(requests or 1)},
    }
    for name, (count, errors, latency) in (endpoints or {}).items():
        metrics[f"http_req_duration{{name:{name}}}"] = dict(trend(latency, None), thresholds={"p(95)<500": False})
        metrics[f"http_reqs{{name:{name}}}"] = {"count": count, "rate": count / seconds}
        failed_rate = {"passes": errors, "fails": count - errors, "value": errors / float(count)}
        metrics[f"http_req_failed{{name:{name}}}"] = failed_rate
    return json.dumps({
        "root_group": {"name": "", "path": "", "id": "d41d8cd98f00b204e9800998ecf8427e", "groups": {}, "checks": {}},
        "options": {"summaryTrendStats": ["avg", "min", "med", "max", "p(90)", "p(95)"], "summaryTimeUnit": "",
                    "noColor": False},
        "state": {"isStdOutTTY": False, "isStdErrTTY": False, "testRunDurationMs": seconds * 1000},
        "metrics": metrics,
    }, indent=4)
