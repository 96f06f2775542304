"""The HTML matrix: escaping and self-containment here, then the page itself in headless Chromium.

The browser tests render reports of real certify runs against the reference server (one with two
faults, one clean), merged into one matrix. They drive Debian's `chromium` through Playwright's
Python package (never a downloaded browser); without either, they are skipped with that reason.
Set CRUN_UPDATE_SCREENSHOT=1 to refresh examples/report-screenshot.png, the README's picture.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.outcomes.verdict import FAILING
from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.reports import html as report_html
from conformance.reports import matrix as matrices

KEY = "sk-html-report-test-0123456789"
FAULTS = frozenset({"chat_no_done", "responses_no_output_text"})
SCREENSHOT = Path(__file__).resolve().parent.parent / "examples" / "report-screenshot.png"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"]


def _hostile_report() -> dict:
    nasty = '<script>alert("x")</script></script><img src=x onerror=alert(1)>'
    return {"target": {"base_url": "http://gw/v1", "kind": "live", "profile": "crun", "models": ["m1"]}, "models": ["m1"],
            "checks": [{"id": "CHAT-001", "level": "MUST", "endpoint": "POST /chat/completions", "model": "m1",
                        "statement": "s", "source": "src", "case": "chat_basic", "outcome": "failed",
                        "expected": "a chat.completion", "actual": nasty, "violations": [nasty], "violations_more": 0,
                        "exchange": f"POST /chat/completions -> 200\n{nasty}"}]}


def test_server_text_never_becomes_markup_or_script():
    page = report_html.render(matrices.build([_hostile_report()], ["<b>label</b>"]))
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>label</b>" not in page
    assert "&lt;script&gt;alert" in page  # the failures section shows it, as text
    data = re.search(r'<script type="application/json" id="matrix-data">(.*?)</script>', page, re.S).group(1)
    assert "</" not in data and "<" not in data
    assert json.loads(data)["cells"][0]["checks"][0]["actual"].startswith("<script>")
    assert page.count("<script") == 2  # the data block and the page's own script, nothing else


def test_the_page_is_self_contained():
    report = _hostile_report()
    report["checks"][0].update(actual="plain", violations=[], exchange="")
    page = report_html.render(matrices.build([report]))
    assert not re.search(r"<link|<img|<iframe|\bsrc=|\bhref=|@import|url\(", page)


def test_one_button_per_judged_cell_and_one_spanning_cell_per_model_independent_row():
    def check(rid: str, model: str | None, outcome: str = "passed") -> dict:
        return {"id": rid, "level": "MUST", "endpoint": "GET /models" if model is None else "POST /chat/completions",
                "model": model, "case": "c", "outcome": outcome, "expected": "", "actual": ""}

    report = {"target": {"base_url": "http://gw/v1"}, "models": ["m1", "m2", "m3"],
              "checks": [check("MODELS-001", None), check("CHAT-001", "m1"), check("CHAT-001", "m2", "failed"),
                         check("USAGE-001", "m3")]}
    m = matrices.build([report])
    page = report_html.render(m)
    assert page.count('<button type="button" class="cell') == len(m.cells) == 4
    assert re.search(r'<td class="m-pass" colspan="3"><button[^>]*data-cell="0"', page)
    assert page.count('class="m-not-checked"') == 3  # CHAT-001 for m3, USAGE-001 for m1 and m2


def test_write_creates_the_file(tmp_path):
    out = tmp_path / "nested" / "report.html"
    report_html.write(_hostile_report(), out)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def _certify(url: str, path: Path) -> dict:
    main(["certify", "--base-url", url, "--api-key", KEY, "--model", "gpt-5.4", "--messages-model", "claude-sonnet-4-5",
          "-q", "--report-json", str(path)])
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("reports")
    with ReferenceServer(ReferenceConfig(api_key=KEY, faults=FAULTS)) as faulty:
        broken = _certify(faulty.base_url, out / "faulty.json")
    with ReferenceServer(ReferenceConfig(api_key=KEY)) as good:
        clean = _certify(good.base_url, out / "clean.json")
    return [broken, clean]


def _judged_cells(reports: list[dict]) -> int:
    """Judged (requirement, column) cells counted straight from the reports: a requirement with only
    model-independent checks in a report is one cell for that report; otherwise one per model column it touches."""
    total = 0
    for report in reports:
        columns = list(report.get("models") or [])
        columns += sorted({c["model"] for c in report["checks"] if c.get("model")} - set(columns))
        by_id: dict[str, set] = {}
        for c in report["checks"]:
            by_id.setdefault(c["id"], set()).add(c.get("model"))
        for models in by_id.values():
            if models == {None}:
                total += 1
            elif None in models:
                total += len(columns)
            else:
                total += len(models)
    return total


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


@pytest.fixture
def opened(page, reports, tmp_path):
    html = tmp_path / "matrix.html"
    html.write_text(report_html.render(matrices.build(reports, ["faulty", "clean"])), encoding="utf-8")
    page.goto(html.as_uri())
    return page


def test_the_faults_show_in_the_faulty_column_only(reports):
    m = matrices.build(reports, ["faulty", "clean"])
    failed = {(cell.row, m.columns[i].target) for cell in m.cells if cell.mark == "fail" for i in cell.columns}
    assert {"CHAT-STREAM-003", "RESP-002"} <= {rid for rid, _ in failed}
    assert {target for _, target in failed} == {0}


def test_every_judged_cell_is_coloured_and_the_page_is_clean(opened, reports):
    cells = opened.locator("button.cell")
    assert cells.count() == _judged_cells(reports) > 0
    backgrounds = opened.eval_on_selector_all("button.cell", "bs => bs.map(b => getComputedStyle(b.parentElement).backgroundColor)")
    assert all(bg not in ("rgba(0, 0, 0, 0)", "transparent", "rgb(255, 255, 255)") for bg in backgrounds)
    marks = opened.eval_on_selector_all("button.cell", "bs => bs.map(b => b.textContent.trim())")
    assert set(marks) <= {"PASS", "FAIL", "SKIP", "N/S", "ERROR"}  # a text mark in every coloured cell
    assert opened.problems == [] and opened.fetched == []


def _failed_check(reports: list[dict], row: str) -> dict:
    return next(c for c in reports[0]["checks"] if c["id"] == row and c["outcome"] == "failed")


def test_clicking_a_failed_cell_shows_its_expected_and_actual(opened, reports, tmp_path):
    failed = opened.locator('button.cell[data-mark="fail"]').first
    row = failed.evaluate("b => b.closest('tr').querySelector('th').textContent.trim()")
    assert opened.locator("#detail").is_hidden()
    failed.click()
    detail = opened.locator("#detail")
    assert detail.is_visible()
    text = detail.text_content()
    check = _failed_check(reports, row)
    assert row in text and check["expected"] in text and check["actual"] in text and check["statement"].replace("`", "") in text
    shot = tmp_path / "report.png"
    opened.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("CRUN_UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)
    assert opened.problems == []


def test_the_keyboard_reaches_and_opens_cells(opened, reports):
    opened.focus("#only-must")
    opened.keyboard.press("Tab")
    assert opened.evaluate("document.activeElement.classList.contains('cell')")
    failed = opened.locator('button.cell[data-mark="fail"]').first
    row = failed.evaluate("b => b.closest('tr').querySelector('th').textContent.trim()")
    failed.focus()
    opened.keyboard.press("Enter")
    assert opened.locator("#detail").is_visible()
    assert _failed_check(reports, row)["actual"] in opened.locator("#detail").text_content()
    opened.keyboard.press("Escape")
    assert opened.locator("#detail").is_hidden()
    assert opened.evaluate("document.activeElement.getAttribute('data-mark')") == "fail"  # focus came back
    opened.keyboard.press("ArrowDown")
    moved = opened.evaluate("document.activeElement.closest('tr').querySelector('th').textContent.trim()")
    assert moved != row
    opened.keyboard.press(" ")
    assert opened.locator("#detail").is_visible() and moved in opened.locator("#detail-title").text_content()
    assert opened.problems == []


def test_the_filters_keep_failures_and_musts(opened):
    rows = opened.locator("tr.req-row")
    total = rows.count()
    opened.check("#only-failures")
    shown = opened.locator("tr.req-row:not(.filtered)")
    assert 0 < shown.count() < total
    assert all(r.locator('button[data-mark="fail"], button[data-mark="error"]').count() > 0 for r in shown.all())
    opened.uncheck("#only-failures")
    opened.check("#only-must")
    levels = opened.eval_on_selector_all("tr.req-row:not(.filtered) td.level", "ts => ts.map(t => t.textContent)")
    assert levels and all("MUST" in level for level in levels)
    assert opened.locator("tr.req-row:visible").count() == len(levels) < total
    assert opened.problems == []


def test_printing_lists_the_failures_in_full(opened, reports):
    opened.locator('button.cell[data-mark="fail"]').first.click()
    opened.emulate_media(media="print")
    assert opened.locator("#detail").is_hidden() and opened.locator(".controls").is_hidden()
    failures = opened.locator("article.failure")
    assert failures.count() == sum(c["outcome"] in FAILING for r in reports for c in r["checks"])
    printed = " ".join(failures.all_text_contents())
    for check in (c for c in reports[0]["checks"] if c["outcome"] == "failed"):
        assert check["expected"] in printed and check["actual"] in printed
    assert opened.locator("button.cell:visible").count() == _judged_cells(reports)
