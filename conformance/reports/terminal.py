"""The terminal view of a matrix: plain text, readable at 120 columns."""

from __future__ import annotations

from .matrix import MARKS, SHORT, Matrix, headers, overall_text, row_marks, summary_text, verdict_text
from .text import clip, one_line

WIDTH = 120


def render(matrix: Matrix) -> str:
    """Plain text, readable at 120 columns: the matrix, a legend, the verdict per column, the failures per column."""
    if not matrix.columns:
        return "no checks"
    id_width = max([len("requirement") + 1] + [len(r.id) + 3 for r in matrix.rows])
    level_width = max([5] + [len(r.level) for r in matrix.rows])
    lead = id_width + level_width + 1
    names, keyed = headers(matrix, WIDTH - lead - 20)
    step = max([len(SHORT["error"])] + [len(n) for n in names]) + 2
    room = WIDTH - lead - len(names) * step
    per_table = len(names) if room >= 20 else max(1, (WIDTH - lead) // step)  # too many columns: several tables
    lines: list[str] = []
    for first in range(0, len(names), per_table):
        shown = range(first, min(first + per_table, len(names)))
        if first:
            lines.append("")
        lines.append(f"{'requirement':<{id_width}}{'level':<{level_width}} " + "".join(f"{names[i]:<{step}}" for i in shown))
        for a in matrix.areas:
            lines.append(a.name)
            for row in a.rows:
                marks = row_marks(row, len(names))
                text = f"  {row.id:<{id_width - 2}}{row.level:<{level_width}} " + "".join(f"{marks[i]:<{step}}" for i in shown)
                if room >= 20:
                    text += clip(row.statement, room)
                lines.append(text.rstrip())
    if keyed:
        lines += [""] + [f"{n} = {c.label}" for n, c in zip(names, matrix.columns, strict=True)]
    lines += ["", "legend: " + "; ".join(f"{SHORT[m]} {m}" for m in MARKS),
              "        a model-independent check (GET /models, missing or wrong key) counts for every column of its target"]
    lines += ["", "verdict per column:"]
    name_width = max(len(n) for n in names)
    label_width = max(len(c.label) for c in matrix.columns)
    for n, column in zip(names, matrix.columns, strict=True):
        label = f"{n:<{name_width}}  " + (f"{column.label:<{label_width}}  " if keyed else "")
        lines.append(f"  {label}{verdict_text(column)}")
    for target in matrix.targets:
        prefix = f"{target.label}: " if len(matrix.targets) > 1 else ""
        lines.append(f"{prefix}{summary_text(target)}")
    lines.append(f"verdict: {overall_text(matrix, names)}")
    for group in matrix.failures:
        lines += ["", f"Failures, {group.title} (requirement, expected, actual):"]
        for c in group.checks:
            lines += [f"  {c.id} [{c.level}] {c.endpoint} ({c.case}): {c.statement}",
                      f"    expected: {one_line(c.expected) or '-'}", f"    actual:   {one_line(c.actual)}"]
            for v in c.violations:
                lines.append(f"    violation: {one_line(v)}")
            if c.violations_more:
                lines.append(f"    ... and {c.violations_more} more violations")
    return "\n".join(lines)
