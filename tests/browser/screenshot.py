"""Regenerate docs/images/report.png: a real report.json rendered by render_html, shot in headless Chromium.

    make demo && .venv/bin/python tests/browser/screenshot.py [REPORT_JSON] [OUTPUT_PNG]
"""

from __future__ import annotations

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import _chromium

# Importing conftest makes the collection importable as ansible_collections.golive.readiness.
import conftest  # noqa: F401  pylint: disable=unused-import

from ansible_collections.golive.readiness.plugins.plugin_utils._report_html import render_html


def shoot(report_json, output, width=1280, height=1100):
    with open(report_json, encoding="utf-8") as handle:
        # Paths inside the checkout (and its virtualenv, wherever .venv links to) show relative to it: the picture
        # is the same on every machine.
        venv = os.path.realpath(os.path.join(REPO, ".venv"))
        document = json.loads(handle.read().replace(venv + "/", ".venv/").replace(REPO + "/", ""))
    page_path = os.path.join(os.path.dirname(os.path.abspath(output)), ".report-screenshot.html")
    with open(page_path, "w", encoding="utf-8") as handle:
        handle.write(render_html(document))
    try:
        with _chromium.browser() as launched:
            page = _chromium.offline_page(launched, width=width, height=height)
            page.goto("file://" + page_path)
            page.wait_for_selector("#shown")
            page.screenshot(path=output, full_page=False)
            if page.errors or page.refused:
                raise SystemExit(f"the page had errors {page.errors} or asked for {page.refused}")
    finally:
        os.unlink(page_path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", default=os.path.join(REPO, "golive-report", "demo", "report.json"))
    parser.add_argument("output", nargs="?", default=os.path.join(REPO, "docs", "images", "report.png"))
    args = parser.parse_args(argv)
    if not os.path.exists(args.report):
        raise SystemExit(f"{args.report} is missing: run `make demo` first")
    try:
        shoot(args.report, args.output)
    except _chromium.MissingBrowser as exc:
        raise SystemExit(str(exc)) from exc
    print(f"wrote {os.path.relpath(args.output)}")


if __name__ == "__main__":
    main()
