"""Real Prometheus and Alertmanager servers on 127.0.0.1 for the monitoring tests.

``monitoring_stack()`` starts, on ports the kernel picks:

- a tiny exporter (an HTTP server in this process) whose /metrics Prometheus scrapes; its other paths stand
  in for a broken API: /-/ready answers 503 (an Alertmanager that is not ready), /api/v1/targets answers
  HTML (something that is not Prometheus), /failing/api/... answers Prometheus's error JSON, and under
  /lookalike/ only /-/ready answers (a ready server that is not Alertmanager);
- a listener that accepts connections and never answers (a hung server);
- ``/usr/bin/prometheus`` scraping every second: job ``api`` (the exporter, up), job ``dead`` (a closed port,
  down) and job ``slow`` (the silent listener, scraped hourly with an hour's timeout, so its health stays
  unknown), with alerting rules ApiDown, HighErrorRate, HighLatency, HighMemory, HighCpu and TargetDown and
  one recording rule; it is waited for until api and dead have been scraped and the rules evaluated;
- optionally a second Prometheus whose only job scrapes the exporter twice and whose rule BrokenJoin fails at
  every evaluation (health ``err``);
- ``/usr/bin/prometheus-alertmanager`` with the gossip cluster off (``--cluster.listen-address=``) and
  webhook receivers pointing at a closed 127.0.0.1 port (no alert is ever sent to it).

Everything listens on 127.0.0.1 only. The processes run in their own process groups and are killed at the
end. A missing binary fails loudly: scripts/setup installs both.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import textwrap
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ._ports import unused_port
from ._tcp_servers import TcpServer

PROMETHEUS = "/usr/bin/prometheus"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
TOKEN = "prom-tok-8c2f5a1e9b7d4036"  # searched for in every output: it must never appear
PASSWORD = "am-pw-3e9a7c51d2f04b68"
REQUIRED_ALERTS = ["ApiDown", "HighErrorRate", "HighLatency", "HighMemory", "HighCpu"]
STARTUP_SECONDS = 60

METRICS = textwrap.dedent("""\
    # TYPE http_requests_total counter
    http_requests_total{code="200"} 1027
    http_requests_total{code="500"} 3
    # TYPE http_request_duration_seconds histogram
    http_request_duration_seconds_bucket{le="0.1"} 990
    http_request_duration_seconds_bucket{le="1"} 1029
    http_request_duration_seconds_bucket{le="+Inf"} 1030
    http_request_duration_seconds_sum 41.2
    http_request_duration_seconds_count 1030
    # TYPE process_resident_memory_bytes gauge
    process_resident_memory_bytes 52428800
    # TYPE process_cpu_seconds_total counter
    process_cpu_seconds_total 12.5
    """)

ALERT_RULES = textwrap.dedent("""\
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 1m
            labels: {severity: critical}
          - alert: HighErrorRate
            expr: sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.05
            for: 5m
          - alert: HighLatency
            expr: histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 1
          - alert: TargetDown
            expr: up == 0
          - record: job:up:sum
            expr: sum by (job) (up)
      - name: resources
        rules:
          - alert: HighMemory
            expr: process_resident_memory_bytes > 2e9
          - alert: HighCpu
            expr: rate(process_cpu_seconds_total[5m]) > 0.9
    """)

# Two series of up on each side of a one-to-one match on no labels: every evaluation fails.
BROKEN_RULES = textwrap.dedent("""\
    groups:
      - name: broken
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
          - alert: BrokenJoin
            expr: up + on() up > 5
    """)


# --- the exporter and stand-ins ----------------------------------------------------------------

class ExporterHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def answer(self, status, body, content_type="text/plain"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.server.authorizations.append(self.headers.get("Authorization"))
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self.answer(200, METRICS, "text/plain; version=0.0.4")
        elif path == "/-/ready":
            self.answer(503, "Alertmanager is not ready yet")
        elif path == "/api/v1/targets":
            self.answer(200, "<html><body>Welcome to Grafana</body></html>", "text/html")
        elif path == "/lookalike/-/ready":
            self.answer(200, "Prometheus Server is Ready.")
        elif path.startswith("/failing/api/"):
            self.answer(503, json.dumps({"status": "error", "errorType": "unavailable",
                                         "error": "TSDB not ready"}), "application/json")
        else:
            self.answer(404, "404 page not found")


class Exporter(object):
    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), ExporterHandler)
        self.server.daemon_threads = True
        self.server.authorizations = []
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def authorizations(self):
        return self.server.authorizations

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# --- processes ----------------------------------------------------------------------------------

def _binary(path):
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{path} is not installed; scripts/setup installs it (Debian packages prometheus and "
                           "prometheus-alertmanager)")
    return path


def _get(url, timeout=2):
    """(status, body) of a GET, or (None, reason)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except OSError as exc:
        return None, str(exc)


class Server(object):
    """One server process in its own process group and temp directory, killed by stop()."""

    name = "server"

    def __init__(self, argv_of, files):
        self.directory = tempfile.mkdtemp(prefix=f"golive-{self.name}-")
        for name, text in files.items():
            with open(os.path.join(self.directory, name), "w") as handle:
                handle.write(text)
        self.port = unused_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(self.directory, "server.log")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(argv_of(self.directory, self.port), cwd=self.directory,
                                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)

    def log(self):
        with open(self.log_path, errors="replace") as handle:
            return handle.read()[-4000:]

    def wait_until(self, predicate, what, ends):
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode} "
                                   f"while waiting for {what}:\n{self.log()}")
            if predicate():
                return
            if time.monotonic() > ends:
                raise RuntimeError(f"{self.name} on port {self.port}: gave up waiting for {what}:\n{self.log()}")
            time.sleep(0.2)

    def ready(self):
        return _get(self.url + "/-/ready")[0] == 200

    def api(self, path):
        status, body = _get(self.url + path)
        return json.loads(body) if status == 200 else None

    def stop(self):
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                pass
        self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


class Prometheus(Server):
    name = "prometheus"

    def __init__(self, scrape_configs, rules):
        config = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
                  "rule_files": ["rules.yml"], "scrape_configs": scrape_configs}
        text = json.dumps(config)  # JSON is YAML
        super(Prometheus, self).__init__(lambda directory, port: [
            _binary(PROMETHEUS), "--config.file=prometheus.yml", f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.path={}".format(os.path.join(directory, "data")), "--log.level=warn"],
            {"prometheus.yml": text, "rules.yml": rules})

    def targets(self):
        answer = self.api("/api/v1/targets?state=active")
        return answer["data"]["activeTargets"] if answer else []

    def rules(self):
        answer = self.api("/api/v1/rules?type=alert")
        return [r for g in answer["data"]["groups"] for r in g["rules"]] if answer else []

    def wait_for_scrapes(self, jobs, ends, rule, key, value):
        """Until every target of ``jobs`` has been scraped once, every alert rule evaluated, and the
        alert rule ``rule`` has ``value`` for ``key`` (a state or health that needs the scraped samples)."""
        def scraped():
            targets = [t for t in self.targets() if t["labels"]["job"] in jobs]
            return len(targets) >= len(jobs) and all(t["health"] != "unknown" for t in targets)

        def evaluated():
            rules = self.rules()
            return bool(rules) and all(r["health"] != "unknown" for r in rules) and any(
                r["name"] == rule and r[key] == value for r in rules)

        self.wait_until(self.ready, "/-/ready", ends)
        self.wait_until(scraped, "the first scrapes of {}".format(", ".join(jobs)), ends)
        self.wait_until(evaluated, f"the alert rules' evaluation ({rule} {key} {value})", ends)


def _job(name, *ports, **settings):
    job = dict(job_name=name, static_configs=[{"targets": [f"127.0.0.1:{port}" for port in ports]}])
    job.update(settings)
    return job


def alertmanager_config(webhook):
    hook = [{"url": webhook, "send_resolved": False}]
    return {
        "route": {
            "receiver": "ops-webhook",
            "group_by": ["alertname"],
            "routes": [
                {"receiver": "pager", "matchers": ['severity="critical"']},
                {"receiver": "db-team", "matchers": ['team="db"'], "continue": True,
                 "routes": [{"receiver": "db-oncall", "matchers": ['env=~"prod|production"']}]},
                {"receiver": "audit", "match": {"env": "prod"}},
                {"receiver": "blackhole", "matchers": ['alertname="Watchdog"']},
            ],
        },
        "receivers": [
            {"name": "ops-webhook", "webhook_configs": hook},
            {"name": "pager", "webhook_configs": hook},
            {"name": "db-team", "webhook_configs": hook},
            {"name": "db-oncall", "webhook_configs": hook + hook},
            {"name": "audit", "webhook_configs": hook},
            {"name": "blackhole"},
        ],
    }


class Alertmanager(Server):
    name = "alertmanager"

    def __init__(self, config):
        super(Alertmanager, self).__init__(lambda directory, port: [
            _binary(ALERTMANAGER), "--config.file=alertmanager.yml", f"--web.listen-address=127.0.0.1:{port}",
            "--storage.path={}".format(os.path.join(directory, "data")), "--cluster.listen-address=",
            "--log.level=warn"], {"alertmanager.yml": json.dumps(config)})


class Stack(object):
    """What monitoring_stack() yields: the servers and the urls the tests point checks at."""

    def __init__(self, exporter, silent, prometheus, alertmanager, broken):
        self.exporter = exporter
        self.silent = silent
        self.prometheus = prometheus
        self.alertmanager = alertmanager
        self.broken = broken
        self.silent_url = f"http://127.0.0.1:{silent.port}"


@contextlib.contextmanager
def _running(server):
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def monitoring_stack(prometheus=True, broken_rules=False, alertmanager=True):
    """The exporter and the silent listener, plus the servers asked for, all started before any is waited for."""
    with contextlib.ExitStack() as stack:
        exporter = Exporter()
        stack.callback(exporter.stop)
        silent = TcpServer().start()
        stack.callback(silent.stop)
        main = broken = manager = None
        if prometheus:
            main = stack.enter_context(_running(Prometheus([
                _job("api", exporter.port),
                _job("dead", unused_port()),
                _job("slow", silent.port, scrape_interval="1h", scrape_timeout="1h"),
            ], ALERT_RULES)))
        if broken_rules:
            second = Exporter()
            stack.callback(second.stop)
            broken = stack.enter_context(_running(Prometheus([_job("api", exporter.port, second.port)],
                                                             BROKEN_RULES)))
        if alertmanager:
            manager = stack.enter_context(_running(Alertmanager(alertmanager_config(
                f"http://127.0.0.1:{unused_port()}/hook"))))
        ends = time.monotonic() + STARTUP_SECONDS
        if main is not None:
            main.wait_for_scrapes(["api", "dead"], ends, "TargetDown", "state", "firing")
        if broken is not None:
            broken.wait_for_scrapes(["api"], ends, "BrokenJoin", "health", "err")
        if manager is not None:
            manager.wait_until(manager.ready, "/-/ready", ends)
        yield Stack(exporter, silent, main, manager, broken)
