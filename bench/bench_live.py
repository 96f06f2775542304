"""A live certification at its speed limit: issue 26's five figures, each beside its bound (medians of N runs).

Usage: python bench/bench_live.py [runs] [--only 1,2,...]

Each certification is a fresh `crun-conformance certify` process, as an
operator runs it, so start-up counts. The reference server runs in this
process, in a thread (uvicorn, on loopback), apart from the certify process it
serves; its wrapper notes when the first request of each run arrives, so the
process start of a run (launch to first request) is measured in that run.

1. One model (gpt-5.4; /messages on claude-sonnet-4-5) at 800 ms to first
   byte and 30 ms between events: wall time <= 1.5 x (longest chain + process
   start), both from the same run. The longest chain is the slowest case's own
   time (its requests one after another, each waiting for the one before).
2. `-k responses` at the same latency: <= 3 s.
3. No latency, one model: <= 1.5 s.
4. 100 models without latency: certify's own CPU (user + system, of the
   process and anything it started) per request <= 3 ms, its peak memory
   (max RSS) <= 250 MB.
5. 100 models at 800 ms latency against a server that answers 429 above 96
   requests in flight (`--max-concurrency 96`): <= 90 s, and no check left
   rate-limited.
Printed beside them: the load average when the figure was taken.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from conformance.reference import ModelInfo, ReferenceConfig, ReferenceServer

KEY = "bench-live-key-0123456789"
ONE = ["--model", "gpt-5.4", "--messages-model", "claude-sonnet-4-5"]
SLOW = {"latency_ms": 800, "chunk_ms": 30}
MAX_CONCURRENCY = 96
VENDORS = ("openai", "anthropic", "google", "mistral", "meta", "qwen", "deepseek")


def hundred_models() -> tuple[ModelInfo, ...]:
    """100 models as a gateway lists them (vendor/name), each served by the reference's default model."""
    return tuple(ModelInfo(f"{VENDORS[i % len(VENDORS)]}/model-{i:03d}", VENDORS[i % len(VENDORS)].title())
                 for i in range(100))


class FirstRequest:
    """ASGI wrapper: the monotonic time of the first request after `arm()` (the clock is the machine's)."""

    def __init__(self, app) -> None:
        self.app, self.first, self.lock = app, None, threading.Lock()

    def arm(self) -> None:
        self.first = None

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self.first is None:
            with self.lock:
                self.first = self.first or time.monotonic()
        await self.app(scope, receive, send)


@dataclass
class Run:
    wall: float
    start: float  # launch to the first request at the server
    cpu: float  # user + system of certify and its children
    max_rss_mb: float
    report: dict = field(repr=False)

    @property
    def requests(self) -> int:
        return self.report["cost"]["requests"]

    @property
    def chain(self) -> tuple[float, str]:
        """The slowest case's own time and its name: no schedule ends the run sooner than it."""
        slowest = max(self.report["checks"], key=lambda c: c["duration_s"])
        return slowest["duration_s"], f"{slowest['case']}@{slowest['model'] or 'any'}"


def certify(server: ReferenceServer, recorder: FirstRequest, *flags: str) -> Run:
    with tempfile.TemporaryDirectory() as tmp:
        path, out = Path(tmp) / "r.json", Path(tmp) / "out.txt"
        recorder.arm()
        with out.open("w") as sink:
            launched = time.monotonic()
            process = subprocess.Popen([sys.executable, "-m", "conformance.cli", "certify", "-q", "--base-url",
                                        server.base_url, "--report-json", str(path), *flags],
                                       stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, "CRUN_API_KEY": KEY})
            _, status, usage = os.wait4(process.pid, 0)  # this child's own CPU and peak memory
            wall = time.monotonic() - launched
        process.returncode = code = os.waitstatus_to_exitcode(status)
        if code != 0:
            sys.exit(f"certify exited {code}:\n{out.read_text()[-4000:]}")
        report = json.loads(path.read_text())
    started = (recorder.first or launched) - launched
    return Run(wall, started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, report)


def measure(runs: int, server: ReferenceServer, recorder: FirstRequest, *flags: str) -> list[Run]:
    return [certify(server, recorder, *flags) for _ in range(runs)]


def median(values) -> float:
    return statistics.median(list(values))


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def verdict(value: float, bound: float) -> str:
    return "met" if value <= bound else "NOT met"


def serving(config: ReferenceConfig) -> tuple[ReferenceServer, FirstRequest]:
    """The reference server in a thread of this process, its first requests noted (the wrapper keeps the app)."""
    wrapped: list[FirstRequest] = []
    server = ReferenceServer(config, wrap=lambda app: wrapped.append(FirstRequest(app)) or wrapped[0]).start()
    return server, wrapped[0]


def figure_1_and_2(runs: int, only: set[int]) -> None:
    server, recorder = serving(ReferenceConfig(api_key=KEY, **SLOW))
    try:
        if 1 in only:
            done = measure(runs, server, recorder, *ONE)
            wall, start = median(r.wall for r in done), median(r.start for r in done)
            chain = median(r.chain[0] for r in done)
            bound = 1.5 * (chain + start)
            print(f"1. one model, 800 ms latency: {wall:.2f} s (min {min(r.wall for r in done):.2f}, max "
                  f"{max(r.wall for r in done):.2f}); bound 1.5 x (longest chain {chain:.2f} s "
                  f"[{done[-1].chain[1]}] + process start {start:.2f} s) = {bound:.2f} s: "
                  f"{verdict(wall, bound)}; {done[-1].requests} requests; {load()}", flush=True)
        if 2 in only:
            done = measure(runs, server, recorder, *ONE, "-k", "responses")
            wall = median(r.wall for r in done)
            print(f"2. -k responses, 800 ms latency: {wall:.2f} s (min {min(r.wall for r in done):.2f}, max "
                  f"{max(r.wall for r in done):.2f}); bound 3 s: {verdict(wall, 3.0)}; {done[-1].requests} "
                  f"requests, longest chain {median(r.chain[0] for r in done):.2f} s, process start "
                  f"{median(r.start for r in done):.2f} s; {load()}", flush=True)
    finally:
        server.stop()


def figure_3(runs: int) -> None:
    server, recorder = serving(ReferenceConfig(api_key=KEY))
    try:
        done = measure(runs, server, recorder, *ONE)
        wall = median(r.wall for r in done)
        print(f"3. no latency, one model: {wall:.2f} s (min {min(r.wall for r in done):.2f}, max "
              f"{max(r.wall for r in done):.2f}); bound 1.5 s: {verdict(wall, 1.5)}; process start "
              f"{median(r.start for r in done):.2f} s, certify CPU {median(r.cpu for r in done):.2f} s; {load()}",
              flush=True)
    finally:
        server.stop()


def figure_4(runs: int) -> None:
    server, recorder = serving(ReferenceConfig(api_key=KEY, models=hundred_models()))
    try:
        done = measure(runs, server, recorder, "--models", "all")
        per_request = median(r.cpu / r.requests * 1000 for r in done)
        rss = median(r.max_rss_mb for r in done)
        print(f"4. 100 models, no latency: certify CPU {per_request:.2f} ms per request (median of "
              f"{median(r.cpu for r in done):.1f} s / {done[-1].requests} requests); bound 3 ms: "
              f"{verdict(per_request, 3.0)}; peak memory {rss:.0f} MB, bound 250 MB: {verdict(rss, 250)}; wall "
              f"{median(r.wall for r in done):.1f} s; {load()}", flush=True)
    finally:
        server.stop()


def figure_5(runs: int) -> None:
    config = ReferenceConfig(api_key=KEY, models=hundred_models(), max_concurrency=MAX_CONCURRENCY, **SLOW)
    server, recorder = serving(config)
    admission = recorder.app.state.admission
    try:
        done = []
        for _ in range(runs):
            refused_before = admission.refused
            run = certify(server, recorder, "--models", "all")
            run.report["refused"] = admission.refused - refused_before
            done.append(run)
        wall = median(r.wall for r in done)
        limited = sum(1 for r in done for c in r.report["checks"] if c["actual"].startswith("rate-limited"))
        certified = sum(r.report["verdict"] == "certified" for r in done)
        print(f"5. 100 models, 800 ms latency, server limit {MAX_CONCURRENCY} in flight: {wall:.1f} s (min "
              f"{min(r.wall for r in done):.1f}, max {max(r.wall for r in done):.1f}); bound 90 s: "
              f"{verdict(wall, 90)}; checks left rate-limited {limited} (bound 0: {verdict(limited, 0)}); "
              f"{certified}/{len(done)} certified; 429s answered {median(r.report['refused'] for r in done):.0f}, "
              f"retries {median(r.report['cost']['retries'] for r in done):.0f} of {done[-1].requests} requests; "
              f"server peak in flight {admission.peak}; {load()}", flush=True)
    finally:
        server.stop()


def main(runs: int, only: set[int]) -> None:
    print(f"medians of {runs} runs; {os.cpu_count()} cores; {load()}", flush=True)
    if only & {1, 2}:
        figure_1_and_2(runs, only)
    if 3 in only:
        figure_3(runs)
    if 4 in only:
        figure_4(runs)
    if 5 in only:
        figure_5(runs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="?", type=int, default=5, help="certify runs per figure (default 5)")
    parser.add_argument("--only", default="1,2,3,4,5", help="the figures to take, comma-separated (default all)")
    args = parser.parse_args()
    main(args.runs, {int(x) for x in args.only.split(",") if x.strip()})
