"""Fixtures shared by the tests that open a report in a real browser (the certify HTML, the load HTML)."""

from __future__ import annotations

import re
import shutil

import pytest

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("Chromium not found (install Debian's chromium package; .ci/run does): the HTML report is untested here")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("the playwright Python package is missing (pip install -e '.[test]'): the HTML report is untested here")
    return path


@pytest.fixture
def page(chromium_path, tmp_path):
    """A tab of Debian's Chromium, headless, that records console errors (`page.problems`) and refuses, recording
    it (`page.fetched`), every request that leaves the file it opened."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium_path, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 900})
        try:
            page = context.new_page()
            page.problems = []
            page.on("console", lambda message: page.problems.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: page.problems.append(str(error)))
            page.fetched = []

            def refuse(route):
                page.fetched.append(route.request.url)
                route.abort()

            page.route(re.compile(r"^(?!file:).*"), refuse)
            yield page
        finally:
            context.close()
