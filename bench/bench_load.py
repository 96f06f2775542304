"""The load generator's ceiling against the embedded reference server, with every answer judged and without.

Usage: python bench/bench_load.py [runs] [users] [seconds]   (defaults: 3 runs, 64 users, 10 s)

Each run is a fresh `crun-conformance load` process with the default mix
(mostly streams), as an operator would run it; runs with and without checks
alternate so both see the same machine. The unchecked baseline uses the hidden
`--no-checks` switch: the same requests, timings and tallies, no check called.
Printed: answers per second (judged, or merely received), streams open at
once (peak and mean over the run), medians of the runs, and the ratio of the
two throughputs (goal: checks cost at most 20%, i.e. a ratio >= 0.80).
On a 2-core machine the reference server and the generator share the cores,
so the figures are a floor of what the generator alone could do.
"""

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def one_run(report: Path, users: int, seconds: float, checks: bool) -> dict:
    argv = [sys.executable, "-m", "conformance.cli", "load", "-q", "--users", str(users), "--duration", str(seconds),
            "--report-json", str(report)] + ([] if checks else ["--no-checks"])
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"load exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return json.loads(report.read_text())["run"]


def main(runs: int = 3, users: int = 64, seconds: float = 10.0) -> None:
    figures: dict[bool, list[dict]] = {True: [], False: []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            for checks in (True, False):
                figures[checks].append(one_run(Path(tmp) / f"r{i}{checks}.json", users, seconds, checks))
    medians = {checks: {key: statistics.median(r[key] for r in runs_) for key in ("answers_per_s", "streams_peak",
                                                                                  "streams_mean")}
               for checks, runs_ in figures.items()}
    on, off = medians[True], medians[False]
    print(f"load vs reference server, {users} users, {seconds:g} s, default mix, medians of {runs} runs")
    print(f"  checks on : {on['answers_per_s']:8.1f} answers judged/s, streams open: peak {on['streams_peak']:.0f}, "
          f"mean {on['streams_mean']:.1f}")
    print(f"  checks off: {off['answers_per_s']:8.1f} answers/s,        streams open: peak {off['streams_peak']:.0f}, "
          f"mean {off['streams_mean']:.1f}")
    ratio = on["answers_per_s"] / off["answers_per_s"] if off["answers_per_s"] else float("nan")
    print(f"  ratio on/off: {ratio:.2f} (checks cost {100 * (1 - ratio):.0f}% of the unchecked throughput; goal <= 20%)")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(int(args[0]) if args else 3, int(args[1]) if len(args) > 1 else 64, float(args[2]) if len(args) > 2 else 10.0)
