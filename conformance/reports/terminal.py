"""The terminal view of a matrix: plain text that fits a 100-column terminal, the summary last, where a CI log ends.

A few columns are shown as the matrix itself; more than fit are shown as what an operator asks first: which
requirements fail, on which models (the models grouped by identical outcomes, and the failing requirements ×
the failing models). `quiet` keeps only the failures, the target, the counts and the verdict.
"""

from __future__ import annotations

import textwrap
from itertools import groupby

from ..outcomes.verdict import CERTIFIED, FAILED
from .matrix import (
    MARKS,
    SHORT,
    Matrix,
    column_groups,
    failing_requirements,
    failure_entries,
    headers,
    letters,
    named,
    overall_text,
    row_marks,
    summary_text,
    target_text,
    verdict_text,
)
from .text import clip, one_line

WIDTH = 100
EXAMPLES = 3  # failures listed per requirement and case; the others are named, with their models


def render(matrix: Matrix, quiet: bool = False) -> str:
    """The matrix (or, at many models, the failing requirements × models), the failures, then the summary."""
    if not matrix.columns:
        return "no checks"
    lines: list[str] = []
    if not quiet:
        grid = _grid(matrix)
        lines += grid if grid is not None else _at_scale(matrix)
        legend = [f"{SHORT[m]} {m}" for m in MARKS]
        lines += ["", "legend: " + "; ".join(legend[:4]) + ";", "        " + "; ".join(legend[4:]),
                  "        a model-independent check (GET /models, key checks) counts for every column of its target"]
    lines += _failures(matrix)
    if lines:
        lines.append("")
    lines += _summary(matrix)
    return "\n".join(lines).lstrip("\n")


def _grid(matrix: Matrix) -> list[str] | None:
    """The whole matrix with the statements, when its columns fit the width; None when they do not."""
    id_width = max([len("requirement") + 1] + [len(r.id) + 3 for r in matrix.rows])
    level_width = max([5] + [len(r.level) for r in matrix.rows])
    lead = id_width + level_width + 1
    names, keyed = headers(matrix, WIDTH - lead - 20)
    step = max([len(SHORT["error"])] + [len(n) for n in names]) + 2
    room = WIDTH - lead - len(names) * step
    if room < 0:
        return None
    lines = [f"{'requirement':<{id_width}}{'level':<{level_width}} " + "".join(f"{n:<{step}}" for n in names)]
    for a in matrix.areas:
        lines.append(a.name)
        for row in a.rows:
            text = f"  {row.id:<{id_width - 2}}{row.level:<{level_width}} " + "".join(f"{m:<{step}}" for m in row_marks(row, len(names)))
            if room >= 20:
                text += clip(row.statement, room)
            lines.append(text.rstrip())
    if keyed:
        lines += [""] + [_fit(f"{n} = {c.label}") for n, c in zip(names, matrix.columns, strict=True)]
    lines += ["", "verdict per column:"]
    name_width = max(len(n) for n in names)
    label_width = max(len(c.label) for c in matrix.columns)
    for n, column in zip(names, matrix.columns, strict=True):
        label = f"{n:<{name_width}}  " + (f"{column.label:<{label_width}}  " if keyed else "")
        lines.append(_fit(f"  {label}{verdict_text(column)}"))
    return lines


def _at_scale(matrix: Matrix) -> list[str]:
    """Too many columns for a grid: the models grouped by identical outcomes, and the failing requirements × models."""
    lines = [f"{len(matrix.columns)} columns, grouped by identical outcomes:"]
    for group in column_groups(matrix):
        prefix = f"{matrix.targets[group.target].label}: " if len(matrix.targets) > 1 else ""
        members = [matrix.columns[i].label for i in group.columns]
        line = f"  {prefix}{group.label(matrix)}: {group.verdict.upper()}, {group.outcome}"
        if group.failed or group.errored or len(members) <= 5:
            line += " (" + _named_within(members, WIDTH - len(line) - 3) + ")"
        lines.append(_fit(line))
    failing = failing_requirements(matrix)
    if not failing:
        return lines + ["", "failing requirements: none"]
    bad = sorted({i for f in failing for i in f.columns})
    id_width = max(len("requirement"), *(len(f.row.id) for f in failing)) + 2
    level_width = max(len("level"), *(len(f.row.level) for f in failing)) + 1
    step = len(SHORT["error"]) + 2
    lead = id_width + level_width + 2
    if lead + len(bad) * step <= WIDTH:  # the failing requirements × the models they fail on
        names = letters(len(bad))
        lines += ["", f"failing requirements × the {len(bad)} models they fail on:",
                  (f"  {'requirement':<{id_width}}{'level':<{level_width}}" + "".join(f"{n:<{step}}" for n in names)).rstrip()]
        for f in failing:
            marks = row_marks(f.row, len(matrix.columns))
            lines.append((f"  {f.row.id:<{id_width}}{f.row.level:<{level_width}}" + "".join(f"{marks[i]:<{step}}" for i in bad)).rstrip())
        lines += [_fit(f"  {n} = {matrix.columns[i].label}") for n, i in zip(names, bad, strict=True)]
        return lines
    lines += ["", "failing requirements (the models each fails on):"]
    for f in failing:
        line = f"  {f.row.id} [{f.row.level}] {SHORT[f.mark]} on {len(f.columns)} of {f.judged}: "
        lines.append(_fit(line + _named_within([matrix.columns[i].label for i in f.columns], WIDTH - len(line))))
    return lines


def _failures(matrix: Matrix) -> list[str]:
    """Every failure once (the same failure on several models, once with the models), MUST first: requirement,
    where, expected, actual, the other violations found, and the exchange (for a stream, its end). A requirement
    failing on many models shows a few of them, then names the others."""
    entries = failure_entries(matrix)
    if not entries:
        return []
    lines = ["", "Failures (requirement, where, expected, actual, exchange):"]
    for (_, rid, case), same in groupby(entries, key=lambda e: (e.check.target, e.check.id, e.check.case)):
        listed = list(same)
        for entry in listed[:EXAMPLES]:
            c = entry.check
            lines += [""] if len(lines) > 2 else []
            lines += _wrapped(f"  {c.id} [{c.level}] {c.endpoint} ({c.case}): ", c.statement, 2)
            lines += _wrapped("    on:       ", named(entry.where), 1)
            lines += _wrapped("    expected: ", c.expected or "-", 2) + _wrapped("    actual:   ", c.actual, 3)
            for v in c.other_violations:
                lines += _wrapped("    violation: ", v, 2)
            if c.violations_more:
                lines.append(f"    ... and {c.violations_more} more violations")
            if c.exchange:
                lines += exchange_lines(c.exchange)
        rest = [where for entry in listed[EXAMPLES:] for where in entry.where]
        if rest:
            lines += _wrapped(f"  {rid} ({case}) failed on {len(rest)} more: ", named(rest), 2)
    return lines


def exchange_lines(exchange: str) -> list[str]:
    """The exchange in two lines or three: the request and status, then the body's start, or for a stream its end
    (a stream that breaks its promises mostly does so at the end: no [DONE], no usage, a late error)."""
    text = one_line(exchange)
    split = text.find(": ", text.find(" -> ") + 1)  # the end of `POST /path (auth: …) -> 200 content-type`
    head, body = text[:split], text[split + 2:]
    if split < 0 or "text/event-stream" not in head:
        return _wrapped("    exchange: ", text, 3)
    line = WIDTH - 14
    tail = body if len(body) <= 2 * line else "…" + body[-(2 * line - 1):]
    return _wrapped("    exchange: ", head + ", its end:", 1) + [" " * 14 + tail[i:i + line] for i in range(0, len(tail), line)]


def _named_within(labels: list[str], room: int) -> str:
    """As many of the labels as fit in `room` characters, the others counted (at least one named)."""
    for cap in range(min(len(labels), 8), 0, -1):
        text = named(labels, cap)
        if len(text) <= room:
            return text
    return named(labels, 1)


def _fit(line: str) -> str:
    """A line cut at the width, its spacing kept."""
    return line if len(line) <= WIDTH else line[: WIDTH - 1] + "…"


def _wrapped(prefix: str, text: str, most: int) -> list[str]:
    """`prefix` + text wrapped at the width, continued under the text, at most `most` lines (a cut ends in …)."""
    lines = textwrap.wrap(one_line(text) or "-", WIDTH, initial_indent=prefix, subsequent_indent=" " * min(len(prefix), 14),
                          max_lines=most, placeholder=" …", break_on_hyphens=False)
    return lines or [prefix.rstrip()]


def _summary(matrix: Matrix) -> list[str]:
    """The last lines: what was judged (target and profile), the counts and cost, the verdict."""
    lines = []
    for target in matrix.targets:
        label = f"target {target.label}: " if len(matrix.targets) > 1 else "target: "
        models = sum(matrix.columns[i].model is not None for i in target.columns)
        lines.append(label + target_text(target.base_url, target.kind, target.profile, target.strict)
                     + (f", {models} model{'s' if models != 1 else ''}" if models else ""))
        lines += _wrapped("  " if len(matrix.targets) > 1 else "", summary_text(target), 3)
    failed = [c.label for c in matrix.columns if c.verdict == FAILED]
    total = len(matrix.columns)
    if {c.verdict for c in matrix.columns} - {CERTIFIED, FAILED}:  # a partial run, or a column nothing judged
        lines.append(_fit("verdict: " + overall_text(matrix, [c.label for c in matrix.columns])))
    elif total == 1:
        lines.append(_fit(f"verdict: {matrix.columns[0].verdict.upper()} ({matrix.columns[0].label})"))
    elif failed:
        line = f"verdict: {FAILED.upper()} in {len(failed)} of {total} columns ("
        lines.append(_fit(line + _named_within(failed, WIDTH - len(line) - 1) + ")"))
    else:
        lines.append(f"verdict: {CERTIFIED.upper()} in every column ({total})")
    return lines
