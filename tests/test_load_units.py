"""The pieces of `crun-conformance load` that need no load: the mix, tallies, HTTP outcomes, timings, the sync caller.

None of these imports Locust: only a load run's own processes may (gevent
monkey-patches whatever imports it), which the last test holds.
"""

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from conformance.load import answer as answers
from conformance.load import tally as tallies
from conformance.load.mix import MIX_CASES, MixError, case_of, parse_mix
from conformance.load.plan import LoadPlan, shares
from conformance.outcomes.outcome import Outcome
from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.reference.faults import LOAD_503_NO_RETRY_AFTER
from conformance.suite.cases import CASES
from conformance.wire.exchange import Exchange, Request
from conformance.wire.sse import parse
from conformance.wire.target import Caller, SyncCaller, Target

KEY = "sk-load-units-0123456789abcdef"


def test_mix_names_map_to_suite_cases():
    assert {name: case_of(name).id for name in MIX_CASES} == MIX_CASES
    assert all(any(case.id == cid for case in CASES) for cid in MIX_CASES.values())


def test_parse_mix_reads_weights_and_bare_names():
    assert parse_mix("chat-stream=5, chat=1,messages") == (("chat-stream", 5), ("chat", 1), ("messages", 1))
    assert parse_mix("chat=0,responses=2") == (("responses", 2),)


@pytest.mark.parametrize("text, says", [
    ("chatt=1", "unknown case 'chatt'"), ("chat=x", "whole number"), ("chat=-1", "whole number"),
    ("chat=1,chat=2", "given twice"), ("chat=0", "no case with a positive weight"), ("", "no case"),
])
def test_parse_mix_refuses_bad_input_in_one_line(text, says):
    with pytest.raises(MixError, match=says) as info:
        parse_mix(text)
    assert "\n" not in str(info.value)


def test_plan_keeps_only_the_checks_the_profile_asks_for_and_travels_as_json():
    plan = LoadPlan("http://127.0.0.1:1/v1", "live", "openai", 5.0, ("m",), None, (("chat-stream", 1),))
    (entry,) = plan.entries()
    assert "USAGE-001" in {c.requirement for c in case_of("chat-stream").checks}
    assert "USAGE-001" not in {c.requirement for c in entry.checks}  # CRUN's automatic stream usage: crun only
    assert LoadPlan.from_dict(json.loads(json.dumps(plan.as_dict()))) == plan


def test_budget_shares_add_up_to_the_total():
    assert shares(10, 3) == [4, 3, 3]
    assert shares(None, 2) == [None, None]
    assert sum(shares(7, 4)) == 7


def _x(status=None, headers=None, failure=None):
    return Exchange(Request("POST", "/chat/completions", {}), status=status, headers=headers or {}, failure=failure)


@pytest.mark.parametrize("x, outcome", [
    (_x(200), "2xx"), (_x(429, {"retry-after": "1"}), "429 with Retry-After"), (_x(429), "429 without Retry-After"),
    (_x(503, {"retry-after": "2"}), "503 with Retry-After"), (_x(503), "5xx"), (_x(500), "5xx"), (_x(404), "4xx"),
    (_x(failure="deadline of 1 s exceeded (no response)"), "timeout"),
    (_x(200, failure="deadline of 1 s exceeded (5 bytes received so far)"), "timeout"),
    (_x(failure="could not connect to x: refused"), "transport error"),
])
def test_http_outcomes(x, outcome):
    assert answers.http_outcome(x) == outcome


def test_timings_find_the_first_token_and_the_gaps():
    body = (b'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n'
            b'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n'
            b'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\n'
            b"data: [DONE]\n\n")
    events, _ = parse(body)
    x = Exchange(Request("POST", "/chat/completions", {"stream": True}), status=200,
                 headers={"content-type": "text/event-stream"}, body=body, events=events,
                 event_times=[0.1, 0.25, 0.3, 0.5], elapsed_s=0.5, headers_s=0.05)
    t = answers.timings(x)
    assert (t.ttfb_s, t.ttft_s, t.output_tokens, t.input_tokens) == (0.05, 0.25, 2, 3)
    assert [round(g, 3) for g in t.gaps_s] == [0.15, 0.05, 0.2]
    assert t.tokens_per_s == pytest.approx(2 / 0.25)


def test_tokens_are_recognised_in_all_three_stream_formats():
    assert answers.carries_token({"type": "response.output_text.delta", "delta": "x"})
    assert answers.carries_token({"type": "content_block_delta", "delta": {"text": "x"}})
    assert not answers.carries_token({"type": "response.created"})
    assert not answers.carries_token({"choices": [{"delta": {"role": "assistant", "content": ""}}]})


def test_percentiles_of_the_bucketed_histogram_are_within_their_resolution():
    hist: dict = {}
    for ms in range(1, 1001):
        tallies.hist_add(hist, float(ms))
    assert tallies.percentile(hist, 50) == pytest.approx(500, rel=0.03)
    assert tallies.percentile(hist, 99) == pytest.approx(990, rel=0.03)
    assert tallies.percentile({}, 50) is None


def _answer(tally, violated: bool, case="chat_basic", at=1000.0):
    judged = Outcome("AUTH-001", "MUST", "POST /chat/completions", "statement", case, "passed", model="m")
    if violated:
        judged = replace(judged, outcome="failed", expected="a 2xx status", actual="HTTP 503",
                         exchange="POST /chat/completions -> 503")
    timing = answers.Timings(0.01, None, (), 0.02, 5, 3, None)
    return tallies.record(tally, name="chat", requests=1, outcome="5xx" if violated else "2xx", timing=timing,
                          outcomes=[judged], streaming=False, at=at)


def test_tallies_merge_like_one_tally_of_everything():
    one, a, b = tallies.new_tally(), tallies.new_tally(), tallies.new_tally()
    for i, violated in enumerate([False, True, True, False, True]):
        _answer(one, violated, at=1000.0 + i)
        _answer(a if i % 2 else b, violated, at=1000.0 + i)
    merged = json.loads(json.dumps(tallies.merge(tallies.merge(tallies.new_tally(), a), b)))
    assert merged == json.loads(json.dumps(one))
    check = merged["checks"]["chat_basic|m|AUTH-001"]
    assert (check["judged"], check["violated"], check["examples"]) == (5, 3, ["expected a 2xx status; got HTTP 503"])


def test_the_sync_caller_records_what_the_async_caller_records():
    request = Request("POST", "/chat/completions", {"model": "gpt-5.4", "stream": True, "max_tokens": 16,
                                                   "messages": [{"role": "user", "content": "Say hello."}]})
    with ReferenceServer(ReferenceConfig(api_key=KEY)) as server:
        target = Target(server.base_url, KEY, kind="reference")
        sync, caller = SyncCaller(target), Caller(target)
        try:
            a, b = sync.call(request), caller.call(request)
        finally:
            sync.close()
            caller.close()
    assert (a.status, a.content_type, a.failure) == (b.status, b.content_type, b.failure) == (200, "text/event-stream", None)
    assert [e.data for e in a.events][-1] == "[DONE]" and len(a.events) == len(b.events) == len(a.event_times)
    assert a.headers_s is not None and a.first_event_s is not None and a.elapsed_s >= a.first_event_s
    assert sync.cost.requests == 1


def test_the_sync_caller_fails_an_unreachable_target_readably():
    sync = SyncCaller(Target("http://127.0.0.1:9/v1", KEY, timeout_s=2.0))
    try:
        x = sync.call(Request("GET", "/models"))
    finally:
        sync.close()
    assert x.failure.startswith("could not connect to http://127.0.0.1:9/v1") and KEY not in x.failure


def test_importing_the_cli_and_the_load_command_does_not_import_locust_or_gevent():
    code = ("import sys, conformance.cli, conformance.load.command, conformance.load.report; "
            "print(sorted(m for m in ('locust', 'gevent') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_load_faults_sit_above_certifys_concurrency_and_say_their_thresholds():
    from conformance.reference.faults import FAULTS
    from conformance.reference.load_faults import NO_RETRY_AFTER_AT_IN_FLIGHT, USAGE_DROPPED_AT_OPEN_STREAMS
    from conformance.run.session import DEFAULT_CONCURRENCY

    certify_in_flight = 3 * DEFAULT_CONCURRENCY  # one model: the model, the /messages model, the gateway itself
    assert min(USAGE_DROPPED_AT_OPEN_STREAMS, NO_RETRY_AFTER_AT_IN_FLIGHT) > certify_in_flight
    assert f"{USAGE_DROPPED_AT_OPEN_STREAMS} or more streams" in FAULTS["load_usage_dropped"].description
    assert f"{NO_RETRY_AFTER_AT_IN_FLIGHT} or more are in flight" in FAULTS["load_503_no_retry_after"].description


def test_the_overload_fault_answers_503_without_retry_after_from_the_threshold_on():
    import asyncio

    from conformance.reference.load_faults import NO_RETRY_AFTER_AT_IN_FLIGHT, Concurrency, CountConcurrency

    async def scenario() -> list[tuple[int, dict]]:
        release = asyncio.Event()

        async def slow_app(scope, receive, send):
            await release.wait()
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
            await send({"type": "http.response.body", "body": b"data: {}\n\n", "more_body": False})

        counts = Concurrency()
        app = CountConcurrency(slow_app, counts, {LOAD_503_NO_RETRY_AFTER})
        answers: list[tuple[int, dict]] = []

        async def one(path: str) -> None:
            start: dict = {}

            async def send(message):
                if message["type"] == "http.response.start":
                    start.update(message)

            await app({"type": "http", "path": path}, None, send)
            answers.append((start["status"], dict(start["headers"])))

        waiting = [asyncio.create_task(one("/api/v1/chat/completions")) for _ in range(NO_RETRY_AFTER_AT_IN_FLIGHT - 1)]
        await asyncio.sleep(0.01)
        assert (counts.in_flight, counts.open_streams) == (NO_RETRY_AFTER_AT_IN_FLIGHT - 1, 0)
        await one("/api/v1/messages")  # the 16th in flight is refused at once
        release.set()
        await asyncio.gather(*waiting)
        assert (counts.in_flight, counts.open_streams) == (0, 0)
        return answers

    answers = asyncio.run(scenario())
    refused = [(status, headers) for status, headers in answers if status == 503]
    assert len(refused) == 1 and len(answers) == NO_RETRY_AFTER_AT_IN_FLIGHT
    assert b"retry-after" not in refused[0][1]


def test_usage_is_dropped_only_from_the_threshold_of_open_streams_on():
    from types import SimpleNamespace

    from conformance.reference.load_faults import USAGE_DROPPED_AT_OPEN_STREAMS, Concurrency, usage_dropped

    def request(faults: set[str], open_streams: int):
        state = SimpleNamespace(config=ReferenceConfig(faults=frozenset(faults)), concurrency=Concurrency(0, open_streams))
        return SimpleNamespace(app=SimpleNamespace(state=state))

    assert usage_dropped(request({"load_usage_dropped"}, USAGE_DROPPED_AT_OPEN_STREAMS))
    assert not usage_dropped(request({"load_usage_dropped"}, USAGE_DROPPED_AT_OPEN_STREAMS - 1))
    assert not usage_dropped(request(set(), 100))


def test_the_html_report_draws_its_plots_offline_in_a_real_browser(tmp_path):
    import shutil

    from conformance.load import report as reports
    from conformance.load.html import render

    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("no Chromium on this machine: the HTML report's plots cannot be drawn in a browser here")
    tally = tallies.new_tally()
    for i in range(20):
        _answer(tally, violated=i % 4 == 0, at=1000.0 + i // 5)
    plan = LoadPlan("http://127.0.0.1:1/v1", "live", "crun", 5.0, ("m",), None, (("chat", 1),))
    result = {"tally": tally, "stopped_by": "duration", "started": 1000.0, "ended": 1004.0, "wall_s": 4.0}
    report = reports.build(result, plan, {"users": 2, "mix": "chat=1"})
    page = tmp_path / "load.html"
    page.write_text(render(report))
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000",
                          "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=60).stdout
    assert '<svg class="main-svg"' not in page.read_text()  # drawn by plotly.js in the browser, not shipped drawn
    assert dom.count('<svg class="main-svg"') >= 2, "plotly did not draw both figures"
    assert "Verdict: failed" in dom and "AUTH-001" in dom


def test_messages_answers_are_filed_under_the_messages_model():
    plan = LoadPlan("http://gw.test/v1", "live", "crun", 5.0, ("gpt-5.4", "gemini-3.1-pro-preview"), "claude-sonnet-4-5",
                    (("messages-stream", 1), ("chat", 1)))
    by_name = {entry.name: plan.models_of(entry) for entry in plan.entries()}
    assert by_name == {"messages-stream": ("claude-sonnet-4-5",), "chat": ("gpt-5.4", "gemini-3.1-pro-preview")}


@pytest.mark.parametrize("strict, verdict", [(False, "certified"), (True, "failed")])
def test_a_load_run_applies_the_one_verdict_rule_a_should_counts_under_strict(strict, verdict):
    from conformance.load import report as reports

    plan = LoadPlan("http://127.0.0.1:1/v1", "live", "crun", 5.0, ("m",), None, (("responses", 1),))
    (entry,) = plan.entries()
    violated = Outcome("RESP-002", "SHOULD", entry.case.endpoint, "statement", entry.case.id, "failed", expected="x",
                       actual="y", exchange="POST /responses -> 200", model="m")
    tally = tallies.new_tally()
    tallies.record(tally, name="responses", requests=1, outcome="2xx", timing=answers.Timings(0.01, None, (), 0.02, 5, 3, None),
                   outcomes=[violated], streaming=False, at=1000.0)
    result = {"tally": tally, "stopped_by": "duration", "started": 1000.0, "ended": 1001.0, "wall_s": 1.0}
    report = reports.build(result, plan, {"users": 1, "mix": "responses=1"}, strict=strict)
    assert report["verdict"] == verdict and report["strict"] is strict
    (check,) = [c for c in report["checks"] if c["id"] == "RESP-002"]
    assert (check["level"], check["outcome"], check["answers"], check["violated"]) == ("SHOULD", "failed", 1, 1)
    assert f"verdict: {verdict.upper()} under load" in reports.terminal(report)


def test_a_generators_peak_counts_once_however_many_tallies_it_sent_and_generators_add_up():
    """Two workers of 4 users each, each sending its tally twice within one second: 8 streams at most, never 16."""
    worker_a, worker_b, merged = tallies.new_tally(), tallies.new_tally(), tallies.new_tally()
    for node, tally in (("a", worker_a), ("b", worker_b)):
        tallies.note_streams(tally, node, 4, at=1000.2)
        first = json.loads(json.dumps(tally))  # a delta sent with a stats report, then the worker starts afresh
        tally.update(tallies.new_tally())
        tallies.note_streams(tally, node, 4, at=1000.7)
        tallies.merge(merged, first)
        tallies.merge(merged, tally)
    assert tallies.streams_open(merged) == {"1000": 8}
    one = tallies.new_tally()
    tallies.note_streams(one, "local", 3, at=1000.1)
    tallies.note_streams(one, "local", 8, at=1000.5)
    tallies.note_streams(one, "local", 2, at=1000.9)
    assert tallies.streams_open(one) == {"1000": 8}


def _load_report(streams_from: float = 1000.0):
    """A load report whose streams open before the first answer comes back, with some answers violating AUTH-001."""
    from conformance.load import report as reports

    tally = tallies.new_tally()
    for i in range(6):
        tallies.note_streams(tally, "a", i + 1, at=streams_from + i * 0.5)
    for i in range(20):
        _answer(tally, violated=i % 4 == 0, at=1002.0 + i // 5)
    plan = LoadPlan("http://127.0.0.1:1/v1", "live", "crun", 5.0, ("m",), None, (("chat", 1),))
    result = {"tally": tally, "stopped_by": "duration", "started": 1000.0, "ended": 1006.0, "wall_s": 6.0}
    return reports.build(result, plan, {"users": 2, "mix": "chat=1"})


def test_streams_violations_and_answers_share_one_time_base_from_0():
    timeline = _load_report()["timeline"]
    assert min(s["t"] for s in timeline["streams"]) == 0  # the run's start
    assert [s["t"] for s in timeline["series"]] == [2, 3, 4, 5]  # answers two seconds in, on the same base
    behind = _load_report(streams_from=998.0)["timeline"]  # a worker whose clock runs behind the master's
    assert min(s["t"] for s in behind["streams"]) == 0 and [s["t"] for s in behind["series"]] == [4, 5, 6, 7]


def test_the_load_plots_count_in_whole_numbers_keep_titles_clear_of_the_legend_and_show_no_backticks(page, tmp_path):
    from conformance.load.html import count_axis, render

    assert count_axis(0)["dtick"] == 1 and count_axis(3)["dtick"] == 1 and count_axis(40)["dtick"] == 10
    html = tmp_path / "load.html"
    html.write_text(render(_load_report()))
    page.goto(html.as_uri())
    page.wait_for_selector(".js-plotly-plot .legend")
    figures = page.locator(".js-plotly-plot")
    assert figures.count() == 2
    counts = figures.nth(1)
    for axis in ("ytick", "y2tick"):
        labels = counts.locator(f"g.{axis} text").all_text_contents()
        assert labels and all(label.isdigit() for label in labels) and len(set(labels)) == len(labels), (axis, labels)
    for figure in figures.all():
        legend = figure.locator("g.legend").bounding_box()
        for title in figure.locator("g.g-xtitle, g.g-ytitle, g.g-y2title").all():
            box = title.bounding_box()
            if box is None:
                continue
            apart = (box["x"] + box["width"] <= legend["x"] or legend["x"] + legend["width"] <= box["x"]
                     or box["y"] + box["height"] <= legend["y"] or legend["y"] + legend["height"] <= box["y"])
            assert apart, f"an axis title overlaps the legend: {title.text_content()!r}"
    text = page.locator("body").inner_text()
    assert "Authorization: Bearer KEY" in text and "`" not in text
    assert page.locator("td code").first.text_content() == "Authorization: Bearer KEY"
    assert page.problems == [] and page.fetched == []
