"""The verdict under load, as a report: built from the merged tally and the plan, never from the key.

The JSON is certify's report (conformance/reports/document.py: `target`,
`verdict`, `summary`, `cost`, `checks` of the same outcomes, by the same
verdict rule) plus what only load has: `run`, `http`, `latency` and
`timeline`, and per check `answers`, `violated` and `load_only`. A check is one
requirement on one suite case for one model; it failed when any answer
violated it, and `answers`/`violated` say how often.
With a certify report of the same target, a violated check is marked
`load_only` when certify passed that requirement on that case (and model, when
the certify report names models): the promise holds one request at a time and
breaks under load.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ..catalogue.requirements import CATALOGUE
from ..outcomes.outcome import Outcome
from ..outcomes.verdict import CERTIFIED, ERROR, FAILED, FAILING, PASSED, SKIPPED, counting_levels, counts_against, verdict_words
from ..reports import document
from ..reports.matrix import SHORT, counts_text, mark
from ..reports.reportfile import InputError, load_report, save
from ..reports.text import fence, md_text
from ..run.judging import blank
from ..wire.cost import Cost, describe, plural
from . import tally as tallies
from .answer import HTTP_OUTCOMES, SERVER_ERROR
from .plan import LoadPlan

_ORDER = {r.id: i for i, r in enumerate(CATALOGUE)}


class CertifyReportError(ValueError):
    """A --certify-report that cannot be read: said in one line."""


def read_certify_report(path: str) -> set[tuple[str, str, str | None]]:
    """The (requirement, case, model) checks a certify JSON report passed; model None when the report has none."""
    try:
        checks = load_report(path, "--certify-report")["checks"]
    except InputError as exc:
        raise CertifyReportError(str(exc)) from None
    return {(c["id"], c["case"], c["model"]) for c in checks if c["outcome"] == PASSED}


def build(result: dict, plan: LoadPlan, run: dict, preflight: Cost | None = None,
          certify_passed: set[tuple[str, str, str | None]] | None = None, strict: bool = False) -> dict:
    """The load report: certify's report of the aggregated outcomes (conformance/reports/document.py), and load's own
    parts. The run also fails on any 5xx answer: a gateway that breaks under load has not held."""
    tally = result["tally"]
    outcomes, counted = _outcomes(tally, plan, certify_passed)
    before = preflight or Cost()  # GET /models (and a model it does not list, asked once) before the load
    cost = {"requests": tally["requests"] + before.requests, "input_tokens": tally["input_tokens"],
            "output_tokens": tally["output_tokens"], "retries": tally.get("retries", 0) + before.retries}
    report = document.assemble({"base_url": plan.base_url, "kind": plan.kind, "profile": plan.profile},
                               list(plan.all_models), outcomes, cost, strict)
    if tally["http"].get(SERVER_ERROR, 0):
        report["verdict"] = FAILED
    wall = result.get("wall_s") or 0.0
    peaks = tallies.streams_open(tally)
    checks = [o.as_dict() | extra for o, extra in zip(outcomes, counted, strict=True)]
    return {
        **{name: value for name, value in report.items() if name != "checks"},
        "run": {**run, "workers": result.get("workers", 0), "stopped_by": result.get("stopped_by"),
                "started": _iso(result.get("started")), "ended": _iso(result.get("ended")), "wall_s": round(wall, 3),
                "answers": tally["answers"], "judged": tally["judged"], "throttled": tally["throttled"],
                "answers_per_s": round(tally["answers"] / wall, 2) if wall else None,
                "streams_peak": max(peaks.values(), default=0), "streams_mean": _streams_mean(tally, wall),
                # CPU seconds of the generating process (one process runs); across workers it is not gathered
                "generator_cpu_s": None if result.get("workers") else round(result.get("cpu_s") or 0.0, 3),
                # Locust's own request count (each answer is also a Locust request event); a master's lags by
                # up to one worker report interval, the tally above does not
                "locust": result.get("locust")},
        "http": tallies.http_counts(tally),
        "latency": _latency(tally, wall),
        "timeline": _timeline(tally, peaks, result.get("started")),
        "checks": checks,
    }


def _streams_mean(tally: dict, wall: float) -> float | None:
    """Streams open on average over the run (Little's law: the time all streams took, over the wall time)."""
    if not wall:
        return None
    open_ms = sum(tallies.hist_total(lat["total"]) for name, lat in tally["latency"].items() if name.endswith("-stream"))
    return round(open_ms / 1000 / wall, 1)


def _outcomes(tally: dict, plan: LoadPlan, certify_passed: set | None) -> tuple[list[Outcome], list[dict]]:
    """One outcome per requirement, case and model, over every answer (the same Outcome certify reports), and what
    only load counts of it: answers judged, answers that violated it, and whether only load found it."""
    found = []
    for entry in plan.entries():
        for model in plan.models_of(entry):
            for check in entry.checks:
                got = tally["checks"].get(tallies.check_key(entry.case.id, model, check.requirement))
                found.append(_outcome(blank(check.requirement, entry.case, model, plan.profile), got, certify_passed))
    found.sort(key=lambda pair: (_ORDER.get(pair[0].id, len(_ORDER)), pair[0].case, pair[0].model))
    return [o for o, _ in found], [extra for _, extra in found]


def _outcome(o: Outcome, got: dict | None, certify_passed: set | None) -> tuple[Outcome, dict]:
    """A check failed when any answer violated it, errored when it could not run on one, passed when one held it."""
    got = got or tallies.new_check()
    if got["violated"]:
        o.outcome = FAILED
    elif got["errors"]:
        o.outcome = ERROR
    elif got["judged"] > got["skipped"]:
        o.outcome = PASSED
    else:
        o.outcome = SKIPPED
    if o.failing:
        o.expected, o.actual, o.violations = got["expected"], got["actual"], list(got["examples"])
    elif o.outcome == SKIPPED:
        kind = got.get("skip_kind", "")  # not supported, not judged: the kind certify's reports mark on its own
        o.skip(kind, got["skip_reason"] or "no answer judged (none came back, or every one was throttled)")
    o.violations_more = max(0, got["violated"] + got["errors"] - len(got["examples"]))
    o.exchange = got["exchange"]
    load_only = None
    if certify_passed is not None and o.failing:
        load_only = any(cid == o.id and ccase == o.case and cmodel in (None, o.model)
                        for cid, ccase, cmodel in certify_passed)
    return o, {"answers": got["judged"], "violated": got["violated"] + got["errors"], "load_only": load_only}


def _latency(tally: dict, wall: float) -> dict:
    overall: dict[str, dict] = {}
    by_case = {}
    for name, lat in sorted(tally["latency"].items()):
        by_case[name] = _latency_of(lat)
        for kind, hist in lat.items():
            tallies.hist_merge(overall.setdefault(kind, {}), hist)
    return {**_latency_of(overall), "output_tokens_per_s_overall": round(tally["output_tokens"] / wall, 1) if wall else None,
            "by_case": by_case}


def _latency_of(lat: dict) -> dict:
    return {"ttfb_ms": tallies.summary(lat.get("ttfb", {})), "ttft_ms": tallies.summary(lat.get("ttft", {})),
            "gap_ms": tallies.summary(lat.get("gap", {}), (50, 99)), "total_ms": tallies.summary(lat.get("total", {})),
            "output_tokens_per_s": tallies.summary(lat.get("tps", {}), (50,))}


def _timeline(tally: dict, streams_open: dict[str, int], started: float | None) -> dict:
    """Per second: answers, violations and latencies per case, and the streams open, on one time base: seconds since
    the run started (or since the first thing seen, when a worker's clock runs behind the master's)."""
    seconds = [int(key.split("|", 1)[0]) for key in tally["timeline"]] + [int(key) for key in streams_open]
    origin = min(seconds + ([int(started)] if started else []), default=0)
    series = []
    for key, second in tally["timeline"].items():
        at, name = key.split("|", 1)
        series.append({"t": int(at) - origin, "case": name, "answers": second["answers"],
                       "violations": second["violations"], "failed_http": second["failed_http"],
                       "total_ms": tallies.summary(second["total"]), "ttft_ms": tallies.summary(second["ttft"])})
    series.sort(key=lambda s: (s["t"], s["case"]))
    streams = sorted(({"t": int(at) - origin, "open_streams": peak} for at, peak in streams_open.items()),
                     key=lambda s: s["t"])
    return {"bucket_s": 1, "series": series, "streams": streams}


def _iso(stamp: float | None) -> str | None:
    return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds") if stamp else None


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _mark(check: dict) -> str:
    """A check's mark as the matrix shows it (PASS, FAIL, ERROR, SKIP, N/S)."""
    return SHORT[mark(check["outcome"], check["actual"])]


def _failing(report: dict) -> list[dict]:
    return [c for c in report["checks"] if c["outcome"] in FAILING]


def terminal(report: dict) -> str:
    run, http, lat = report["run"], report["http"], report["latency"]
    spread = f" on {run['workers']} {plural(run['workers'], 'worker')}" if run["workers"] else ""
    lines = ["", f"load: {run['answers']} answers in {run['wall_s']:.1f} s ({run['answers_per_s'] or 0:.1f}/s) from "
                 f"{run['users']} users{spread}, stopped by {run['stopped_by']}; {run['judged']} judged, "
                 f"{run['throttled']} throttled; at most {run['streams_peak']} streams open at once",
             "HTTP: " + ", ".join(f"{name} {http[name]}" for name in HTTP_OUTCOMES if http[name]) or "HTTP: no answer",
             f"{'latency (ms)':<24} {'p50':>8} {'p95':>8} {'p99':>8}"]
    for label, key in (("time to first byte", "ttfb_ms"), ("time to first token", "ttft_ms"), ("whole answer", "total_ms")):
        s = lat[key]
        lines.append(f"  {label:<22} {_ms(s['p50']):>8} {_ms(s['p95']):>8} {_ms(s['p99']):>8}")
    lines.append(f"  {'gap between events':<22} {_ms(lat['gap_ms']['p50']):>8} {'':>8} {_ms(lat['gap_ms']['p99']):>8}")
    tps = lat["output_tokens_per_s"]["p50"]
    lines.append(f"output tokens/s: {'-' if tps is None else f'{tps:.0f}'} per answer (median), "
                 f"{lat['output_tokens_per_s_overall'] or 0:.0f} overall")
    lines += ["", f"{'requirement':<16} {'level':<6} {'outcome':<7} {'violated':>12}  case / model"]
    for c in report["checks"]:
        flag = " load-only" if c["load_only"] else ""
        lines.append(f"{c['id']:<16} {c['level']:<6} {_mark(c):<7} {c['violated']:>5} of {c['answers']:<5} "
                     f" {c['case']} / {c['model']}{flag}")
    bad = _failing(report)
    if bad:
        lines += ["", "Violations under load (requirement, expected, actual):"]
        for c in bad:
            flag = " [load-only: certify passed it]" if c["load_only"] else ""
            lines += [f"  {c['id']} [{c['level']}] {c['endpoint']} ({c['case']}, {c['model']}){flag}: {c['statement']}",
                      f"    violated by {c['violated']} of {c['answers']} answers",
                      f"    expected: {c['expected'] or '-'}", f"    actual:   {c['actual']}"]
            lines += [f"    example:  {text}" for text in c["violations"][1:]]
    lines += ["", counts_text(report["summary"]), describe(report["cost"])]
    strict = report["strict"]
    if report["verdict"] == FAILED:
        reasons = []
        if any(counts_against(c["level"], c["outcome"], strict) for c in report["checks"]):
            reasons.append(f"a {' or '.join(counting_levels(strict))} requirement was violated")
        if http[SERVER_ERROR]:
            reasons.append(f"{http[SERVER_ERROR]} answers were 5xx")
        lines.append(f"verdict: {FAILED.upper()} under load: " + " and ".join(reasons))
    elif report["verdict"] == CERTIFIED:
        lines.append(f"verdict: {CERTIFIED.upper()} under load: every {' and '.join(counting_levels(strict))} of profile "
                     f"{report['target']['profile']} held in {run['judged']} judged answers")
    else:
        lines.append(f"verdict: {verdict_words(report['verdict'])} under load")
    return "\n".join(lines)


def markdown(report: dict) -> str:
    t, run, http, lat = report["target"], report["run"], report["http"], report["latency"]
    lines = [f"# Conformance under load: {t['base_url']}", "",
             f"Profile `{t['profile']}`, models {', '.join(f'`{m}`' for m in t['models'])}. "
             f"**Verdict: {report['verdict']}.**", "",
             f"{run['answers']} answers in {run['wall_s']:.1f} s from {run['users']} users"
             + (f" on {run['workers']} {plural(run['workers'], 'worker')}" if run["workers"] else "")
             + f", stopped by {run['stopped_by']}; {run['judged']} judged, {run['throttled']} throttled; "
             f"at most {run['streams_peak']} streams open at once. Mix: `{run['mix']}`.", "",
             "| HTTP outcome | answers |", "|---|---|"]
    lines += [f"| {name} | {http[name]} |" for name in HTTP_OUTCOMES]
    lines += ["", "| latency (ms) | p50 | p95 | p99 |", "|---|---|---|---|"]
    for label, key in (("time to first byte", "ttfb_ms"), ("time to first token", "ttft_ms"), ("whole answer", "total_ms")):
        s = lat[key]
        lines.append(f"| {label} | {_ms(s['p50'])} | {_ms(s['p95'])} | {_ms(s['p99'])} |")
    lines.append(f"| gap between events | {_ms(lat['gap_ms']['p50'])} | | {_ms(lat['gap_ms']['p99'])} |")
    lines += ["", "| requirement | level | case | model | outcome | violated / answers | load-only |", "|---|---|---|---|---|---|---|"]
    for c in report["checks"]:
        only = {True: "yes", False: "no", None: ""}[c["load_only"]]
        lines.append(f"| {c['id']} | {c['level']} | {c['case']} | {c['model']} | {_mark(c)} | "
                     f"{c['violated']} / {c['answers']} | {only} |")
    bad = _failing(report)
    if bad:
        lines += ["", "## Violations", ""]
        for c in bad:
            lines += [f"### {c['id']} ({c['case']}, {c['model']}): {_mark(c)}", "", md_text(c["statement"]), "",
                      f"- violated by {c['violated']} of {c['answers']} answers",
                      f"- expected: {md_text(c['expected'] or '-')}", f"- actual: {md_text(c['actual'])}"]
            lines += [f"- example: {md_text(text)}" for text in c["violations"][1:]]
            if c["exchange"]:
                lines += ["", fence(c["exchange"]), c["exchange"], fence(c["exchange"])]
            lines.append("")
    return "\n".join(lines) + "\n"


def write(report: dict, json_path: str | None, md_path: str | None,
          html_path: str | None) -> list[tuple[str, str, str | None]]:
    """Write the reports asked for: (kind, path, None) for each written, (kind, path, why) for one that was not."""
    views = (("JSON", json_path, lambda: json.dumps(report, indent=2, ensure_ascii=False) + "\n"),
             ("Markdown", md_path, lambda: markdown(report)), ("HTML", html_path, lambda: _html(report)))
    return [(kind, path, save(path, render())) for kind, path, render in views if path]


def _html(report: dict) -> str:
    from .html import render  # plotly is imported only when an HTML report is asked for

    return render(report)
