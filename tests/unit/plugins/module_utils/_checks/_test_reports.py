"""Real test and coverage reports for the evidence kinds: pytest --junitxml and coverage.py run for real.

A tiny project (a module and its tests: passing, failing, erroring and skipped) is written to a directory and
pytest runs over it in a subprocess, as a CI job would; coverage.py measures the same project and writes its
Cobertura XML and JSON reports. Also the documented shapes of reports written by tools that cannot run here
(Maven Surefire, jest-junit), each saying where its shape is from.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import textwrap
import time
import types

from ._ports import unused_port
from ._real_http_servers import ServerProcess

RUN_TIMEOUT = 300

# The project under test: a shop's cart with one uncovered branch, and a package of its own (shop.api).
SHOP_SOURCES = {
    "shop/__init__.py": "",
    "shop/cart.py": """\
        def total(prices, discount=0):
            if discount:
                return sum(prices) * (100 - discount) / 100
            return sum(prices)


        def refund(amount):
            if amount < 0:
                raise ValueError("negative refund")
            return -amount
        """,
    "shop/api/__init__.py": "",
    "shop/api/health.py": """\
        def status():
            return {"status": "ok"}


        def detailed():
            checks = {"db": True, "cache": True}
            if all(checks.values()):
                return dict(status="ok", checks=checks)
            return dict(status="degraded", checks=checks)
        """,
}

PASSING_TESTS = """\
    from shop.api.health import status
    from shop.cart import total


    def test_total():
        assert total([1, 2, 3]) == 6


    def test_discount():
        assert total([100], discount=10) == 90


    def test_health():
        assert status() == {"status": "ok"}
    """

# Two more outcomes of each kind a CI run has: a failed assertion, a fixture that errs, a skipped test.
BROKEN_TESTS = """\
    import pytest

    from shop.cart import refund


    def test_refund_is_negative():
        assert refund(5) == 5, "refund sign is wrong"


    @pytest.fixture
    def seeded_database():
        raise RuntimeError("database not seeded")


    def test_orders_listed(seeded_database):
        pass


    @pytest.mark.skip(reason="payment sandbox not reachable")
    def test_checkout():
        pass
    """


def write_project(root, broken=True):
    """The shop project and its tests under ``root``; the test files' paths."""
    for name, text in SHOP_SOURCES.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(textwrap.dedent(text))
    tests = {"tests/test_shop.py": PASSING_TESTS}
    if broken:
        tests["tests/test_broken.py"] = BROKEN_TESTS
    for name, text in tests.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(textwrap.dedent(text))
    return sorted(tests)


def _environment(root):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=root)
    env.pop("COVERAGE_PROCESS_START", None)
    return env


def run_pytest(root, report, *extra, broken=True):
    """Real ``pytest --junitxml`` over the project (written first); the completed process."""
    tests = write_project(root, broken)
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *extra, *tests]
    return subprocess.run(argv, cwd=root, env=_environment(root), capture_output=True, text=True,
                          timeout=RUN_TIMEOUT, check=False)


def run_coverage(root, branch=False):
    """Real ``coverage run -m pytest`` over the project's passing tests, then ``coverage xml`` and ``coverage
    json``: the paths of the two reports."""
    tests = write_project(root, broken=False)
    env = _environment(root)
    data = os.path.join(root, ".coverage")
    common = [sys.executable, "-m", "coverage"]
    run = [*common, "run", f"--data-file={data}", "--source=shop", *(["--branch"] if branch else []),
           "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests]
    xml, js = os.path.join(root, "coverage.xml"), os.path.join(root, "coverage.json")
    for argv in (run, [*common, "xml", f"--data-file={data}", "-o", xml],
                 [*common, "json", f"--data-file={data}", "-o", js]):
        done = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                              check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    return types.SimpleNamespace(xml=xml, json=js)


def coverage_totals(json_report):
    """coverage.py's own totals of its JSON report, to compare the check's figures with."""
    with open(json_report) as handle:
        return json.load(handle)["totals"]


@contextlib.contextmanager
def served_directory(directory):
    """Python's own http.server over ``directory`` on a loopback port (it sends Last-Modified from each file's
    modification time, as a CI server's artifact store does); its base URL."""
    port = unused_port()
    server = ServerProcess("http.server", [sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                                           "--directory", str(directory), str(port)], str(directory), [port])
    try:
        server.wait_ready()
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def set_age(path, seconds):
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)
    return path


# Maven Surefire's report, in the shape of its XSD (maven-surefire-common, surefire-test-report-3.0.xsd) and of
# the TEST-<class>.xml files it writes into target/surefire-reports: one <testsuite> root without a timestamp,
# <properties>, failures with message and type, a test that passed on a rerun with <flakyFailure>.
SUREFIRE_REPORT = """\
<?xml version="1.0" encoding="UTF-8"?>
<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:noNamespaceSchemaLocation="https://maven.apache.org/surefire/maven-surefire-plugin/xsd/surefire-test-report-3.0.xsd"
    version="3.0" name="com.example.shop.CheckoutIT" time="1.204" tests="4" errors="0" skipped="1" failures="1">
  <properties>
    <property name="java.version" value="21.0.5"/>
  </properties>
  <testcase name="paysWithCard" classname="com.example.shop.CheckoutIT" time="0.412"/>
  <testcase name="refundsOrder" classname="com.example.shop.CheckoutIT" time="0.301">
    <failure message="expected: &lt;-5&gt; but was: &lt;5&gt;" type="org.opentest4j.AssertionFailedError"><![CDATA[
org.opentest4j.AssertionFailedError: expected: <-5> but was: <5>
    at com.example.shop.CheckoutIT.refundsOrder(CheckoutIT.java:41)
]]></failure>
    <system-out><![CDATA[refund 5]]></system-out>
  </testcase>
  <testcase name="appliesVoucher" classname="com.example.shop.CheckoutIT" time="0.322">
    <flakyFailure message="connection reset" type="java.net.SocketException">
      <stackTrace><![CDATA[java.net.SocketException: connection reset]]></stackTrace>
    </flakyFailure>
  </testcase>
  <testcase name="paysWithInvoice" classname="com.example.shop.CheckoutIT" time="0">
    <skipped message="invoice provider sandbox down"/>
  </testcase>
</testsuite>
"""

# jest-junit's report, in the shape its README shows: a <testsuites> root with totals, one <testsuite> per test
# file with a timestamp in UTC without offset, classname and name from the describe and test titles, and a
# <failure> holding the message as text (no message attribute).
JEST_JUNIT_REPORT = """\
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="5" failures="1" errors="0" time="2.31">
  <testsuite name="cart.test.js" errors="0" failures="1" skipped="0" timestamp="{timestamp}" time="1.2" tests="3">
    <testcase classname="cart adds items" name="cart adds items" time="0.004">
    </testcase>
    <testcase classname="cart applies discount" name="cart applies discount" time="0.002">
    </testcase>
    <testcase classname="cart rounds totals" name="cart rounds totals" time="0.003">
      <failure>Error: expect(received).toBe(expected) // Object.is equality

Expected: 10.01
Received: 10
    at Object.toBe (/ci/shop/cart.test.js:21:27)</failure>
    </testcase>
  </testsuite>
  <testsuite name="health.test.js" errors="0" failures="0" skipped="1" timestamp="{timestamp}" time="0.9" tests="2">
    <testcase classname="health answers ok" name="health answers ok" time="0.001">
    </testcase>
    <testcase classname="health reports details" name="health reports details" time="0">
      <skipped/>
    </testcase>
  </testsuite>
</testsuites>
"""
