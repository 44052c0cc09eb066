from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from ansible_collections.golive.readiness.plugins.plugin_utils._report_markdown import md, render_markdown

from . import _documents as docs

# GitHub renders tables and raw HTML; so does this parser with these settings.
PARSER = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")


class Rendered(HTMLParser):
    """The HTML a Markdown viewer would make of the report: its tags and its tables' rows."""

    def __init__(self, markdown):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.tables = []
        self.row = None
        self.cell = None
        self.feed(PARSER.render(markdown))

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.row = []
            self.tables[-1].append(self.row)
        elif tag in ("td", "th"):
            self.cell = []
            self.row.append(self.cell)

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.row[-1] = "".join(self.cell).strip()
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_headed(rendered, header):
    tables = [table for table in rendered.tables if table[0] == header]
    assert len(tables) == 1, header
    return tables[0]


ALLOWED_TAGS = {"h1", "h2", "h3", "p", "strong", "em", "code", "table", "thead", "tbody", "tr", "th", "td", "br",
                "details", "summary", "s", "ul", "li"}


@pytest.mark.parametrize("document", [docs.no_go(), docs.go(), docs.warnings_only(), docs.old_schema(), docs.nasty(),
                                      docs.large(3, 10), docs.attested()],
                         ids=["no_go", "go", "warnings", "old", "nasty", "large", "attested"])
def test_every_table_keeps_its_columns_and_only_report_markup_comes_through(document):
    markdown = render_markdown(document)
    rendered = Rendered(markdown)
    assert set(rendered.tags) <= ALLOWED_TAGS, set(rendered.tags) - ALLOWED_TAGS
    assert rendered.tables
    for table in rendered.tables:
        widths = set(len(row) for row in table)
        assert len(widths) == 1, table
    # Every table in the text was parsed as one (no row broke out of its table).
    assert len(rendered.tables) == len(re.findall(r"^\|( --- \|)+$", markdown, re.M))


@pytest.mark.parametrize("check_id", ["path:/srv/a\rb", "path:/srv/a\r\nb", "path:/srv/a\nb"])
def test_a_line_break_in_an_id_shown_as_code_stays_in_its_cell(check_id):
    # Ids are shown as code spans (passed checks, waivers, the archive); CR alone ends a line in Markdown too.
    waiver = dict(id=check_id, hosts=["web01"], reason="r", owner="o", expires="2026-12-01", ticket=None,
                  expired=False)
    document = docs.document([docs.check("web01", check_id, "pass")],
                             waivers=dict(applied=[], expired=[], unused=[waiver]))
    markdown = render_markdown(document)
    assert "\r" not in markdown
    rendered = Rendered(markdown)
    assert len(rendered.tables) == len(re.findall(r"^\|( --- \|)+$", markdown, re.M))
    for table in rendered.tables:
        assert len(set(len(row) for row in table)) == 1, table
    # The break is a <br> in the cell (its text joins up around it).
    passed = table_headed(rendered, ["Host", "Section", "Check", "Summary"])
    assert passed[1][2] == "path:/srv/ab" and "path:/srv/a<br>b" in markdown
    unused = table_headed(rendered, ["Waiver", "Reason", "Owner", "Expires", "Ticket"])
    assert unused[1][0] == "path:/srv/ab on web01"


def test_hostile_values_read_back_as_the_same_text():
    markdown = render_markdown(docs.nasty())
    rendered = Rendered(markdown)
    assert "script" not in rendered.tags and "img" not in rendered.tags and "b" not in rendered.tags
    cells = [cell for table in rendered.tables for row in table for cell in row]
    assert any(docs.SCRIPT in cell for cell in cells)
    # A newline in a value becomes a line break inside its cell, pipes stay in the cell.
    nasty_cells = [cell for cell in cells if "a | b `tick` \"quoted\" 'single' <b>bold</b> & amp" in cell]
    assert nasty_cells and all("second line * _under_ [link](http://x) # ü ✓ 漢字" in c for c in nasty_cells)
    assert "<script" not in markdown and "<img" not in markdown


@pytest.mark.parametrize("text", ["|", "`code`", "<b>x</b>", "a\nb", "*x* _y_", "[a](b)", "\\|", "&amp;", "# h",
                                  "~~s~~", "![i](x)"])
def test_md_escapes_every_special_character(text):
    rendered = PARSER.render(f"| h |\n| --- |\n| {md(text)} |\n")
    cell = re.search(r"<td>(.*)</td>", rendered, re.S).group(1)
    assert cell.replace("<br>", "\n").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"') \
        .replace("&amp;", "&") == text


def test_verdict_heading_then_blocking_then_changes_with_regressions_first():
    markdown = render_markdown(docs.no_go())
    lines = markdown.splitlines()
    assert lines[0] == "# 🔴 Go-live verdict: NO-GO"
    headings = [line for line in lines if line.startswith("## ")]
    assert headings[:3] == ["## Blocking (5)", "## Changes since the previous run", "## Warnings (1)"]
    order = [markdown.index(h) for h in ("### Newly failing (regressions) (2)", "### Fixed (1)", "### New checks (1)",
                                         "### Removed checks (1)")]
    assert order == sorted(order)
    assert "history/20261123T101500Z" in markdown
    rendered = Rendered(markdown)
    blocking = rendered.tables[0]
    assert blocking[0] == ["Severity", "Host", "Check", "Status", "Summary"]
    assert [row[1] for row in blocking[1:]] == ["web02", "db01", "web01", "web03", "db01"]


def test_the_headline_counts_every_reason_for_no_go_like_the_other_formats():
    from ansible_collections.golive.readiness.plugins.plugin_utils._report_html import render_html

    document = docs.document([docs.check("web01", "disk_space:/", "pass")], unreachable=["db01"],
                             failed_tasks=[dict(host="web01", task="Install", message="no package")])
    assert document["verdict"] == "NO-GO" and document["counts"]["blocking"] == 0
    markdown = render_markdown(document)
    assert "**1 check on 2 hosts**: 1 pass. Blocking: 2. Waived: 0." in markdown
    assert "## Blocking (2)" in markdown
    assert "<dt>Blocking</dt><dd>2</dd>" in render_html(document)


def test_old_documents_render_without_history_signoff_or_notification():
    markdown = render_markdown(docs.old_schema())
    assert "No history in this report." in markdown
    assert "No approvers are named in the inventory." in markdown
    assert "Notification" not in markdown
    assert render_markdown({}).startswith("# 🟡 Go-live verdict: unknown")


def test_waivers_notification_and_signoff_are_shown():
    markdown = render_markdown(docs.no_go())
    assert "1 applied, 1 expired (not applied), 1 unused." in markdown
    for heading in ("### Applied", "### Expired, not applied", "### Unused"):
        assert heading in markdown
    assert "**Notification:** failed to `https://hooks.example.com/…/T0123` after 3 attempts (HTTP 503)" in markdown
    assert "**rejected**: a NO-GO cannot be signed off as GO" in markdown
    signoff = table_headed(Rendered(markdown), ["Role", "Name", "Decision", "Date", "Comment"])
    assert signoff[2][2] == "GO (not accepted)" and "a GO cannot be given" in signoff[2][4]
    assert signoff[3][2:] == ["pending", "", "signature: ______________"]
    assert "**Notification:** sent" in render_markdown(docs.go())


def test_passed_checks_are_folded_and_problems_listed_with_observed_and_expected():
    markdown = render_markdown(docs.large(20, 100))
    assert "## Checks that did not pass" in markdown
    details = markdown.index("<details><summary>")
    assert markdown.index("## Blocking") < markdown.index("## Checks that did not pass") < details
    assert re.search(r"<summary>1\d{3} passed checks</summary>", markdown)
    problem_rows = table_headed(Rendered(markdown), ["Status", "Severity", "Host", "Section", "Check", "Summary",
                                                     "Observed", "Expected"])
    assert "value: " in problem_rows[1][-2] and "fail > " in problem_rows[1][-1]


def test_hosts_sharing_a_problem_fold_into_ranges():
    records = [docs.check(f"web{n:02d}", "disk_space:/", "fail", summary="full") for n in range(1, 13)]
    markdown = render_markdown(docs.document(records))
    blocking = Rendered(markdown).tables[0]
    assert blocking[1][1] == "web01-web12"
    assert len(blocking) == 2


def test_hint_and_contact_follow_the_summary_of_checks_that_did_not_pass():
    follow = dict(hint="Pin it | see `docs`", contact="app team")
    records = [docs.check("web01", "disk_space:/", "fail", summary="full", **follow),
               docs.check("web01", "process:nginx", "warn", summary="1 running", **follow),
               docs.check("web01", "path:/srv", "pass", **follow)]
    rendered = Rendered(render_markdown(docs.document(records)))
    blocking, warnings = [t for t in rendered.tables if t[0] == ["Severity", "Host", "Check", "Status", "Summary"]]
    assert warnings[1][-1] == "1 runningHint: Pin it | see `docs`Contact: app team"
    # Rendered: the text of the cell, each part on a line of its own (<br>), the labels bold.
    assert blocking[1][-1] == "fullHint: Pin it | see `docs`Contact: app team"
    assert rendered.tags.count("strong") >= 4
    problems = table_headed(rendered, ["Status", "Severity", "Host", "Section", "Check", "Summary", "Observed",
                                       "Expected"])
    assert [row[5].endswith("Hint: Pin it | see `docs`Contact: app team") for row in problems[1:]] == [True, True]
    passed = table_headed(rendered, ["Host", "Section", "Check", "Summary"])
    assert "app team" not in "".join(passed[1])


def test_attestations_follow_the_sign_off_with_who_when_and_the_evidence():
    markdown = render_markdown(docs.attested())
    assert markdown.index("## Sign-off") < markdown.index("## Attestations") < markdown.index("## Run")
    assert "1 of 4 required items attested \\(2 fail, 1 warn, 1 not required\\)" in markdown
    table = table_headed(Rendered(markdown), ["Item", "Status", "Severity", "By", "At", "Evidence", "Expires",
                                              "Summary"])
    rows = table[1:]
    assert [row[1] for row in rows] == ["pass", "fail", "warn", "fail (waived)", "warn"]
    assert rows[0][3:7] == ["ana@shop.example", "2026-11-20T09:30:00Z", "https://git.example.com/shop/pull/412?a=1&b=2",
                            "2026-12-31"]
    assert rows[1][3] == "nobody" and rows[4][0].endswith("(not required)")
    assert docs.SCRIPT in rows[4][5] and docs.IMG in rows[2][0]
    assert "No attestation is required in the inventory." in render_markdown(docs.go())
