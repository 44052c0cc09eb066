from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from ansible_collections.golive.readiness.plugins.plugin_utils._report_html import breakable, render_html

from . import _documents as docs


class Page(HTMLParser):
    """The rendered page as elements (tag, attributes, text inside), checked for balance as it is read."""

    VOID = {"meta", "input", "br", "hr", "img", "link", "wbr", "col"}

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self.open = []
        self.unbalanced = []
        # A line-break opportunity is no text: read the words around it as one, as a browser's textContent does.
        self.feed(text.replace("<wbr>", ""))
        self.close()

    def handle_starttag(self, tag, attrs):
        element = dict(tag=tag, attrs=dict(attrs), text=[], parent=self.open[-1] if self.open else None)
        self.elements.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        if not self.open or self.open[-1]["tag"] != tag:
            self.unbalanced.append(tag)
            return
        self.open.pop()

    def handle_data(self, data):
        for element in self.open:
            element["text"].append(data)

    def find(self, tag, **attrs):
        return [e for e in self.elements if e["tag"] == tag
                and all(e["attrs"].get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def inside(self, ancestor, tag):
        """Elements of a tag nested in ancestor, in document order."""
        found = []
        for element in self.elements:
            parent = element["parent"]
            while parent is not None and parent is not ancestor:
                parent = parent["parent"]
            if parent is ancestor and element["tag"] == tag:
                found.append(element)
        return found

    def by_id(self, anchor):
        found = [e for e in self.elements if e["attrs"].get("id") == anchor]
        assert len(found) == 1, anchor
        return found[0]

    @staticmethod
    def text(element):
        return re.sub(r"\s+", " ", " ".join(element["text"])).strip()


def page_of(document):
    page = Page(render_html(document))
    assert page.unbalanced == [] and page.open == []
    return page


@pytest.mark.parametrize("document", [docs.no_go(), docs.go(), docs.warnings_only(), docs.old_schema(), docs.nasty(),
                                      docs.large(3, 10), docs.attested()],
                         ids=["no_go", "go", "warnings", "old", "nasty", "large", "attested"])
def test_every_document_renders_one_balanced_self_contained_page(document):
    page = page_of(document)
    # Only the page's own inline script and style; nothing fetched from anywhere.
    assert len(page.find("script")) == 1 and page.find("script")[0]["attrs"] == {}
    assert len(page.find("style")) == 1
    assert not page.find("link") and not page.find("img") and not page.find("iframe")
    for element in page.elements:
        for name in ("src", "href", "action"):
            value = element["attrs"].get(name)
            if element["tag"] == "a" and element["attrs"].get("class") == "evidence" and name == "href":
                # An attestation's evidence is a link the reader may open; the page itself loads nothing.
                assert value.startswith(("https://", "http://")), value
                continue
            assert value is None or value.startswith("#"), (element["tag"], name, value)


def test_hostile_values_are_text_never_markup():
    document = docs.nasty()
    text = render_html(document)
    page = page_of(document)
    script = page.find("script")[0]
    assert "__golive_pwned" not in "".join(script["text"])
    assert "<script>window" not in text and "<img" not in text
    assert "&lt;script&gt;window.__golive_pwned = 1&lt;/script&gt;" in text
    # The planted markup reads back as the same text, in the summary, observed values, waivers and sign-off.
    body = Page.text(page.find("main")[0])
    assert body.count(docs.SCRIPT) >= 8
    assert docs.IMG in body
    assert "Zoë <i>Ng</i>" in body and "漢字" in body
    # Attribute values are escaped too: the hostile host and section survive as exact data- values.
    rows = page.find("details", data_host='host"<script>|x')
    assert rows and rows[0]["attrs"]["data-section"] == 'sec"tion\\with\nnewline|pipe'
    options = [Page.text(o) for o in page.find("option")]
    assert 'host"<script>|x' in options


def test_verdict_banner_is_coloured_and_counts_the_checks():
    for document, css, words in ((docs.no_go(), "v-nogo", "7 checks on 4 hosts"),
                                 (docs.warnings_only(), "v-warn", "2 checks on 1 host"),
                                 (docs.go(), "v-go", "3 checks on 3 hosts")):
        page = page_of(document)
        banner = page.by_id("verdict")
        assert css in banner["attrs"]["class"].split()
        assert Page.text(page.find("h1")[0]) == document["verdict"]
        assert words in Page.text(banner)
        assert Page.text(page.find("title")[0]) == "Go-live readiness: {}".format(document["verdict"])


def test_blocking_lists_checks_then_unreachable_hosts_and_failed_tasks_with_links_to_their_rows():
    page = page_of(docs.no_go())
    blocking = page.by_id("blocking")
    text = Page.text(blocking)
    assert text.index("backup:/var/backups/db") < text.index("web03")
    assert "disk_space:/" in text and "connection refused" in text and "permission denied" in text
    assert "Nothing blocks" not in text
    links = [e["attrs"]["href"] for e in page.find("a") if e["attrs"].get("href", "").startswith("#row-")]
    for href in links:
        assert page.by_id(href[1:])["tag"] == "details"
    assert "Nothing blocks the go-live." in Page.text(page_of(docs.go()).by_id("blocking"))


def test_changes_since_previous_run_list_regressions_first():
    page = page_of(docs.no_go())
    text = Page.text(page.by_id("changes"))
    assert "history/20261123T101500Z" in text and "GO WITH WARNINGS" in text
    order = [text.index(title) for title in ("Newly failing (regressions)", "Fixed", "New checks", "Removed checks")]
    assert order == sorted(order)
    assert "process:nginx" in text and "absent" in text
    assert "first run" in Page.text(page_of(docs.go()).by_id("changes"))
    assert "No history in this report." in Page.text(page_of(docs.old_schema()).by_id("changes"))


def test_matrix_cells_show_the_worst_status_and_drive_the_filters():
    page = page_of(docs.no_go())
    buttons = page.find("button", data_host="web01", data_section="infrastructure")
    assert len(buttons) == 1 and "s-fail" in buttons[0]["attrs"]["class"]
    assert Page.text(buttons[0]).endswith("1 fail")
    unreachable_row = [e for e in page.find("th", scope="row") if "web03" in Page.text(e)]
    assert unreachable_row and "unreachable" in Page.text(unreachable_row[0])


def test_check_table_has_a_row_per_check_with_filter_data_and_observed_vs_expected():
    document = docs.large(20, 100)
    page = page_of(document)
    rows = [e for e in page.find("details") if "data-status" in e["attrs"]]
    assert len(rows) == 2000
    assert set(r["attrs"]["data-status"] for r in rows) == {"pass", "warn", "fail", "error", "skipped"}
    assert Page.text(page.by_id("shown")) == "2000 of 2000 shown"
    # Worst first.
    ranks = {"error": 0, "fail": 1, "warn": 2, "skipped": 3, "pass": 4}
    statuses = [ranks[r["attrs"]["data-status"]] for r in rows]
    assert statuses == sorted(statuses)
    hosts = [o["attrs"]["value"] for o in page.inside(page.by_id("f-host"), "option")]
    assert hosts == [""] + [f"web{n:02d}" for n in range(1, 21)]
    sections = [o["attrs"]["value"] for o in page.inside(page.by_id("f-section"), "option")]
    assert sorted(sections) == sorted(("", *docs.SECTIONS))
    row = page.by_id("row-0")
    assert "value" in Page.text(row) and "fail > 1" in Page.text(row)


def test_passed_and_skipped_checks_are_folded_the_others_open():
    page = page_of(docs.no_go())
    rows = {r["attrs"]["data-status"]: r for r in page.find("details") if "data-status" in r["attrs"]}
    assert set(rows) == {"pass", "warn", "fail", "error", "skipped"}
    for status, row in rows.items():
        assert ("open" in row["attrs"]) == (status in ("warn", "fail", "error")), status
        # The summary line names the check; the values are inside, shown when it opens.
        [summary] = page.inside(row, "summary")
        assert row["attrs"]["data-host"] in Page.text(summary)
        assert not page.inside(summary, "table") and len(page.inside(row, "table")) == 1


def test_observed_values_stand_beside_their_levels_in_units_for_people():
    record = docs.check(
        "web01", "disk_space:/", "warn", duration_ms=1500,
        observed={"free_bytes": {"value": 82621554688, "unit": "bytes"},
                  "free_percent": {"value": 8.25, "unit": "percent"},
                  "age_seconds": {"value": 93784, "unit": "seconds"}, "missing": [], "unpinned": ["requests", "flask"]},
        expected={"free_percent": {"warn": {"below": 10}, "fail": {"below": 5}, "unit": "percent"},
                  "free_bytes": {"fail": {"below": 10737418240}, "unit": "bytes"}, "pinned": True})
    page = page_of(docs.document([record]))
    row = page.by_id("row-0")
    measures = [[Page.text(cell) for cell in page.inside(tr, "th") + page.inside(tr, "td")]
                for tr in page.inside(row, "tr") if tr["parent"]["tag"] == "tbody"]
    assert measures == [
        ["free_bytes", "76.9 GiB", "fail < 10.0 GiB"],
        ["free_percent", "8.2%", "warn < 10.0%, fail < 5.0%"],
        ["age_seconds", "1d 2h", "–"],
        ["missing", "none", "–"],
        ["unpinned", "requests, flask", "–"],
        ["pinned", "–", "true"],
    ]
    assert Page.text(page.inside(row, "summary")[0]).endswith("1s")


def test_long_ids_and_paths_may_wrap_after_their_separators_and_short_words_never():
    assert breakable("/srv/shop/releases/2026.11.20-1") == (
        "/<wbr>srv/<wbr>shop/<wbr>releases/<wbr>2026.<wbr>11.<wbr>20-<wbr>1")
    assert breakable("free 78.2 GiB (warn < 10.0%)") == "free 78.2 GiB (warn &lt; 10.0%)"
    assert breakable('command_output:<script>"x"') == "command_<wbr>output:<wbr>&lt;script&gt;&quot;x&quot;"
    assert breakable(None) == ""
    record = docs.check("web01", "path:/srv/shop/releases/current/config/settings.production.yml", "fail")
    text = render_html(docs.document([record]))
    assert "<code>path:/<wbr>srv/<wbr>shop/<wbr>releases/<wbr>current/" in text


def test_hint_and_contact_show_beside_checks_that_did_not_pass_in_blocking_warnings_and_rows():
    follow = dict(hint="Free space: journalctl --vacuum-size=1G <now>", contact="ops@shop")
    document = docs.document([
        docs.check("web01", "disk_space:/", "fail", **follow),
        docs.check("web02", "disk_space:/", "fail", **follow),
        docs.check("web01", "process:nginx", "warn", section="services", **follow),
        docs.check("web01", "path:/srv", "pass", **follow),
    ])
    page = page_of(document)
    blocking, warnings = Page.text(page.by_id("blocking")).split("1 warning")
    assert blocking.count("Hint Free space: journalctl --vacuum-size=1G <now>") == 1
    assert blocking.count("Contact ops@shop") == 1
    assert "Hint Free space" in warnings and "Contact ops@shop" in warnings
    rows = [r for r in page.find("details") if "data-status" in r["attrs"]]
    for row in rows:
        shown = "Contact ops@shop" in Page.text(page.inside(row, "summary")[0])
        assert shown == (row["attrs"]["data-status"] != "pass")
    assert "&lt;now&gt;" in render_html(document)


def test_long_values_are_cut_in_the_page():
    record = docs.check("web01", "command_output:big", "fail", observed={"stdout": "y" * 5000})
    text = render_html(docs.document([record]))
    assert "y" * 239 + "…" in text and "y" * 241 not in text


def test_waivers_applied_expired_and_unused_are_shown():
    text = Page.text(page_of(docs.no_go()).by_id("waivers"))
    assert "Applied 1" in text and "renewal booked" in text and "SEC-42" in text
    assert "Expired, not applied 1" in text and "db01 backup:/var/backups/db" in text
    assert "Unused 1" in text and "smtp_server:*" in text
    assert "No waiver applied." in Page.text(page_of(docs.old_schema()).by_id("waivers"))


def test_run_metadata_and_notification_outcome():
    text = Page.text(page_of(docs.no_go()).by_id("run"))
    for fact in ("deployer on ops-bastion", "inventories/prod", "40.5 s", "2.19.4", "golive.yml",
                 "history/20261124T101500Z", "critical, high"):
        assert fact in text
    assert "failed to https://hooks.example.com/…/T0123 after 3 attempts (HTTP 503)" in text
    assert "Notification sent" in Page.text(page_of(docs.go()).by_id("run"))
    assert "not_configured" in Page.text(page_of(docs.warnings_only()).by_id("run"))
    assert "not recorded" in Page.text(page_of(docs.old_schema()).by_id("run"))


def test_signoff_lists_approvers_with_decisions_and_lines_to_sign():
    page = page_of(docs.no_go())
    section = page.by_id("signoff")
    text = Page.text(section)
    assert "rejected" in text and "a NO-GO cannot be signed off as GO" in text
    rows = [r for r in page.inside(section, "tr") if r["parent"]["tag"] == "tbody"]
    assert [Page.text(r).split(" ")[0] for r in rows] == ["Release", "Security", "Product"]
    assert "not accepted" in Page.text(rows[1]) and "a GO cannot be given" in Page.text(rows[1])
    assert "pending" in Page.text(rows[2])
    assert len(page.find("span", **{"class": "sign-line"})) == 1
    # The meeting sees the sign-off's state next to the verdict, without scrolling.
    assert "sign-off rejected" in Page.text(page.by_id("verdict"))
    # No approvers named: still blank lines to sign.
    old = page_of(docs.old_schema())
    assert "sign-off" not in Page.text(old.by_id("verdict"))
    assert "No approvers are named" in Page.text(old.by_id("signoff"))
    assert len(old.find("span", **{"class": "sign-line"})) == 3


def test_an_unknown_status_or_verdict_is_shown_not_dropped():
    record = docs.check("web01", "x:y", "pass")
    document = docs.document([record], verdict="MAYBE")
    record = document["checks"][0]
    record["status"] = "weird"
    page = page_of(document)
    assert Page.text(page.find("h1")[0]) == "MAYBE"
    assert "v-warn" in page.by_id("verdict")["attrs"]["class"]
    assert "weird" in Page.text(page.by_id("row-0"))


def test_print_stylesheet_and_accessible_labels():
    text = render_html(docs.no_go())
    assert "@media print" in text
    page = page_of(docs.no_go())
    for control in ("f-section", "f-host", "f-text"):
        assert any(page.inside(label, "select") + page.inside(label, "input") == [page.by_id(control)]
                   for label in page.find("label"))
    for box in page.find("input", name="status"):
        assert box["parent"]["tag"] == "label" and Page.text(box["parent"])
    assert page.find("h2") and page.find("output", id="shown")


def test_attestations_stand_beside_the_sign_off_with_who_when_and_the_evidence():
    document = docs.attested()
    page = page_of(document)
    section = page.by_id("attestations")
    assert "1 of 4 required items attested (2 fail, 1 warn, 1 not required)" in Page.text(section)
    rows = [r for r in page.inside(section, "tr") if r["parent"]["tag"] == "tbody"]
    texts = [Page.text(r) for r in rows]
    assert len(rows) == 5
    assert texts[0].startswith("Release code reviewed attestation:code-reviewed ✓ pass high")
    assert "ana@shop.example 2026-11-20T09:30:00Z" in texts[0] and "2026-12-31" in texts[0]
    assert "not attested" in texts[1] and "nobody" in texts[1]
    assert "waived: written during launch week" in texts[3]
    assert "not required" in texts[4] and "did you mean 'rollback-rehearsed'?" in texts[4]
    # The evidence link opens as given (escaped), and a ticket stays text; planted markup is text.
    (link,) = page.inside(section, "a")
    assert link["attrs"]["href"] == "https://git.example.com/shop/pull/412?a=1&b=2"
    assert docs.SCRIPT in texts[4] and docs.IMG in texts[2]
    assert "<script>window" not in render_html(document)
    assert "1 of 4 required items attested" in Page.text(page.by_id("verdict"))
    # Nothing required: the section says so.
    assert "No attestation is required" in Page.text(page_of(docs.go()).by_id("attestations"))
