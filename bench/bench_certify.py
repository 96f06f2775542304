"""Wall time of `crun-conformance certify` against the embedded reference server (median of N runs).

Usage: python bench/bench_certify.py [runs]
Each run is a fresh process, as an operator would run it, so start-up is included.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main(runs: int = 5) -> None:
    times, cost = [], None
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        for _ in range(runs):
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "conformance.cli", "certify", "-q", "--report-json", str(report)],
                                  capture_output=True, text=True)
            times.append(time.perf_counter() - started)
            if done.returncode != 0:
                sys.exit(f"certify exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
            cost = json.loads(report.read_text())["cost"]
    print(f"certify vs reference server: median {statistics.median(times):.2f} s over {runs} runs "
          f"(min {min(times):.2f}, max {max(times):.2f})")
    print(f"requests per run: {cost['requests']}, tokens: {cost['input_tokens']} in, {cost['output_tokens']} out")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="?", type=int, default=5, help="fresh processes to time (default 5)")
    main(parser.parse_args().runs)
