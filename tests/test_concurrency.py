"""certify --concurrency: the same report as one at a time, rate limits retried not failed, a plan before spending."""

from __future__ import annotations

import contextlib
import io
import json
import re
import threading

import pytest

from conformance.cli import main
from conformance.outcomes.verdict import FAILING
from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.run.progress import RunProgress
from conformance.wire.target import BACK_OFF, Limiter, retry_after

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
    """The default schedule (limits found per model and in all, SDK cases' first calls alone) and one at a time."""
    faults = frozenset({"chat_no_done", "responses_no_output_text", "unknown_model_400"})
    with ReferenceServer(ReferenceConfig(api_key=KEY, faults=faults)) as server:
        code_1, one = certify(server.base_url, tmp_path, "--concurrency", "1")
        code_n, default = certify(server.base_url, tmp_path)
    assert code_1 == code_n == 1
    assert comparable(one) == comparable(default)
    assert one["cost"]["requests"] == default["cost"]["requests"]


def test_a_server_that_rate_limits_every_third_request_is_certified_with_retries_counted(tmp_path, capsys):
    with ReferenceServer(ReferenceConfig(api_key=KEY, rate_limit_every=3)) as server:
        code, report = certify(server.base_url, tmp_path)
    out = capsys.readouterr().out
    assert code == 0, [c for c in report["checks"] if c["outcome"] != "passed"]
    assert report["cost"]["retries"] > 0
    assert f"({report['cost']['retries']} retries)" in out


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


def test_the_limiter_backs_off_on_congestion_and_grows_back_by_one_per_window():
    limiter = Limiter(8)
    with contextlib.ExitStack() as held:
        for _ in range(8):
            held.enter_context(limiter.slot())
        limiter.throttled()
    assert limiter.limit == 8 * BACK_OFF
    for _ in range(10):
        limiter.throttled()
    assert limiter.limit == 1  # never below one
    for _ in range(3):
        limiter.answered()
    assert 2.5 < limiter.limit < 3  # 1 -> 2 -> 2.5 -> 2.9: one more for each window of answers
    for _ in range(200):
        limiter.answered()
    assert limiter.limit == 8  # never above the ceiling


def test_the_limiter_starts_at_its_first_window_and_doubles_each_round_until_a_sign_of_congestion():
    limiter = Limiter(64, start=8)
    for _ in range(8):  # one round: eight answers
        limiter.answered()
    assert limiter.limit == 16
    for _ in range(16):
        limiter.answered()
    assert limiter.limit == 32
    with contextlib.ExitStack() as held:
        for _ in range(32):
            held.enter_context(limiter.slot())
        limiter.throttled()
    assert limiter.limit == 32 * BACK_OFF
    for _ in range(22):  # from the first sign on: one more per window
        limiter.answered()
    assert int(limiter.limit) == int(32 * BACK_OFF) + 1


def test_a_burst_of_refusals_from_one_overload_backs_off_once_and_to_what_the_gateway_held():
    """Refusals of requests sent before the limiter backed off shrink it by BACK_OFF once; each refusal also brings
    the limit down to the requests still in flight (the gateway refused it while holding those)."""
    limiter = Limiter(20)
    with limiter.slot() as window, limiter.slot(), limiter.slot(), limiter.slot(), limiter.slot():
        assert window == 0  # five in flight: the gateway holds four of them and refuses the fifth
    with limiter.slot(), limiter.slot(), limiter.slot(), limiter.slot():
        limiter.throttled(window)
        assert limiter.limit == 4 and limiter.shrunk == 1  # not 20 * 0.7 = 14: no more than the four it holds
        limiter.throttled(window)
        assert limiter.limit == 4 and limiter.shrunk == 1  # the same window: no second decrease
    limiter.limit = 20.0
    with contextlib.ExitStack() as held:
        later = [held.enter_context(limiter.slot()) for _ in range(17)][-1]
    with contextlib.ExitStack() as held:
        for _ in range(16):
            held.enter_context(limiter.slot())
        limiter.throttled(later)  # sent after the first decrease: a new window
        assert limiter.limit == 20 * BACK_OFF and limiter.shrunk == 2  # 14, below the 16 still held
    assert limiter.peak == 17


@pytest.mark.parametrize("interactive", [False, True])
def test_progress_says_cases_in_flight_retries_time_and_failures(interactive):
    stream = io.StringIO()
    progress = RunProgress(stream, interactive=interactive)
    line = progress.line()
    for word in ("cases 0/0", "in flight (limit", "retries", "failures so far"):
        assert word in line


def test_each_case_is_judged_and_reported_as_soon_as_it_finishes():
    """Progress counts cases while the run goes on, not all at the end."""
    from conformance.run.plan import build
    from conformance.run.session import ConformanceSession, Progress
    from conformance.suite.auth import bearer_accepted
    from conformance.suite.case import Case
    from conformance.wire.exchange import Request
    from conformance.wire.target import Target

    running, fast_reported = threading.Event(), threading.Event()
    seen_by_slow: list[bool] = []

    def slow(ctx, earlier):  # in the run, still running until the fast case is reported (at most 60 s: a bound)
        if running.is_set():  # (building the plan reads the steps too)
            seen_by_slow.append(fast_reported.wait(timeout=60))
        return Request("GET", "/models")

    class Recorder(Progress):
        def __init__(self) -> None:
            self.order: list[str] = []

        def start(self, session, units) -> None:
            running.set()

        def done(self, unit, outcomes) -> None:
            self.order.append(unit.case.id)
            if unit.case.id == "fast":
                fast_reported.set()

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
    assert seen_by_slow == [True], "the fast case was not reported while the slow one was still running"
    assert progress.order == ["fast", "slow"]


def _posts_answered_with(status: int, headers: dict[str, str], body: bytes):
    """An ASGI wrapper that answers every POST itself (GET /models still reaches the reference)."""
    def wrap(app):
        async def wrapped(scope, receive, send):
            if scope["type"] != "http" or scope["method"] != "POST":
                return await app(scope, receive, send)
            await send({"type": "http.response.start", "status": status,
                        "headers": [(k.encode(), v.encode()) for k, v in headers.items()]})
            await send({"type": "http.response.body", "body": body})
        return wrapped
    return wrap


ERROR_429 = b'{"error":{"message":"slow down","type":"rate_limit_error","param":null,"code":null}}'


def test_retries_and_queueing_do_not_eat_the_next_attempts_deadline(tmp_path):
    """A slow, rate-limiting but healthy server: every retried request still gets a whole deadline to answer."""
    with ReferenceServer(ReferenceConfig(api_key=KEY, latency_ms=1200, rate_limit_every=3)) as server:
        code, report = certify(server.base_url, tmp_path, "--timeout", "3", "--concurrency", "4", "-k",
                               "CHAT-001 or CHAT-002 or RESP-001 or MSG-001 or COMP-001 or CHAT-003")
    assert code == 0, [(c["id"], c["actual"]) for c in report["checks"] if c["outcome"] != "passed"]
    assert report["cost"]["retries"] > 0


def test_a_retry_after_beyond_the_deadline_is_not_waited_and_the_run_says_so(tmp_path, capsys):
    wrap = _posts_answered_with(429, {"content-type": "application/json", "retry-after": "25"}, ERROR_429)
    with ReferenceServer(ReferenceConfig(api_key=KEY), wrap=wrap) as server:
        code, _ = certify(server.base_url, tmp_path, "--timeout", "2", "--concurrency", "1")
    err = capsys.readouterr().err
    assert code == 2 and "Retry-After longer than the deadline" in err and len(err.strip().splitlines()) == 1


def test_an_sdk_call_that_stays_rate_limited_is_an_error_not_a_verdict(tmp_path):
    wrap = _posts_answered_with(429, {"content-type": "application/json", "retry-after": "0"}, ERROR_429)
    with ReferenceServer(ReferenceConfig(api_key=KEY), wrap=wrap) as server:
        _, report = certify(server.base_url, tmp_path, "-k", "SDK-001 or CHAT-001")
    outcomes = {c["id"]: (c["outcome"], c["actual"]) for c in report["checks"]}
    for rid in ("SDK-001", "CHAT-001"):
        assert outcomes[rid][0] == "error" and outcomes[rid][1].startswith("rate-limited"), outcomes[rid]


def test_a_body_nested_deeper_than_python_parses_is_a_failed_check_not_a_crash(tmp_path, capsys):
    wrap = _posts_answered_with(200, {"content-type": "application/json"}, b"[" * 200_000)
    with ReferenceServer(ReferenceConfig(api_key=KEY), wrap=wrap) as server:
        code, report = certify(server.base_url, tmp_path, "-k", "CHAT-001")
    assert code == 1 and "Traceback" not in capsys.readouterr().err
    assert {c["outcome"] for c in report["checks"] if c["id"] == "CHAT-001"} <= FAILING


class ClosingServer:
    """Reads each request, then closes the connection without a byte of answer; counts the requests it read."""

    def __init__(self) -> None:
        import socketserver

        self.requests = 0
        lock = threading.Lock()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                self.request.settimeout(5)
                try:
                    if self.request.recv(65536):
                        with lock:
                            outer.requests += 1
                except OSError:
                    pass

        class Server(socketserver.ThreadingTCPServer):
            request_queue_size = 128  # a run's 24 connections at once all get through
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1"

    def __enter__(self) -> ClosingServer:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()


PLAN = re.compile(r"at most (\d+) requests .* and at most (\d+) retr(?:y|ies)")


@pytest.mark.parametrize("max_requests", [None, 125])
def test_the_plan_and_its_retry_bound_are_a_hard_limit_every_attempt_counted(tmp_path, capsys, max_requests):
    """Issue 25: a server that reads each request and closes the connection got 148 requests under a plan of 110,
    and the summary said "retries 0". Every attempt is counted; plan + its stated retry bound is never exceeded."""
    path = tmp_path / "r.json"
    cap = ["--max-requests", str(max_requests)] if max_requests else []
    with ClosingServer() as server:
        code = main(["certify", "--base-url", server.base_url, "--api-key", KEY, *MODELS, "--timeout", "5",
                     "--report-json", str(path), *cap])
    captured = capsys.readouterr()
    err = captured.err
    planned = PLAN.search(err)
    assert planned, err
    requests, retries = int(planned[1]), int(planned[2])
    report = json.loads(path.read_text())
    assert code == 1 and "Traceback" not in err
    # every attempt counted (one that never got through counts too), and the plan with its bound never passed
    assert server.requests <= report["cost"]["requests"] <= requests + retries
    assert report["cost"]["retries"] > 0  # each broken attempt sent again, while the bound allowed, is a retry
    assert f"({report['cost']['retries']} retries)" in captured.out  # and the summary says so
    if max_requests:
        assert requests + retries == max_requests and server.requests <= max_requests


def test_the_plan_line_says_1_case_1_model_1_request_and_its_retry_bound():
    from conformance.run import plan as plans
    from conformance.suite.cases import CASES
    from conformance.wire.target import Target

    chosen = [(case, checks) for case, checks in plans.select(CASES, "crun") if case.id == "chat_basic"]
    plan = plans.build(Target("https://gw.invalid/v1", "k"), chosen, ["m"], ["m"], matrix=False)
    plan.retries = plans.retry_bound(plan.requests, max_requests=1)
    assert plan.describe().startswith("plan: 1 case (1 for 1 model: m; 0 once) = at most 1 request and ")
    assert plan.describe().endswith("and at most 0 retries (rate limits, broken connections)")
    assert plans.retry_bound(110) == 55 and plans.retry_bound(2) == 3 and plans.retry_bound(110, 120) == 10


def test_rate_limit_retries_stop_at_the_runs_retry_bound_and_each_is_counted():
    from conformance.wire.exchange import Request
    from conformance.wire.target import Caller, Target

    with ReferenceServer(ReferenceConfig(api_key=KEY, rate_limit_every=1)) as server:
        caller = Caller(Target(server.base_url, KEY, timeout_s=5), retry_limit=2)
        try:
            answers = [caller.call(Request("GET", "/models")) for _ in range(2)]
        finally:
            caller.close()
    assert [x.rate_limited for x in answers] == [True, True]
    assert (caller.cost.requests, caller.cost.retries) == (4, 2)  # the first got both retries, the second none left


def test_the_run_finds_a_gateways_concurrency_limit_backs_off_and_passes(tmp_path, capsys):
    """Issue 26: a server that answers 429 above 4 requests in flight. The run starts at its first windows (8 per
    model, 24 in all), backs off on the 429s, retries each within the plan's bound, and certifies the server with
    every verdict judged."""
    config = ReferenceConfig(api_key=KEY, latency_ms=50, max_concurrency=4)
    apps = []
    with ReferenceServer(config, wrap=lambda app: apps.append(app) or app) as server:
        path = tmp_path / "r.json"
        code = main(["certify", "--base-url", server.base_url, "--api-key", KEY, *MODELS, "--timeout", "10",
                     "--report-json", str(path)])
    admission = apps[0].state.admission
    captured = capsys.readouterr()
    report = json.loads(path.read_text())
    planned = PLAN.search(captured.err)
    assert code == 0, [(c["id"], c["actual"]) for c in report["checks"] if c["outcome"] != "passed"]
    assert not [c for c in report["checks"] if c["outcome"] == "error"]
    assert admission.refused > 0 and admission.peak <= 4
    assert report["cost"]["retries"] >= admission.refused  # every refusal was an attempt, counted
    assert report["cost"]["requests"] <= int(planned[1]) + int(planned[2])
