"""Reports: the outcomes of a run as JSON (for CI), Markdown (for people) and a terminal table.

Built only from outcomes, the catalogue and the cost; the target's key is never
an input, so it cannot appear in any of them.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Iterable

from . import certificate
from .cost import Cost
from .outcome import OUTCOMES, Outcome
from .requirements import CATALOGUE
from .target import Target

_CATALOGUE_ORDER = {r.id: i for i, r in enumerate(CATALOGUE)}
MARK = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP", "error": "ERROR"}


def build(target: Target, models: Iterable[str], outcomes: list[Outcome], cost: Cost) -> dict:
    counts = Counter(o.outcome for o in outcomes)
    return {
        "target": {"base_url": target.base_url, "kind": target.kind, "profile": target.profile,
                   "models": sorted(set(models))},
        "summary": {name: counts.get(name, 0) for name in OUTCOMES},
        "cost": cost.as_dict(),
        "checks": [o.as_dict() for o in outcomes],
    }


def verdict(outcomes: list[Outcome], strict: bool) -> int:
    """Exit code: 1 when a MUST (or, under strict, a SHOULD) failed or could not be judged, else 0."""
    return 1 if any(o.counts_against(strict) for o in outcomes) else 0


def by_requirement(outcomes: list[Outcome]) -> list[tuple[str, str, str, list[Outcome]]]:
    """Outcomes grouped per requirement in catalogue order: (id, level, worst outcome, outcomes)."""
    order = ("error", "failed", "passed", "skipped")
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(o.id, []).append(o)
    rows = []
    for rid, items in sorted(groups.items(), key=lambda item: _CATALOGUE_ORDER.get(item[0], len(_CATALOGUE_ORDER))):
        present = {o.outcome for o in items}
        worst = next(name for name in order if name in present)
        rows.append((rid, items[0].level, worst, items))
    return rows


def terminal(report: dict, outcomes: list[Outcome], strict: bool) -> str:
    lines = ["", f"{'requirement':<16} {'level':<6} {'outcome':<7} statement"]
    for rid, level, worst, items in by_requirement(outcomes):
        where = f" ({len(items)} checks)" if len(items) > 1 else ""
        lines.append(f"{rid:<16} {level:<6} {MARK[worst]:<7} {items[0].statement[:80]}{where}")
    failures = [o for o in outcomes if o.outcome in ("failed", "error")]
    if failures:
        lines += ["", "Failures (requirement, expected, actual):"]
        for o in failures:
            lines += [f"  {o.id} [{o.level}] {o.endpoint} ({o.case}): {o.statement}",
                      f"    expected: {o.expected or '-'}", f"    actual:   {o.actual}"]
    s, c = report["summary"], report["cost"]
    lines += ["", f"{s['passed']} passed, {s['failed']} failed, {s['skipped']} skipped, {s['error']} error",
              f"cost: {c['requests']} requests, {c['input_tokens']} input tokens, {c['output_tokens']} output tokens",
              "verdict: " + ("FAILED: a MUST" + (" or SHOULD" if strict else "") + " requirement did not hold"
                             if verdict(outcomes, strict) else "CERTIFIED: every MUST" + (" and SHOULD" if strict else "")
                             + f" of profile {report['target']['profile']} held")]
    return "\n".join(lines)


def markdown(report: dict, outcomes: list[Outcome]) -> str:
    t, s, c = report["target"], report["summary"], report["cost"]
    lines = [f"# Conformance report: {t['base_url']}", "", *certificate.markdown_block(report),
             f"Profile `{t['profile']}`, models {', '.join(f'`{m}`' for m in t['models'])}.", "",
             f"**{s['passed']} passed, {s['failed']} failed, {s['skipped']} skipped, {s['error']} error.** "
             f"Cost: {c['requests']} requests, {c['input_tokens']} input and {c['output_tokens']} output tokens.", "",
             "| requirement | level | endpoint | case | outcome | statement |", "|---|---|---|---|---|---|"]
    for o in outcomes:
        lines.append(f"| {o.id} | {o.level} | {o.endpoint} | {o.case} | {MARK[o.outcome]} | {_cell(o.statement)} |")
    failures = [o for o in outcomes if o.outcome in ("failed", "error", "skipped")]
    if failures:
        lines += ["", "## Details", ""]
        for o in failures:
            lines += [f"### {o.id} ({o.case}): {MARK[o.outcome]}", "", f"- expected: {_cell(o.expected or '-')}",
                      f"- actual: {_cell(o.actual)}"]
            if o.exchange:
                lines += ["", "```", o.exchange, "```"]
            lines.append("")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write(report: dict, outcomes: list[Outcome], json_path: str | None, md_path: str | None) -> None:
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    if md_path:
        Path(md_path).parent.mkdir(parents=True, exist_ok=True)
        Path(md_path).write_text(markdown(report, outcomes))
