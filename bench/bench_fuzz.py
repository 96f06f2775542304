"""Wall time and throughput of the fuzz run against the embedded reference server (median of N runs).

Usage: python bench/bench_fuzz.py [runs] [examples]
Each run is a fresh process (imports, server start-up and schema loading included),
running `run_fuzz` as CI does: coverage phase on, `examples` generated cases per
operation and mode (default 25). Budget: 60 s wall per run on a 2-core machine.
"""

import json
import re
import statistics
import subprocess
import sys
import time

BUDGET_S = 60.0
ONE_RUN = """
import json, re, sys, time
from conformance.fuzz import run_fuzz
from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.wire.target import Target

key = "sk-bench-fuzz-0123456789"
with ReferenceServer(ReferenceConfig(api_key=key)) as server:
    started = time.perf_counter()
    result = run_fuzz(Target(server.base_url, key, kind="reference"), int(sys.argv[1]))
    fuzz_s = time.perf_counter() - started
cases = 0
for outcome in result.outcomes:
    if outcome.id == "FUZZ-001":
        cases += sum(int(n) for n in re.findall(r"(\\d+) (?:coverage|positive|negative)", outcome.case))
print(json.dumps({"fuzz_s": fuzz_s, "requests": result.requests, "cases": cases,
                  "tokens": [result.input_tokens, result.output_tokens], "without_usage": result.responses_without_usage,
                  "not_passed": sorted({o.id for o in result.outcomes if o.outcome != "passed"})}))
"""


def main(runs: int = 5, examples: int = 25) -> None:
    walls, results = [], []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", ONE_RUN, str(examples)], capture_output=True, text=True)
        walls.append(time.perf_counter() - started)
        if done.returncode != 0:
            sys.exit(f"fuzz run exited {done.returncode}:\n{done.stderr[-3000:]}")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    wall = statistics.median(walls)
    fuzz_s = statistics.median(r["fuzz_s"] for r in results)
    last = results[-1]
    print(f"fuzz vs reference server, {examples} examples per operation and mode, coverage on: "
          f"median wall {wall:.2f} s over {runs} runs (min {min(walls):.2f}, max {max(walls):.2f}; budget {BUDGET_S:.0f} s)")
    print(f"per run: {last['cases']} cases, {last['requests']} requests (probes and discovery included); "
          f"fuzzing itself {fuzz_s:.2f} s = {last['cases'] / fuzz_s:.0f} examples/s, "
          f"{last['requests'] / fuzz_s:.0f} requests/s")
    print(f"tokens reported: {last['tokens'][0]} input, {last['tokens'][1]} output; "
          f"{last['without_usage']} generating 2xx answers without usage")
    if last["not_passed"]:
        print(f"requirements not passed on the reference server: {', '.join(last['not_passed'])}")
    if wall > BUDGET_S:
        sys.exit(f"over budget: {wall:.1f} s > {BUDGET_S:.0f} s")


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:3] if re.fullmatch(r"\d+", a)]
    main(*arguments)
