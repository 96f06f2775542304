"""The HTML matrix: escaping and self-containment here, then the page itself in headless Chromium.

The browser tests render reports of real certify runs against the reference server (one with two
faults, one clean), merged into one matrix, or widened to 3, 100 and 300 models. They drive Debian's
`chromium` through Playwright's Python package (never a downloaded browser; the `page` fixture of
tests/conftest.py); without either, they are skipped with that reason.
Set CRUN_UPDATE_SCREENSHOT=1 to refresh examples/report-screenshot.png and the first screens at 3 and 100
models (examples/report-3-models.png, examples/report-100-models.png), the README's pictures.
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
    assert json.loads(data)["evidence"]["CHAT-001"][0]["actual"].startswith("<script>")
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


def _bench():
    """bench/bench_report_html.py, whose `widen` builds an N-model report through reports/document.py."""
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "bench" / "bench_report_html.py"
    spec = importlib.util.spec_from_file_location("bench_report_html", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def wide(reports) -> dict[int, dict]:
    """Reports of 3, 100 and 300 models: the clean outcomes, and the faulty ones on every 33rd model (the third of 3)."""
    faulty, clean = reports
    widen = _bench().widen
    return {n: widen(clean, n, [(33 if n > 3 else 3, faulty)]) for n in (3, 100, 300)}


def _open(page, tmp_path, report: dict, name: str):
    html = tmp_path / name
    html.write_text(report_html.render(matrices.build([report])), encoding="utf-8")
    page.goto(html.as_uri())
    return html


def _keep(page, name: str) -> None:
    """A screenshot of the first screen, kept under examples/ when CRUN_UPDATE_SCREENSHOT=1 (the README shows them)."""
    if os.environ.get("CRUN_UPDATE_SCREENSHOT") == "1":
        page.screenshot(path=str(SCREENSHOT.parent / name))


def test_the_first_screen_holds_the_verdict_the_certificate_and_the_failures(page, wide, tmp_path):
    report = wide[3]
    _open(page, tmp_path, report, "three.html")
    block = page.locator("section.verdict-block")
    text = block.inner_text()
    cert = report["certificate"]
    assert "Verdict: FAILED" in text and "1 of 3 models failed a MUST" in text
    for fact in (cert["base_url"], "profile", cert["profile"], cert["finished_at"], cert["tool_version"],
                 cert["catalogue_digest"], cert["contract_digest"]):
        assert fact in text, fact
    assert "command" not in block.locator("dl.certificate").first.inner_text()  # the rest is one click away
    first_screen = page.viewport_size["height"]
    grid_top = page.locator("#matrix").bounding_box()["y"]
    for part in ("section.verdict-block", "table.failing"):
        box = page.locator(part).bounding_box()
        assert box["y"] + box["height"] <= min(first_screen, grid_top), f"{part} is not on the first screen, above the grid"
    failing = page.locator("table.failing tbody tr")
    assert failing.count() == len({c["id"] for c in report["checks"] if c["outcome"] in FAILING})
    assert failing.first.locator("th").inner_text() in {"CHAT-STREAM-003", "RESP-002"}  # MUST failures first
    assert "1 of 3" in failing.first.inner_text() and report["models"][2] in failing.first.inner_text()
    _keep(page, "report-3-models.png")
    failing.first.locator("button.fails-on").click()
    assert page.locator("#detail").is_visible() and report["models"][2] in page.locator("#detail").inner_text()
    assert page.problems == [] and page.fetched == []


def test_a_hundred_models_read_as_failing_requirements_and_groups_with_every_model_behind_a_switch(page, wide, tmp_path):
    report = wide[100]
    broken = [m for i, m in enumerate(report["models"]) if i % 33 == 32]
    html = _open(page, tmp_path, report, "hundred.html")
    assert html.stat().st_size < 1_000_000
    row = page.locator("table.failing tbody tr", has_text="CHAT-STREAM-003")
    assert f"{len(broken)} of 100" in row.inner_text() and all(m in row.inner_text() for m in broken)
    groups = page.locator("ul.groups li").all_inner_texts()
    assert groups[0].startswith(f"FAILED {len(broken)} models: FAIL CHAT-STREAM-003")
    assert f"CERTIFIED {100 - len(broken)} models: all pass" in groups[1]
    headers = page.locator("#matrix thead th").all_inner_texts()
    assert headers == ["requirement", "level", f"{len(broken)} models", f"{100 - len(broken)} models", "statement"]
    assert page.locator("#matrix-full").count() == 0 and page.locator("#matrix button.cell").count() < 300
    _keep(page, "report-100-models.png")
    page.locator('#matrix button.cell[data-mark="fail"]').first.click()
    detail = page.locator("#detail").inner_text()
    assert f"models ({len(broken)})" in detail and broken[0] in detail
    page.check("#every-model")
    full = page.locator("#matrix-full")
    assert full.is_visible() and page.locator("#matrix").is_hidden()
    assert full.locator("thead th").count() == 2 + 100
    fails = full.locator('button.cell[data-mark="fail"]')
    # one cell per requirement and model, however many cases judged it there
    assert fails.count() == len({(c["id"], c["model"]) for c in report["checks"] if c["outcome"] in FAILING})
    fails.last.click()
    assert broken[-1] in page.locator("#detail-title").inner_text()
    page.check("#only-failures")
    assert full.locator("tr.req-row:not(.filtered)").count() == len({c["id"] for c in report["checks"] if c["outcome"] in FAILING})
    assert page.problems == [] and page.fetched == []


def test_three_hundred_models_stay_small_and_paint_at_once(page, wide, tmp_path):
    html = _open(page, tmp_path, wide[300], "three-hundred.html")
    assert html.stat().st_size < 1_000_000
    painted = page.evaluate("""() => new Promise(done => new PerformanceObserver(list => {
        const fcp = list.getEntries().find(e => e.name === 'first-contentful-paint');
        if (fcp) done(fcp.startTime);
    }).observe({type: 'paint', buffered: true}))""")
    assert 0 < painted < 5000  # milliseconds; bench/bench_report_html.py measures it properly
    assert page.locator("button").count() < 1000
    failing = [c for c in wide[300]["checks"] if c["outcome"] in FAILING]
    assert page.locator("article.failure").count() == len(failing)
    assert page.locator("details.more-failures:not([open]) article.failure").count() == len(failing) - 2 * 3  # 3 per requirement
    assert page.locator("#failures-title").bounding_box()["y"] < page.locator("#matrix").bounding_box()["y"]
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.locator("details.more-failures:not([open])").count() == 0  # printed, every failure in full
    page.check("#every-model")
    assert page.locator("#matrix-full thead th").count() == 2 + 300
    assert page.problems == []


def test_evidence_that_reads_the_same_on_many_models_is_kept_once(wide):
    data = json.loads(re.search(r'id="matrix-data">(.*?)</script>', report_html.render(matrices.build([wide[100]])), re.S).group(1))
    assert [e["cols"] for e in data["evidence"]["CHAT-001"]] == ["0-99"]
    assert [e["cols"] for e in data["evidence"]["MODELS-001"]] == ["0-99"] and data["evidence"]["MODELS-001"][0]["model"]
    assert len(data["marks"]["CHAT-STREAM-003"]) == 100 and data["marks"]["CHAT-STREAM-003"].count("f") == 3
    assert report_html.spans([0, 1, 2, 5, 7, 8]) == "0-2,5,7-8"
