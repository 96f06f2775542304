"""The load generator's ceiling against the reference server, with every answer judged and without.

Usage: python bench/bench_load.py [runs] [users] [seconds]   (defaults: 3 runs, 64 users, 10 s)

The reference server runs in a process of its own (`crun-conformance serve`);
each run is a fresh single-process `crun-conformance load` with the default
mix (mostly streams), runs with and without checks alternating so both see the
same machine. The unchecked baseline uses the hidden `--no-checks` switch: the
same requests, timings and tallies, no check called.

Two ceilings are printed, medians of the runs:
- answers per second of wall time (judged, or merely received), with the
  streams open at once (peak, and mean over the run): on a 2-core machine the
  server and the generator share the cores, so this is a floor;
- answers per CPU-second of the generating process: what one generator
  process could do on a core of its own, and the figure least disturbed when
  the machine is shared.
The ratio with/without checks says what judging every answer costs (goal: at most 20%).
"""

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY = "bench-load-key-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def one_run(url: str, report: Path, users: int, seconds: float, checks: bool) -> dict:
    argv = [sys.executable, "-m", "conformance.cli", "load", "-q", "--base-url", url, "--api-key", KEY,
            "--users", str(users), "--duration", str(seconds), "--report-json", str(report)]
    done = subprocess.run(argv + ([] if checks else ["--no-checks"]), capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"load exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    run = json.loads(report.read_text())["run"]
    run["answers_per_cpu_s"] = run["answers"] / run["generator_cpu_s"] if run["generator_cpu_s"] else 0.0
    return run


def main(runs: int = 3, users: int = 64, seconds: float = 10.0) -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "conformance.cli", "serve", "--port", str(port), "--api-key", KEY],
                              stdout=subprocess.PIPE, text=True)
    try:
        if "listening" not in (server.stdout.readline() if server.stdout else ""):
            sys.exit("the reference server did not start")
        url = f"http://127.0.0.1:{port}/api/v1"
        figures: dict[bool, list[dict]] = {True: [], False: []}
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(runs):
                for checks in (True, False):
                    figures[checks].append(one_run(url, Path(tmp) / f"r{i}{checks}.json", users, seconds, checks))
                    time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=10)
    keys = ("answers_per_s", "answers_per_cpu_s", "streams_peak", "streams_mean")
    on, off = ({key: statistics.median(r[key] for r in figures[checks]) for key in keys} for checks in (True, False))
    print(f"load vs reference server (own process), {users} users, {seconds:g} s, default mix, medians of {runs} runs")
    for label, m in (("checks on ", on), ("checks off", off)):
        print(f"  {label}: {m['answers_per_s']:7.1f} answers/s wall, {m['answers_per_cpu_s']:7.1f} answers per generator "
              f"CPU-second; streams open: peak {m['streams_peak']:.0f}, mean {m['streams_mean']:.1f}")
    for label, key in (("wall", "answers_per_s"), ("CPU", "answers_per_cpu_s")):
        ratio = on[key] / off[key] if off[key] else float("nan")
        print(f"  ratio on/off ({label}): {ratio:.2f}, i.e. judging costs {100 * (1 - ratio):.0f}% (goal <= 20%)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="?", type=int, default=3, help="runs of each kind (default 3)")
    parser.add_argument("users", nargs="?", type=int, default=64, help="simulated users (default 64)")
    parser.add_argument("seconds", nargs="?", type=float, default=10.0, help="length of each run (default 10)")
    args = parser.parse_args()
    main(args.runs, args.users, args.seconds)
