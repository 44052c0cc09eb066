"""Headless Debian Chromium driven by playwright, for the HTML report tests and the README screenshot."""

from __future__ import annotations

import contextlib
import os
import shutil

# The system's Chromium only: playwright must never download a browser of its own.
os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


# How long a page may take to load, or an action or a wait in it (playwright's default is 30 s).
PAGE_TIMEOUT_MS = 180_000


class MissingBrowser(Exception):
    pass


def chromium_path():
    path = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if not path:
        raise MissingBrowser(f"Chromium is not installed at {CHROMIUM}: "
                             "run scripts/setup (it installs the Debian chromium package)")
    return path


@contextlib.contextmanager
def browser():
    """A launched headless Chromium (playwright Browser), closed on exit."""
    path = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise MissingBrowser(f"the playwright package is missing ({exc}): install requirements-dev.txt") from exc
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


def offline_page(launched, width=1280, height=900, scale=1):
    """A page that may load file:// URLs only; every other request is refused and recorded in page.refused."""
    context = launched.new_context(viewport=dict(width=width, height=height), device_scale_factor=scale,
                                   java_script_enabled=True)
    # Generous, bounded: a 2,000-check page on a shared 2-core machine at load 30 takes 20 s to load.
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    page.refused = []
    page.errors = []

    def route(request_route):
        url = request_route.request.url
        if url.startswith("file://"):
            request_route.continue_()
        else:
            page.refused.append(url)
            request_route.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page
