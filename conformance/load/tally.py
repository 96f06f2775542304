"""What a load generator saw, kept as counts that add up: per check, per HTTP outcome, latencies and a timeline.

A tally is plain data (str-keyed dicts of numbers, strings and lists), so a
worker can send its tally to the master in Locust's own messages and the
master adds tallies up; a single process keeps one tally the same way.
Latencies are kept in log-spaced buckets (about 2.5% wide), enough for
p50/p95/p99 and cheap to merge.
"""

from __future__ import annotations

import math
import time
from typing import Iterable

from ..outcomes.outcome import Outcome
from ..outcomes.verdict import ERROR, FAILED, SKIPPED
from .answer import HTTP_OUTCOMES, THROTTLED, Timings

EXAMPLES = 5  # distinct violations kept per check
BUCKETS_PER_E = 40  # histogram resolution: exp(1/40) ~ 2.5% per bucket
Hist = dict[str, int]


def hist_add(hist: Hist, ms: float, count: int = 1) -> None:
    key = str(round(math.log(max(ms, 0.001)) * BUCKETS_PER_E))
    hist[key] = hist.get(key, 0) + count


def hist_merge(into: Hist, other: Hist) -> None:
    for key, count in other.items():
        into[key] = into.get(key, 0) + count


def percentile(hist: Hist, q: float) -> float | None:
    """The q-th percentile (0-100) in milliseconds, None for an empty histogram."""
    total = sum(hist.values())
    if not total:
        return None
    rank = max(1, math.ceil(total * q / 100))
    seen = 0
    for key in sorted(hist, key=int):
        seen += hist[key]
        if seen >= rank:
            return round(math.exp(int(key) / BUCKETS_PER_E), 3)
    return None


def hist_total(hist: Hist) -> float:
    """The approximate sum of the values kept (each counted at its bucket's value)."""
    return sum(math.exp(int(key) / BUCKETS_PER_E) * count for key, count in hist.items())


def summary(hist: Hist, quantiles: Iterable[int] = (50, 95, 99)) -> dict:
    return {"count": sum(hist.values()), **{f"p{q}": percentile(hist, q) for q in quantiles}}


def new_tally() -> dict:
    return {"requests": 0, "retries": 0, "input_tokens": 0, "output_tokens": 0, "answers": 0, "judged": 0, "throttled": 0,
            "http": {}, "checks": {}, "latency": {}, "timeline": {}, "streams_peak": {}}


def check_key(case: str, model: str, requirement: str) -> str:
    return f"{case}|{model}|{requirement}"


def record(tally: dict, *, name: str, requests: int, outcome: str, timing: Timings, outcomes: list[Outcome],
           streaming: bool, at: float | None = None, retries: int = 0) -> int:
    """Add one answer of mix entry `name`, its HTTP outcome and its checks' outcomes; returns how many it violated."""
    at = time.time() if at is None else at
    tally["requests"] += requests
    tally["retries"] += retries  # of those requests, the attempts beyond the first (a connection broken before an answer)
    tally["input_tokens"] += timing.input_tokens
    tally["output_tokens"] += timing.output_tokens
    tally["answers"] += 1
    tally["http"][outcome] = tally["http"].get(outcome, 0) + 1
    if outcome in THROTTLED:
        tally["throttled"] += 1
    elif outcomes:
        tally["judged"] += 1
    violated = 0
    for o in outcomes:
        entry = tally["checks"].setdefault(check_key(o.case, o.model or "", o.id), new_check())
        entry["judged"] += 1
        if o.outcome == FAILED:
            violated += 1
            entry["violated"] += 1
            _example(entry, f"expected {o.expected}; got {o.actual}", o)
        elif o.outcome == ERROR:
            entry["errors"] += 1
            _example(entry, f"the check could not run: {o.actual}", o)
        elif o.outcome == SKIPPED:
            entry["skipped"] += 1
            if not entry["skip_reason"]:
                entry["skip_reason"], entry["skip_kind"] = o.skip_reason, o.skip_kind
    lat = tally["latency"].setdefault(name, {"total": {}, "ttfb": {}, "ttft": {}, "gap": {}, "tps": {}})
    hist_add(lat["total"], timing.total_s * 1000)
    if timing.ttfb_s is not None:
        hist_add(lat["ttfb"], timing.ttfb_s * 1000)
    if streaming and timing.ttft_s is not None:
        hist_add(lat["ttft"], timing.ttft_s * 1000)
    for gap in timing.gaps_s:
        hist_add(lat["gap"], gap * 1000)
    if timing.tokens_per_s is not None:
        hist_add(lat["tps"], timing.tokens_per_s)  # tokens per second, in the same buckets
    second = tally["timeline"].setdefault(f"{int(at)}|{name}", {"answers": 0, "violations": 0, "failed_http": 0,
                                                                 "total": {}, "ttft": {}})
    second["answers"] += 1
    second["violations"] += 1 if violated else 0
    second["failed_http"] += 1 if outcome not in THROTTLED and outcome not in ("2xx", "4xx") else 0
    hist_add(second["total"], timing.total_s * 1000)
    if streaming and timing.ttft_s is not None:
        hist_add(second["ttft"], timing.ttft_s * 1000)
    return violated


def note_streams(tally: dict, node: str, open_now: int, at: float | None = None) -> None:
    """The most streams generator `node` (one per process) had open at once, per second."""
    peaks = tally["streams_peak"].setdefault(str(int(time.time() if at is None else at)), {})
    peaks[node] = max(peaks.get(node, 0), open_now)


def streams_open(tally: dict) -> dict[str, int]:
    """Per second, the most streams open at once: each generator's peak counted once, the generators' added up."""
    return {second: sum(peaks.values()) for second, peaks in tally["streams_peak"].items()}


def merge(into: dict, other: dict) -> dict:
    """Add `other` into `into` (both tallies); returns `into`."""
    for field in ("requests", "retries", "input_tokens", "output_tokens", "answers", "judged", "throttled"):
        into[field] += other[field]
    for outcome, count in other["http"].items():
        into["http"][outcome] = into["http"].get(outcome, 0) + count
    for key, entry in other["checks"].items():
        mine = into["checks"].setdefault(key, new_check())
        for field in ("judged", "violated", "errors", "skipped"):
            mine[field] += entry[field]
        if not mine["skip_reason"]:
            mine["skip_reason"], mine["skip_kind"] = entry["skip_reason"], entry.get("skip_kind", "")
        if not mine["exchange"]:
            mine["expected"], mine["actual"], mine["exchange"] = entry["expected"], entry["actual"], entry["exchange"]
        for text in entry["examples"]:
            if text not in mine["examples"] and len(mine["examples"]) < EXAMPLES:
                mine["examples"].append(text)
    for name, lat in other["latency"].items():
        mine = into["latency"].setdefault(name, {k: {} for k in lat})
        for kind, hist in lat.items():
            hist_merge(mine.setdefault(kind, {}), hist)
    for key, second in other["timeline"].items():
        mine = into["timeline"].setdefault(key, {"answers": 0, "violations": 0, "failed_http": 0, "total": {}, "ttft": {}})
        for field in ("answers", "violations", "failed_http"):
            mine[field] += second[field]
        for kind in ("total", "ttft"):
            hist_merge(mine[kind], second[kind])
    for key, peaks in other["streams_peak"].items():  # a generator's tallies of one second overlap: its peak, once
        mine = into["streams_peak"].setdefault(key, {})
        for node, peak in peaks.items():
            mine[node] = max(mine.get(node, 0), peak)
    return into


def http_counts(tally: dict) -> dict[str, int]:
    return {outcome: tally["http"].get(outcome, 0) for outcome in HTTP_OUTCOMES}


def new_check() -> dict:
    return {"judged": 0, "violated": 0, "errors": 0, "skipped": 0, "examples": [],
            "expected": "", "actual": "", "exchange": "", "skip_reason": "", "skip_kind": ""}


def _example(entry: dict, text: str, outcome: Outcome) -> None:
    """Keep the first few distinct violations; the first one's expected/actual/exchange are the check's evidence."""
    if text not in entry["examples"] and len(entry["examples"]) < EXAMPLES:
        entry["examples"].append(text)
    if not entry["exchange"]:
        entry["expected"], entry["actual"], entry["exchange"] = outcome.expected, outcome.actual, outcome.exchange
