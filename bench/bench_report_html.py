"""The HTML certify report at 3, 100 and 300 models: its size, and its time to first paint in Debian's Chromium.

Usage: python bench/bench_report_html.py [runs] [models ...]   (defaults: 5 runs; 3, 100 and 300 models)

The reports are not certified live model by model: the reference server is certified once cleanly and once
with each of two faults (one model each), and `widen` builds an N-model report from those outcomes through
the same report builder certify uses (conformance/reports/document.py): every model gets the clean
outcomes, but every 33rd the first fault's and every 45th the second's (3 and 2 of 100 models).
Each page is opened `runs` times in headless Chromium (the system's, driven by Playwright's Python package,
never a downloaded browser) in a fresh tab; printed are the page's size, the time to render it, and the medians of
the first paint and first contentful paint (the browser's own Paint Timing entries), of the load event, and of
drawing the grid of every model when it is asked for (pages of more than 12 models show groups first).
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from conformance.outcomes.outcome import Outcome
from conformance.reports import certificate, document
from conformance.reports import html as report_html
from conformance.reports import matrix as matrices

KEY = "sk-bench-report-html-0123456789"
FAULTS = ("chat_no_done", "responses_no_output_text")
EVERY = (33, 45)  # the models with each fault: every 33rd and every 45th
VENDORS = ("openai", "anthropic", "google", "mistral", "meta", "qwen", "deepseek")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"]


def model_names(n: int) -> list[str]:
    """n model names as a gateway lists them: vendor/name-version."""
    return [f"{VENDORS[i % len(VENDORS)]}/model-{i:03d}-{('mini', 'pro', 'large', 'chat')[i % 4]}" for i in range(n)]


def widen(clean: dict, n: int, broken: Sequence[tuple[int, dict]] = ()) -> dict:
    """An n-model report built from one-model reports through reports/document.py: model i has the outcomes of the
    first (every, report) of `broken` with i % every == every - 1, else `clean`'s; the model-independent checks once."""
    models = model_names(n)
    outcomes = [Outcome(**c) for c in clean["checks"] if c["model"] is None]
    for i, model in enumerate(models):
        source = next((report for every, report in broken if i % every == every - 1), clean)
        outcomes += [Outcome(**{**c, "model": model}) for c in source["checks"] if c["model"] is not None]
    target = {name: clean["target"][name] for name in ("base_url", "kind", "profile")}
    report = document.assemble(target, models, outcomes, clean["cost"], bool(clean.get("strict")))
    started = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    return certificate.attach(report, started=started, finished=started.replace(second=41),
                              command=["crun-conformance", "certify", "--base-url", target["base_url"], "--models", "all"])


def certified(faults: Sequence[str] = ()) -> dict:
    """A one-model certify report of the reference server with these faults."""
    from conformance.cli import main
    from conformance.reference import ReferenceConfig, ReferenceServer

    with tempfile.TemporaryDirectory() as tmp, ReferenceServer(ReferenceConfig(api_key=KEY, faults=frozenset(faults))) as server:
        path = Path(tmp) / "r.json"
        with contextlib.redirect_stdout(io.StringIO()):  # its summary is not the benchmark's
            main(["certify", "-q", "--base-url", server.base_url, "--api-key", KEY, "--model", "gpt-5.4",
                  "--report-json", str(path)])
        return json.loads(path.read_text())


def paint_times(browser, page_path: Path) -> dict[str, float]:
    """One fresh tab: the page's first paint, first contentful paint and load event, in ms from navigation start,
    then how long the grid of every model takes to draw and lay out when asked for (None: the page has no switch)."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(page_path.as_uri(), wait_until="load")
        return page.evaluate("""() => new Promise(done => {
            const seen = {};
            new PerformanceObserver((list, observer) => {
                list.getEntries().forEach(e => { seen[e.name] = e.startTime; });
                if ('first-contentful-paint' in seen) {
                    observer.disconnect();
                    const every = document.getElementById('every-model');  // only a grouped grid has it
                    const started = performance.now();
                    if (every) { every.click(); document.getElementById('matrix-full').offsetHeight; }
                    done({first_paint: seen['first-paint'] ?? seen['first-contentful-paint'],
                          first_contentful_paint: seen['first-contentful-paint'],
                          load: performance.getEntriesByType('navigation')[0].loadEventStart,
                          every_model: every ? performance.now() - started : null});
                }
            }).observe({type: 'paint', buffered: true});
        })""")
    finally:
        page.close()


def main(runs: int = 5, sizes: Sequence[int] = (3, 100, 300)) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("Chromium not found: install Debian's chromium package")
    clean = certified()
    broken = [(every, certified([fault])) for every, fault in zip(EVERY, FAULTS, strict=True)]
    print(f"{'models':>6} {'page':>9} {'render':>8} {'first paint':>12} {'first contentful':>17} {'load':>8} "
          f"{'every model':>12}   (ms, median of {runs})")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        for n in sizes:
            report = widen(clean, n, broken)
            started = time.perf_counter()
            page = report_html.render(matrices.build([report]))
            render_s = time.perf_counter() - started
            path = Path(tmp) / f"report-{n}.html"
            path.write_text(page, encoding="utf-8")
            times = [paint_times(browser, path) for _ in range(runs)]
            fp, fcp, load = (statistics.median(t[name] for t in times) for name in ("first_paint", "first_contentful_paint", "load"))
            every = f"{statistics.median(t['every_model'] for t in times):>12.0f}" if times[0]["every_model"] is not None else f"{'-':>12}"
            print(f"{n:>6} {path.stat().st_size / 1000:>7.0f} kB {render_s * 1000:>6.0f} ms {fp:>12.0f} {fcp:>17.0f} {load:>8.0f} {every}")
        browser.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5, [int(n) for n in sys.argv[2:]] or (3, 100, 300))
