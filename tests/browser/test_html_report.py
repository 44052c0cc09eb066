"""report.html opened in headless Chromium: the verdict shows, planted script never runs, the filters work."""

from __future__ import annotations

import importlib.util
import os

import pytest

from ansible_collections.golive.readiness.plugins.plugin_utils._report_html import render_html

from . import _chromium

HERE = os.path.dirname(os.path.abspath(__file__))
ROWS = "#check-table tbody tr"


def _load_documents():
    path = os.path.join(HERE, "..", "unit", "plugins", "plugin_utils", "_documents.py")
    spec = importlib.util.spec_from_file_location("golive_report_documents", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


docs = _load_documents()


@pytest.fixture(scope="module")
def chromium():
    try:
        with _chromium.browser() as launched:
            yield launched
    except _chromium.MissingBrowser as exc:
        pytest.fail(str(exc), pytrace=False)


def open_report(chromium, tmp_path, document, name="report.html"):
    path = tmp_path / name
    path.write_text(render_html(document), encoding="utf-8")
    page = _chromium.offline_page(chromium)
    page.goto(path.as_uri())
    page.wait_for_selector("#shown")
    return page


def visible_rows(page):
    return page.locator(ROWS + ":visible")


def status_box(page, status):
    return page.locator(f'#filters input[name=status][value="{status}"]')


def shown_text(page):
    return page.locator("#shown").inner_text()


def test_verdict_banner_and_planted_script_stays_text(chromium, tmp_path):
    page = open_report(chromium, tmp_path, docs.nasty())
    assert page.locator("#verdict h1").inner_text() == "NO-GO"
    assert "v-nogo" in page.locator("#verdict").get_attribute("class")
    # The script in observed values, ids, waivers and sign-off never ran ...
    assert page.evaluate("typeof window.__golive_pwned") == "undefined"
    assert page.locator("main script, main img").count() == 0
    # ... and is shown as text.
    first = page.locator(ROWS).first
    assert docs.SCRIPT in first.inner_text()
    assert page.locator("#signoff").inner_text().count(docs.SCRIPT) >= 2
    assert page.errors == [] and page.refused == []
    page.close()


def test_status_filter_host_select_search_and_matrix_click(chromium, tmp_path):
    document = docs.no_go()
    page = open_report(chromium, tmp_path, document)
    total = len(document["checks"])
    assert visible_rows(page).count() == total
    assert shown_text(page) == f"{total} of {total} shown"

    passed = sum(1 for c in document["checks"] if c["status"] == "pass")
    status_box(page, "pass").uncheck()
    assert visible_rows(page).count() == total - passed
    assert shown_text(page) == f"{total - passed} of {total} shown"
    assert all(status != "pass" for status in visible_rows(page).evaluate_all("rs => rs.map(r => r.dataset.status)"))

    page.select_option("#f-host", "web01")
    hosts = visible_rows(page).evaluate_all("rs => rs.map(r => r.dataset.host)")
    assert hosts and set(hosts) == {"web01"}
    web01_problems = sum(1 for c in document["checks"] if c["host"] == "web01" and c["status"] != "pass")
    assert len(hosts) == web01_problems

    page.locator("#f-reset").click()
    page.wait_for_function(f"document.getElementById('shown').textContent.startsWith('{total} of')")
    page.fill("#f-text", "backups/db")
    page.wait_for_function("document.getElementById('shown').textContent.startsWith('1 of')")
    assert visible_rows(page).evaluate_all("rs => rs.map(r => r.dataset.host)") == ["db01"]

    page.locator('.matrix button[data-host="web02"][data-section="application"]').click()
    rows = visible_rows(page).evaluate_all("rs => rs.map(r => [r.dataset.host, r.dataset.section])")
    assert rows == [["web02", "application"]]
    assert page.input_value("#f-text") == ""
    assert page.errors == [] and page.refused == []

    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10000
    page.close()


def test_a_blocking_link_reveals_its_row_even_when_filtered_out(chromium, tmp_path):
    page = open_report(chromium, tmp_path, docs.no_go())
    status_box(page, "fail").uncheck()
    link = page.locator("#blocking a", has_text="backup:/var/backups/db")
    target = link.get_attribute("href")
    assert page.locator(target).is_hidden()
    link.click()
    page.wait_for_function(f"!document.querySelector('{target}').hidden")
    assert page.locator(target).is_visible()
    page.close()


def test_two_thousand_rows_filter_in_the_page(chromium, tmp_path):
    document = docs.large(20, 100)
    page = open_report(chromium, tmp_path, document)
    assert shown_text(page) == "2000 of 2000 shown"
    for status in ("pass", "warn", "skipped", "error"):
        status_box(page, status).uncheck()
    fails = sum(1 for c in document["checks"] if c["status"] == "fail")
    assert shown_text(page) == f"{fails} of 2000 shown"
    page.select_option("#f-section", "backup")
    expected = sum(1 for c in document["checks"] if c["status"] == "fail" and c["section"] == "backup")
    assert visible_rows(page).count() == expected
    assert page.errors == []
    page.close()


def test_print_shows_every_row_and_hides_the_controls(chromium, tmp_path):
    page = open_report(chromium, tmp_path, docs.no_go())
    status_box(page, "pass").uncheck()
    page.emulate_media(media="print")
    assert page.locator("#filters").is_hidden()
    assert visible_rows(page).count() == len(docs.no_go()["checks"])
    page.close()


def test_the_script_detector_sees_a_script_that_runs(chromium, tmp_path):
    """Control for the escaping test: the same payload, written raw, does set the flag."""
    path = tmp_path / "raw.html"
    path.write_text(f"<!DOCTYPE html><html><body><p id='shown'>x</p>{docs.SCRIPT}</body></html>", encoding="utf-8")
    page = _chromium.offline_page(chromium)
    page.goto(path.as_uri())
    assert page.evaluate("window.__golive_pwned") == 1
    page.close()
