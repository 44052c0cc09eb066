"""report.html opened in headless Chromium: the verdict shows, planted script never runs, the filters work."""

from __future__ import annotations

import importlib.util
import json
import os

import pytest

from ansible_collections.golive.readiness.plugins.plugin_utils._report_html import render_html

from . import _chromium

HERE = os.path.dirname(os.path.abspath(__file__))
ROWS = "#check-table > details"
# The demo's report.json (make demo), its checkout and virtualenv paths replaced by neutral ones.
DEMO_REPORT = os.path.join(HERE, "fixtures", "demo_report.json")
# The demo's page was 15,761 px tall at 1280 px when every passed check showed its values (6,620 px folded).
DEMO_HEIGHT_BOUND = 10000
# Elements that scroll sideways inside the page, or reach past its right edge.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth, found = [];
  for (const e of document.querySelectorAll('main *, header *, nav *')) {
    const clipped = getComputedStyle(e).textOverflow === 'ellipsis';
    if (!clipped && e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible') {
      found.push(`${e.tagName}.${e.className} scrolls ${e.scrollWidth}px in ${e.clientWidth}px`);
    }
    const right = e.getBoundingClientRect().right;
    if (!clipped && !e.closest('th[scope=row]') && right > width + 1) {
      found.push(`${e.tagName}.${e.className} ends at ${Math.round(right)}px`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, found: found.slice(0, 10)};
}"""


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


def demo_document():
    with open(DEMO_REPORT, encoding="utf-8") as handle:
        return json.load(handle)


def open_report(chromium, tmp_path, document, name="report.html", width=1280):
    path = tmp_path / name
    path.write_text(render_html(document), encoding="utf-8")
    page = _chromium.offline_page(chromium, width=width)
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


def test_passed_checks_are_folded_until_opened_and_failing_ones_show_hint_and_contact(chromium, tmp_path):
    document = demo_document()
    page = open_report(chromium, tmp_path, document)
    passed = page.locator(ROWS + '[data-status="pass"]')
    failed = page.locator(ROWS + '[data-status="fail"]')
    assert passed.count() == 46 and failed.count() == 3
    assert passed.evaluate_all("rs => rs.filter(r => r.open).length") == 0
    first = passed.first
    assert first.locator("summary").is_visible() and first.locator("table.measures").is_hidden()
    first.locator("summary").click()
    assert first.locator("table.measures").is_visible()
    assert "free_bytes" in first.locator("table.measures").inner_text()
    for index in range(failed.count()):
        row = failed.nth(index)
        assert row.locator("table.measures").is_visible()
        hint, contact = row.locator(".follow-hint"), row.locator(".follow-contact")
        assert hint.is_visible() and "Pin requests with ==" in hint.inner_text()
        assert contact.is_visible() and "shop developers (#shop-dev)" in contact.inner_text()
    warnings = page.locator("#blocking details.warnings")
    assert "Pin requests with ==" in warnings.locator(".follow-hint").inner_text()
    # A link to a folded check opens it.
    anchor = passed.nth(5).get_attribute("id")
    page.evaluate(f"location.hash = '#{anchor}'")
    page.wait_for_function(f"document.getElementById('{anchor}').open")
    assert page.locator(f"#{anchor} table.measures").is_visible()
    page.locator("#f-fold").click()
    assert passed.evaluate_all("rs => rs.filter(r => r.open).length") == 0
    page.locator("#f-open").click()
    assert passed.evaluate_all("rs => rs.filter(r => !r.open).length") == 0
    # Printed, the hint and the contact stay beside the failing checks.
    page.emulate_media(media="print")
    assert failed.first.locator(".follow-hint").is_visible() and failed.first.locator(".follow-contact").is_visible()
    assert page.errors == [] and page.refused == []
    page.close()


@pytest.mark.parametrize("width", [1280, 800])
def test_the_demo_report_is_short_and_nothing_overflows_sideways(chromium, tmp_path, width):
    page = open_report(chromium, tmp_path, demo_document(), width=width)
    if width == 1280:
        assert page.evaluate("document.documentElement.scrollHeight") < DEMO_HEIGHT_BOUND
    page.locator("#f-open").click()  # opened values must fit too
    overflow = page.evaluate(OVERFLOW)
    assert overflow["scrollWidth"] <= overflow["width"] and overflow["found"] == [], overflow
    shot = tmp_path / f"demo-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10000
    page.close()


def test_long_hostile_ids_wrap_without_widening_the_page_at_800_px(chromium, tmp_path):
    document = docs.nasty()
    document["checks"].append(docs.check("web01", "path:" + "/srv/shop/releases/2026.11.20-1" * 8, "fail",
                                         hint="x" * 300, contact="team-" * 30))
    page = open_report(chromium, tmp_path, document, width=800)
    overflow = page.evaluate(OVERFLOW)
    assert overflow["scrollWidth"] <= overflow["width"] and overflow["found"] == [], overflow
    page.close()
