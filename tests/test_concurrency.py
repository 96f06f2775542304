"""certify --concurrency: the same report as one at a time, rate limits retried not failed, a plan before spending."""

from __future__ import annotations

import io
import json
import re
import time

import pytest

from conformance.cli import main
from conformance.progress import RunProgress
from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.target import Limiter, retry_after

KEY = "sk-concurrency-test-0123456789"
MODELS = ["--model", "gpt-5.4", "--messages-model", "claude-sonnet-4-5"]


def certify(url: str, tmp_path, *extra: str) -> tuple[int, dict | None]:
    path = tmp_path / f"r{len(list(tmp_path.iterdir()))}.json"
    code = main(["certify", "--base-url", url, "--api-key", KEY, "-q", "--timeout", "5", "--report-json", str(path),
                 *MODELS, *extra])
    return code, json.loads(path.read_text()) if path.exists() else None


GENERATED = re.compile(r'(?:chatcmpl|resp|msg|call|toolu|fc|cmpl)[-_][0-9a-f]{32}|"created(?:_at)?":\d+')


def comparable(report: dict) -> list[tuple]:
    """A report without what differs from run to run: timings, and the ids and timestamps the server generates."""
    return [tuple(GENERATED.sub("<generated>", str(c[k])) for k in
                  ("id", "endpoint", "model", "case", "outcome", "expected", "actual", "violations"))
            for c in report["checks"]]


def test_a_concurrent_and_a_sequential_run_give_the_same_report(tmp_path):
    faults = frozenset({"chat_no_done", "responses_no_output_text", "unknown_model_400"})
    with ReferenceServer(ReferenceConfig(api_key=KEY, faults=faults)) as server:
        code_1, one = certify(server.base_url, tmp_path, "--concurrency", "1")
        code_8, eight = certify(server.base_url, tmp_path, "--concurrency", "8")
    assert code_1 == code_8 == 1
    assert comparable(one) == comparable(eight)
    assert one["cost"]["requests"] == eight["cost"]["requests"]


def test_a_server_that_rate_limits_every_third_request_is_certified_with_retries_counted(tmp_path, capsys):
    with ReferenceServer(ReferenceConfig(api_key=KEY, rate_limit_every=3)) as server:
        code, report = certify(server.base_url, tmp_path)
    out = capsys.readouterr().out
    assert code == 0, [c for c in report["checks"] if c["outcome"] != "passed"]
    assert report["cost"]["retries"] > 0
    assert f"({report['cost']['retries']} rate-limit retries)" in out


def test_a_server_that_rate_limits_everything_is_unusable_in_one_line(tmp_path, capsys):
    with ReferenceServer(ReferenceConfig(api_key=KEY, rate_limit_every=1)) as server:
        code, report = certify(server.base_url, tmp_path)
    err = capsys.readouterr().err
    assert code == 2 and report is None
    assert "rate-limited every request" in err and len(err.strip().splitlines()) == 1 and KEY not in err


def test_the_plan_is_printed_before_spending_and_max_requests_refuses_a_bigger_one(tmp_path, capsys):
    with ReferenceServer(ReferenceConfig(api_key=KEY)) as server:
        code = main(["certify", "--base-url", server.base_url, "--api-key", KEY, *MODELS, "--max-requests", "10"])
        err = capsys.readouterr().err
        assert code == 2 and "above --max-requests 10" in err
        assert "plan:" in err and "requests" in err  # the plan was printed before the refusal


def test_retry_after_reads_429_and_503_with_retry_after_only():
    assert retry_after(429, {}) == 1.0
    assert retry_after(429, {"retry-after": "2"}) == 2.0
    assert retry_after(503, {"retry-after": "0.5"}) == 0.5
    assert retry_after(503, {}) is None
    assert retry_after(500, {"retry-after": "1"}) is None
    assert retry_after(429, {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 1.0


def test_the_limiter_halves_on_a_rate_limit_and_grows_back_by_one_per_window():
    limiter = Limiter(8)
    limiter.throttled()
    assert limiter.limit == 4
    limiter.throttled()
    limiter.throttled()
    limiter.throttled()
    assert limiter.limit == 1  # never below one
    for _ in range(3):
        limiter.answered()
    assert 2.5 < limiter.limit < 3  # 1 -> 2 -> 2.5 -> 2.9: one more for each window of answers
    for _ in range(200):
        limiter.answered()
    assert limiter.limit == 8  # never above the ceiling


@pytest.mark.parametrize("interactive", [False, True])
def test_progress_says_cases_in_flight_retries_time_and_failures(interactive):
    stream = io.StringIO()
    progress = RunProgress(stream, interactive=interactive)
    line = progress.line()
    for word in ("cases 0/0", "in flight", "retries", "failures so far"):
        assert word in line


def test_each_case_is_judged_and_reported_as_soon_as_it_finishes():
    """Progress counts cases while the run goes on, not all at the end."""
    from conformance.exchange import Request
    from conformance.plan import build
    from conformance.session import ConformanceSession, Progress
    from conformance.suite.auth import bearer_accepted
    from conformance.suite.case import Case
    from conformance.target import Target

    def slow(ctx, earlier):
        time.sleep(1.0)
        return Request("GET", "/models")

    class Recorder(Progress):
        def __init__(self) -> None:
            self.done_at: dict[str, float] = {}

        def done(self, unit, outcomes) -> None:
            self.done_at[unit.case.id] = time.monotonic()

    cases = [Case("slow", "GET /models", (bearer_accepted,), steps=(slow,), per_model=False),
             Case("fast", "GET /models", (bearer_accepted,), steps=(lambda ctx, e: Request("GET", "/models"),),
                  per_model=False)]
    progress = Recorder()
    with ReferenceServer(ReferenceConfig(api_key=KEY)) as server:
        target = Target(server.base_url, KEY, "reference")
        session = ConformanceSession(target, concurrency=2, progress=progress)
        try:
            outcomes = session.run(build(target, [(c, c.checks) for c in cases], ["gpt-5.4"], ["gpt-5.4"], False))
        finally:
            session.close()
    assert [o.outcome for o in outcomes] == ["passed", "passed"]
    assert progress.done_at["slow"] - progress.done_at["fast"] > 0.5
