"""A real Prometheus scraping test apps whose rates, latency histogram and memory growth are known in advance.

``rates_stack()`` starts, on 127.0.0.1 and ports the kernel picks:

- the shop app (job ``shop``): an HTTP server in this process whose /metrics grow with the time since it
  started, so that every rate Prometheus computes is known: requests at ``REQUESTS_PER_SECOND`` of which
  ``ERROR_SHARE`` answered 500, a request-duration histogram whose 95th percentile is ``P95_SECONDS``, a
  resident memory growing by ``MEMORY_GROWTH_PER_SECOND`` bytes, and a gauge ``batch_rows_loaded`` carrying
  an explicit timestamp ``BATCH_AGE_SECONDS`` before the app started (a sample that is old when scraped,
  as a pushed or federated one can be);
- the worker app (job ``worker``): the same metrics, stopped by ``stop_worker()`` when a test needs a target
  that went away;
- ``/usr/bin/prometheus`` scraping both every second, waited for until ``MIN_SAMPLES`` scrapes of each are
  stored (a rate over ``[1m]`` needs two; more make the figures steadier).

The counters are floats computed at scrape time from one clock, so a ratio of two rates is exact whatever the
scrape timing; the memory slope depends on when each scrape happens and is checked with a tolerance.
"""

from __future__ import annotations

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

from ._prometheus_servers import Prometheus, _job, _running

REQUESTS_PER_SECOND = 100.0
ERROR_SHARE = 0.02
# Share of requests at or under each bucket's upper bound: the 95th percentile lies in (0.2, 0.4],
# 5/8 of the way: 0.2 + 0.2 * (0.95 - 0.90) / (0.98 - 0.90) = 0.325 s.
BUCKET_SHARES = (("0.1", 0.50), ("0.2", 0.90), ("0.4", 0.98), ("1", 0.995), ("+Inf", 1.0))
P95_SECONDS = 0.325
MEAN_SECONDS = 0.12
MEMORY_START_BYTES = 100 * 1024 * 1024
MEMORY_GROWTH_PER_SECOND = 1024 * 1024
BATCH_ROWS = 1234
BATCH_AGE_SECONDS = 40
MIN_SAMPLES = 6
STARTUP_SECONDS = 120


def metrics_text(elapsed: float, batch_timestamp_ms: int) -> str:
    requests = REQUESTS_PER_SECOND * elapsed
    lines = [
        "# TYPE http_requests_total counter",
        f'http_requests_total{{code="200",handler="/api/orders"}} {requests * (1 - ERROR_SHARE)!r}',
        f'http_requests_total{{code="500",handler="/api/orders"}} {requests * ERROR_SHARE!r}',
        "# TYPE http_request_duration_seconds histogram",
    ]
    lines += [f'http_request_duration_seconds_bucket{{le="{bound}"}} {requests * share!r}'
              for bound, share in BUCKET_SHARES]
    lines += [
        f"http_request_duration_seconds_sum {requests * MEAN_SECONDS!r}",
        f"http_request_duration_seconds_count {requests!r}",
        "# TYPE process_resident_memory_bytes gauge",
        f"process_resident_memory_bytes {MEMORY_START_BYTES + MEMORY_GROWTH_PER_SECOND * elapsed!r}",
        "# TYPE batch_rows_loaded gauge",
        f"batch_rows_loaded {BATCH_ROWS} {batch_timestamp_ms}",
    ]
    return "\n".join(lines) + "\n"


class _MetricsHandler(BaseHTTPRequestHandler):
    # One request per connection: once the app stops listening, Prometheus's next scrape is refused
    # (a kept-alive connection would go on being served by its handler thread).
    protocol_version = "HTTP/1.0"

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        if self.path.split("?", 1)[0] != "/metrics":
            body, status = b"404 page not found\n", 404
        else:
            app = self.server.app
            body, status = metrics_text(time.monotonic() - app.started, app.batch_timestamp_ms).encode(), 200
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class RatesApp(object):
    """An app whose /metrics counters grow at known rates from the moment it starts."""

    def __init__(self):
        self.started = time.monotonic()
        self.batch_timestamp_ms = int((time.time() - BATCH_AGE_SECONDS) * 1000)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _MetricsHandler)
        self.server.daemon_threads = True
        self.server.app = self
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.stopped = False

    def stop(self):
        if not self.stopped:
            self.stopped = True
            self.server.shutdown()
            self.server.server_close()


class RatesStack(object):
    def __init__(self, shop, worker, prometheus):
        self.shop = shop
        self.worker = worker
        self.prometheus = prometheus
        self.url = prometheus.url

    def value(self, query):
        """The first value of an instant query's vector, or None: for waiting, never for asserting a check."""
        answer = self.prometheus.api("/api/v1/query?" + urlencode({"query": query}))
        result = (answer or {}).get("data", {}).get("result") or []
        return float(result[0]["value"][1]) if result else None

    def stop_worker(self, then_wait=6, within=60):
        """Stop the worker app, wait (bounded) until Prometheus has found it down, and then until ``then_wait``
        more seconds have passed on Prometheus's clock, so that its newest samples are at least that old."""
        self.worker.stop()
        ends = time.monotonic() + within
        self.prometheus.wait_until(lambda: self.value('up{job="worker"}') == 0, "the worker's scrape to fail", ends)
        found_down = self.value("vector(time())")
        self.prometheus.wait_until(lambda: self.value("vector(time())") >= found_down + then_wait,
                                   f"{then_wait} s of Prometheus's clock", ends)


@contextlib.contextmanager
def rates_stack():
    with contextlib.ExitStack() as stack:
        shop = RatesApp()
        stack.callback(shop.stop)
        worker = RatesApp()
        stack.callback(worker.stop)
        prometheus = stack.enter_context(_running(Prometheus(
            [_job("shop", shop.port), _job("worker", worker.port)], "groups: []\n")))
        running = RatesStack(shop, worker, prometheus)
        ends = time.monotonic() + STARTUP_SECONDS
        prometheus.wait_until(prometheus.ready, "/-/ready", ends)
        for job in ("shop", "worker"):
            prometheus.wait_until(
                lambda job=job: (running.value(f'count_over_time(up{{job="{job}"}}[1m])') or 0) >= MIN_SAMPLES,
                f"{MIN_SAMPLES} scrapes of job {job}", ends)
        yield running
