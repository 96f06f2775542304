"""`crun-conformance load` end to end, on loopback: a healthy server holds, load-only faults are caught, runs are bounded.

Each fault of `reference/load_faults.py` appears only with more requests in
flight than certify ever sends: certify of the faulty server passes, load of
the same server fails exactly the requirements the fault breaks, and marks
them load-only given certify's report. The thresholds (56 open streams, 64
requests in flight) sit above anything a one-model certify sends, and each run checks on
the server's own counts that it stayed below (certify) or reached them (load).
A load run against a faulty server sends one request per user (128) to a
server that holds them until the fault fires (`ReferenceConfig.hold_s`), so
the threshold is reached however busy the machine is, and a run that could
not reach it says so instead of judging the absence of a violation.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from conformance.cli import main
from conformance.outcomes.verdict import FAILING
from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.reference.faults import FAULTS
from conformance.reference.load_faults import NO_RETRY_AFTER_AT_IN_FLIGHT, USAGE_DROPPED_AT_OPEN_STREAMS, Concurrency
from conformance.reference.wire import json_response
from conformance.run.session import DEFAULT_CONCURRENCY, DEFAULT_CONCURRENCY_TOTAL
from conformance.suite.cases import CASES

KEY = "sk-load-test-0123456789abcdef"
USERS = "128"  # one request each (--max-requests): twice the 503's threshold, so half of them are held at least
HOLD_S = 15.0  # how long a held server waits for its fault to fire: far more than 128 users need to arrive, under the
# load deadline (20 s); only a run that cannot reach the threshold ever waits it out
CHAT_BASIC = {c.requirement for case in CASES if case.id == "chat_basic" for c in case.checks}
# How to provoke each load-only fault; what it breaks is its own declaration in conformance/reference/faults.py.
MIXES = {"load_usage_dropped": "chat-stream=1", "load_503_no_retry_after": "chat=1,chat-stream=1"}
LOAD_FAULTS = {name: (MIXES[name], FAULTS[name].breaks_in(CASES)) for name, fault in FAULTS.items() if "load" in fault.judged_by}


def load(*args: str) -> int:
    return main(["load", "-q", "--users", USERS, *args])


def read(path) -> dict:
    return json.loads(path.read_text())


def failed(report: dict) -> set[str]:
    return {c["id"] for c in report["checks"] if c["outcome"] in FAILING}


def threshold(fault: str, seen: Concurrency) -> tuple[int, int, str, int]:
    """What the server counted for a load fault: the most at once, the threshold, of what, and how often it fired."""
    if fault == "load_503_no_retry_after":
        return seen.peak_in_flight, NO_RETRY_AFTER_AT_IN_FLIGHT, "in flight", seen.overloaded
    return seen.peak_open_streams, USAGE_DROPPED_AT_OPEN_STREAMS, "streams open", seen.usage_dropped


def assert_reached(fault: str, seen: Concurrency) -> None:
    """The precondition of judging a load fault: the server counted its threshold, and the fault fired."""
    most, needed, what, fired = threshold(fault, seen)
    assert most >= needed and fired > 0, (f"{fault}: precondition not met: reached {most} {what}, needed {needed} "
                                          f"(the fault fired {fired} times); the verdict would judge nothing")


def held(fault: str) -> ReferenceServer:
    """A server with the fault that holds what it counts until it fires, at most HOLD_S (load_faults.py)."""
    return ReferenceServer(ReferenceConfig(api_key=KEY, faults=frozenset({fault}), hold_s=HOLD_S))


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    """For each load-only fault: a reference server with it, certify's exit code, and a directory with certify's report."""
    with contextlib.ExitStack() as stack:
        servers = {}
        for fault in LOAD_FAULTS:
            out = tmp_path_factory.mktemp(fault)
            server = stack.enter_context(ReferenceServer(ReferenceConfig(api_key=KEY, faults=frozenset({fault}))))
            code = main(["certify", "--base-url", server.base_url, "--api-key", KEY, "-q",
                         "--report-json", str(out / "certify.json")])
            servers[fault] = (server.concurrency, code, out)
        yield servers


def test_the_thresholds_sit_above_the_most_a_one_model_certify_sends_at_once():
    """Its three upstreams (the model, the /messages model, the gateway itself), each at most at its cap."""
    most = min(3 * DEFAULT_CONCURRENCY, DEFAULT_CONCURRENCY_TOTAL)
    assert USAGE_DROPPED_AT_OPEN_STREAMS > most and NO_RETRY_AFTER_AT_IN_FLIGHT > most


@pytest.mark.parametrize("fault", sorted(LOAD_FAULTS))
def test_certify_passes_the_server_with_a_load_only_fault(fault, faulty):
    seen, code, out = faulty[fault]
    report = read(out / "certify.json")
    most, needed, what, fired = threshold(fault, seen)
    assert most < needed and fired == 0, f"{fault}: certify reached {most} {what}, the fault's threshold is {needed}"
    assert code == 0, f"{fault}: certify failed {failed(report)}"
    assert failed(report) == set()


@pytest.mark.parametrize("fault", sorted(LOAD_FAULTS))
def test_load_catches_the_fault_and_marks_it_load_only(fault, faulty, capsys):
    _, _, out = faulty[fault]
    mix, breaks = LOAD_FAULTS[fault]
    with held(fault) as server:
        code = load("--base-url", server.base_url, "--api-key", KEY, "--mix", mix, "--max-requests", USERS,
                    "--duration", "120", "--certify-report", str(out / "certify.json"),
                    "--report-json", str(out / "load.json"), "--report-md", str(out / "load.md"),
                    "--report-html", str(out / "load.html"))
    assert_reached(fault, server.concurrency)
    report = read(out / "load.json")
    assert code == 1
    assert failed(report) == breaks
    bad = [c for c in report["checks"] if c["outcome"] == "failed"]
    assert all(c["load_only"] is True and c["violated"] > 0 and c["violations"] and c["exchange"] for c in bad)
    assert report["verdict"] == "failed" and report["run"]["stopped_by"] == "max-requests"
    if fault == "load_503_no_retry_after":
        assert report["http"]["5xx"] > 0 and report["http"]["503 with Retry-After"] == 0
    printed = capsys.readouterr().out
    assert "load-only" in printed and "verdict: FAILED under load" in printed
    for name in ("load.json", "load.md", "load.html"):
        assert KEY not in (out / name).read_text(), f"the key reached {name}"
    assert KEY not in printed


def test_master_and_two_workers_find_the_same_load_only_fault(faulty):
    _, _, out = faulty["load_usage_dropped"]
    mix, breaks = LOAD_FAULTS["load_usage_dropped"]
    with held("load_usage_dropped") as server:
        code = load("--base-url", server.base_url, "--api-key", KEY, "--mix", mix, "--max-requests", USERS,
                    "--duration", "120", "--workers", "2", "--certify-report", str(out / "certify.json"),
                    "--report-json", str(out / "distributed.json"))
    assert_reached("load_usage_dropped", server.concurrency)
    report = read(out / "distributed.json")
    assert code == 1
    assert failed(report) == breaks
    assert report["run"]["workers"] == 2
    assert report["run"]["streams_peak"] <= int(USERS)  # each worker's peak counted once, not once per tally it sent
    assert all(c["load_only"] for c in report["checks"] if c["outcome"] == "failed")
    assert report["run"]["answers"] == sum(report["http"].values()) > 0


def test_a_master_and_a_worker_started_apart_split_the_budget_and_report_at_the_master(tmp_path, capfd):
    """The two-machine recipe of the README, on loopback: `--master` here, `--worker` in its own process; each says
    in one line where it is when it starts, and what it did when it finishes."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    with ReferenceServer(ReferenceConfig(api_key=KEY)) as server:
        worker = subprocess.Popen([sys.executable, "-m", "conformance.cli", "load", "--worker",
                                   "--master-host", "127.0.0.1", "--master-port", port],
                                  env={**os.environ, "CRUN_API_KEY": KEY}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        try:
            code = main(["load", "--master", "--expect-workers", "1", "--master-bind-host", "127.0.0.1",
                         "--master-port", port, "--base-url", server.base_url, "--api-key", KEY, "--users", "4",
                         "--duration", "60", "--max-requests", "30", "--report-json", str(tmp_path / "r.json")])
            _, worker_err = worker.communicate(timeout=60)
        finally:
            if worker.poll() is None:
                worker.kill()
    # when the master ends without a report, say what both sides said (seen once in CI: the worker joined, no user ran)
    assert (tmp_path / "r.json").is_file(), f"master exit {code}, worker exit {worker.returncode}: {worker_err!r}"
    report = read(tmp_path / "r.json")
    assert code == 0 and worker.returncode == 0
    assert (report["run"]["workers"], report["run"]["stopped_by"], report["run"]["answers"]) == (1, "max-requests", 30)
    said = [line for line in worker_err.splitlines() if line.startswith("load worker: ")]
    assert said == [f"load worker: joining the master at 127.0.0.1:{port}",
                    "load worker: finished: 30 answers judged and sent to the master"], worker_err
    captured = capfd.readouterr()
    assert "from 4 users on 1 worker, stopped by" in captured.out  # not "1 workers"
    said = [line for line in captured.err.splitlines() if line.startswith("load master: ")]
    assert len(said) == 2, said
    assert said[0] == f"load master: listening on 127.0.0.1:{port}, waiting for 1 worker (at most 60 s)"
    assert said[1].startswith("load master: finished, stopped by max-requests: 30 answers from 1 worker in ")


def test_the_embedded_reference_server_holds_under_load(tmp_path):
    code = main(["load", "-q", "--users", "4", "--duration", "2", "--report-json", str(tmp_path / "r.json"),
                 "--report-md", str(tmp_path / "r.md"), "--report-html", str(tmp_path / "r.html")])
    report = read(tmp_path / "r.json")
    assert code == 0, failed(report)
    assert report["verdict"] == "certified" and report["target"]["kind"] == "reference"
    assert {c["outcome"] for c in report["checks"]} == {"passed"}
    assert {c["case"] for c in report["checks"]} == {"chat_basic", "chat_stream_default_usage", "responses_stream",
                                                    "messages_stream"}  # the default mix
    assert report["run"]["judged"] == report["run"]["answers"] == report["http"]["2xx"] > 0
    latency = report["latency"]
    assert latency["ttfb_ms"]["p50"] > 0 and latency["ttft_ms"]["p99"] >= latency["ttft_ms"]["p50"] > 0
    assert latency["gap_ms"]["count"] > 0 and report["timeline"]["series"]
    html = (tmp_path / "r.html").read_text()
    assert "<script src" not in html and "Plotly.newPlot" in html and "Latency percentiles" in html
    assert "| requirement | level |" in (tmp_path / "r.md").read_text()


def test_a_run_stops_at_max_requests_first(tmp_path):
    with ReferenceServer(ReferenceConfig(api_key=KEY)) as server:
        code = main(["load", "-q", "--users", "8", "--duration", "60", "--max-requests", "25", "--mix", "chat",
                     "--base-url", server.base_url, "--api-key", KEY, "--model", "gpt-5.4",
                     "--report-json", str(tmp_path / "r.json")])
    report = read(tmp_path / "r.json")
    assert code == 0
    assert report["run"]["stopped_by"] == "max-requests"
    assert report["run"]["answers"] == 25
    assert report["cost"]["requests"] == 25 + 1  # and the one GET /models that checked the target answers


def test_max_requests_caps_attempts_a_connection_broken_and_sent_again_included(tmp_path):
    """Issue 25: --max-requests counts what is sent, not cases. Against a server that reads each request and closes
    the connection, a broken request is sent again only while the budget has room."""
    from test_concurrency import ClosingServer

    with ClosingServer() as server:
        code = main(["load", "-q", "--users", "2", "--duration", "60", "--max-requests", "9", "--mix", "chat",
                     "--base-url", server.base_url, "--api-key", KEY, "--model", "gpt-5.4",
                     "--report-json", str(tmp_path / "r.json")])
    report = read(tmp_path / "r.json")
    assert code == 1 and report["run"]["stopped_by"] == "max-requests"
    before = 2  # GET /models, which failed the same way, and its one retry: the models could not be checked
    assert server.requests <= report["cost"]["requests"] == 9 + before
    assert report["cost"]["retries"] == 9 - report["run"]["answers"] + 1 > 1  # each case took 1 or 2 of the 9


class Throttling:
    """ASGI wrapper: every `every`-th POST is refused with 429, with or without Retry-After."""

    def __init__(self, app, every: int, retry_after: bool) -> None:
        self.app, self.every, self.retry_after, self.posts = app, every, retry_after, 0

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST":
            self.posts += 1
            if self.posts % self.every == 0:
                headers = {"retry-after": "1"} if self.retry_after else None
                body = {"error": {"message": "Slow down.", "type": "rate_limit_error", "param": None, "code": None}}
                await json_response(body, 429, headers)(scope, receive, send)
                return
        await self.app(scope, receive, send)


@contextlib.contextmanager
def throttled_server(every: int, retry_after: bool):
    """The reference server behind `Throttling`: load must see every 429, so no request is let through on a retry."""
    with ReferenceServer(ReferenceConfig(api_key=KEY), wrap=lambda app: Throttling(app, every, retry_after)) as server:
        yield server.base_url


def test_429_with_retry_after_is_reported_not_judged(tmp_path):
    with throttled_server(every=3, retry_after=True) as url:
        code = main(["load", "-q", "--users", "2", "--duration", "60", "--max-requests", "30", "--mix", "chat",
                     "--base-url", url, "--api-key", KEY, "--model", "gpt-5.4", "--report-json", str(tmp_path / "r.json")])
    report = read(tmp_path / "r.json")
    assert code == 0, failed(report)
    assert (report["http"]["2xx"], report["http"]["429 with Retry-After"]) == (20, 10)
    assert (report["run"]["judged"], report["run"]["throttled"]) == (20, 10)
    assert {c["answers"] for c in report["checks"]} == {20}


def test_429_without_retry_after_is_judged_and_fails(tmp_path):
    with throttled_server(every=3, retry_after=False) as url:
        code = main(["load", "-q", "--users", "2", "--duration", "60", "--max-requests", "30", "--mix", "chat",
                     "--base-url", url, "--api-key", KEY, "--model", "gpt-5.4", "--report-json", str(tmp_path / "r.json")])
    report = read(tmp_path / "r.json")
    assert code == 1
    assert report["http"]["429 without Retry-After"] == 10 and report["run"]["judged"] == 30
    # a 429 holds no key, no model to read, and is no 2xx carrying an error
    assert failed(report) == CHAT_BASIC - {"AUTH-005", "MODELS-003", "ERR-006"}
    assert {c["violated"] for c in report["checks"] if c["outcome"] == "failed"} == {10}


def test_a_target_that_throttles_everything_cannot_be_judged(tmp_path, capsys):
    with throttled_server(every=1, retry_after=True) as url:
        code = main(["load", "-q", "--users", "2", "--duration", "60", "--max-requests", "10", "--mix", "chat",
                     "--base-url", url, "--api-key", KEY, "--model", "gpt-5.4"])
    assert code == 2
    assert "every answer was throttled" in capsys.readouterr().err


@pytest.mark.parametrize("args, says", [
    (["--mix", "chat=1,chatt=2"], "--mix: unknown case 'chatt'"),
    (["--mix", "chat=x"], "--mix: the weight of 'chat' must be a whole number"),
    (["--base-url", "http://127.0.0.1:9/v1", "--api-key", KEY], "http://127.0.0.1:9/v1 is unreachable"),
    (["--base-url", "not a url", "--api-key", KEY], "base URL must be an http(s) URL"),
    (["--base-url", "http://127.0.0.1:9/v1"], "--base-url needs --api-key or CRUN_API_KEY"),
    (["--users", "0"], "--users must be at least 1"),
    (["--master"], "--master needs --expect-workers K"),
    (["--workers", "2", "--worker"], "exclude each other"),
    (["--certify-report", "/nonexistent/certify.json"], "--certify-report /nonexistent/certify.json"),
])
def test_bad_input_exits_2_with_one_line(args, says, capsys, monkeypatch):
    monkeypatch.delenv("CRUN_API_KEY", raising=False)
    assert main(["load", "-q", "--duration", "1", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("crun-conformance: ") and says in err, err
    assert err.count("\n") == 1 and "Traceback" not in err and KEY not in err


def test_ctrl_c_writes_the_report_of_what_was_done(tmp_path):
    """Ctrl-C on a terminal interrupts the whole process group: the run stops, reports, and exits 130."""
    proc = subprocess.Popen([sys.executable, "-m", "conformance.cli", "load", "--users", "4", "--duration", "120",
                             "--report-json", str(tmp_path / "r.json")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        progress = ""
        while not progress.startswith("load: "):  # Locust is running once it reports progress
            progress = proc.stderr.readline()
            assert progress or proc.poll() is None, "the run ended before it was interrupted"
        os.killpg(proc.pid, signal.SIGINT)
        started = time.monotonic()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    report = read(tmp_path / "r.json")
    assert report["run"]["stopped_by"] == "interrupted" and report["run"]["answers"] > 0
    assert "stopped by interrupted" in out and time.monotonic() - started < 60


def test_models_all_loads_every_listed_model_in_turn():
    from conformance.cli import _parser
    from conformance.load.command import _models

    with ReferenceServer(ReferenceConfig(api_key=KEY)) as server:
        def chosen(*flags: str):
            args = _parser().parse_args(["load", "--base-url", server.base_url, "--api-key", KEY, *flags])
            return _models(args, server.base_url, KEY, "live", "crun")

        listed, messages_model, spent = chosen("--models", "all")
        assert len(listed) > 1 and messages_model is None and spent.requests == 1
        assert chosen("--models", "gpt-5.4")[:2] == (("gpt-5.4",), None)
        first, claude, _ = chosen()
        assert first == listed[:1] and "claude" in claude
