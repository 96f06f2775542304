"""A live certification's wall time, side by side: sequential vs concurrent, with and without real-model latency.

Usage: python bench/bench_live.py [runs] [sequential_runs]

The reference server runs in its own process (`crun-conformance serve`), once
instant and once like a real model (`--latency-ms 800 --chunk-ms 30`); each
certification is a fresh `crun-conformance certify` process, as an operator
runs it, so start-up counts. Printed: medians over the runs, the ratio to the
sequential run, and the limit a concurrent run cannot beat (its slowest case).
Also: the time from process start to the first request, and a three-model
matrix (issue 13's figure).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

KEY = "bench-live-key-0123456789"
MODELS = ["--model", "gpt-5.4", "--messages-model", "claude-sonnet-4-5"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(*flags: str):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "conformance.cli", "serve", "--port", str(port), "--api-key", KEY,
                               *flags], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        server.stdout.readline()  # "listening on ..." once it accepts connections
        yield f"http://127.0.0.1:{port}/api/v1"
    finally:
        server.terminate()
        server.wait(timeout=10)


def certify(url: str, *flags: str) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "r.json"
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "conformance.cli", "certify", "-q", "--base-url", url,
                               "--report-json", str(report), *flags], capture_output=True, text=True,
                              env={**os.environ, "CRUN_API_KEY": KEY})
        wall = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"certify exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
        return wall, json.loads(report.read_text())


def measure(label: str, runs: int, url: str, *flags: str) -> tuple[float, dict]:
    walls, report = [], {}
    for _ in range(runs):
        wall, report = certify(url, *flags)
        walls.append(wall)
    median = statistics.median(walls)
    print(f"  {label:<44} median {median:6.2f} s over {runs} (min {min(walls):.2f}, max {max(walls):.2f}); "
          f"{report['cost']['requests']} requests", flush=True)
    return median, report


def slowest_case(report: dict) -> float:
    """The longest a single case took: no schedule can end the run sooner."""
    return max(c["duration_s"] for c in report["checks"])


def packed(report: dict, concurrency: int = 8) -> float:
    """The floor no schedule at that concurrency beats: each model's cases' time shared by its `concurrency` places
    (the cases that reach no model have places of their own), for the busiest model."""
    per_case: dict[tuple, float] = {}
    for c in report["checks"]:
        unit = (c["case"], c.get("model"))
        per_case[unit] = max(per_case.get(unit, 0.0), c["duration_s"])
    per_model: dict[str | None, float] = {}
    for (_, model), seconds in per_case.items():
        per_model[model] = per_model.get(model, 0.0) + seconds
    return max(per_model.values()) / concurrency


def _first_request(listener: socket.socket, arrived: list[float]) -> None:
    """Accept one connection, note when its first byte came, and refuse it (the run then ends at once)."""
    conn, _ = listener.accept()
    conn.recv(1)
    arrived.append(time.perf_counter())
    conn.sendall(b"HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
    conn.close()


def time_to_first_request(runs: int) -> float:
    """From launching `certify` to the first byte of its first request arriving at a listening socket."""
    firsts = []
    for _ in range(runs):
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        arrived: list[float] = []
        thread = threading.Thread(target=_first_request, args=(listener, arrived), daemon=True)
        thread.start()
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "conformance.cli", "certify", "-q", "--base-url",
                        f"http://127.0.0.1:{port}/api/v1"], capture_output=True, env={**os.environ, "CRUN_API_KEY": KEY})
        thread.join(timeout=5)
        listener.close()
        firsts.append(arrived[0] - started)
    return statistics.median(firsts)


def main(runs: int = 5, sequential_runs: int = 3) -> None:
    first = time_to_first_request(runs)
    print(f"process start to first request: median {first:.2f} s over {runs}")
    with serving() as instant, serving("--latency-ms", "800", "--chunk-ms", "30") as slow:
        print("crun profile, one model (gpt-5.4, /messages on claude-sonnet-4-5):")
        fast, _ = measure("no latency, default concurrency", runs, instant, *MODELS)
        sequential, _ = measure("latency 800+30 ms, --concurrency 1", sequential_runs, slow, *MODELS,
                                "--concurrency", "1")
        concurrent, report = measure("latency 800+30 ms, default concurrency", runs, slow, *MODELS)
        chain, capacity = slowest_case(report), packed(report)
        print(f"  speed-up {sequential / concurrent:.1f}x over sequential (goal >= 10x); the slowest case alone takes "
              f"{chain:.2f} s: the run is {concurrent / chain:.1f}x that limit (goal <= 2.5x); goals: <= 5 s with "
              f"latency, <= 3 s without")
        print(f"  the busiest model's cases' time shared by its 8 places: {capacity:.2f} s, the floor of any run at the "
              f"default concurrency (the run is {concurrent / capacity:.2f}x it); with start-up, no schedule gains "
              f"more than {sequential / (capacity + first):.1f}x over sequential")
        three = "gpt-5.4,claude-sonnet-4-5,gemini-3.1-pro-preview"  # the reference's real-like models, not echo/terse
        print(f"three-model matrix (--models {three}):")
        matrix_seq, _ = measure("latency 800+30 ms, --concurrency 1", 1, slow, "--models", three, "--concurrency", "1")
        matrix, report = measure("latency 800+30 ms, default concurrency", runs, slow, "--models", three)
        print(f"  speed-up {matrix_seq / matrix:.1f}x over sequential; goal <= 8 s; slowest case "
              f"{slowest_case(report):.2f} s; the busiest model's cases' time shared by 8 places {packed(report):.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="?", type=int, default=5, help="concurrent runs per setting (default 5)")
    parser.add_argument("sequential_runs", nargs="?", type=int, default=3, help="sequential runs (default 3)")
    args = parser.parse_args()
    main(args.runs, args.sequential_runs)
