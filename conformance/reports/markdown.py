"""The Markdown view of a matrix: the table, the verdict per column, every failure with its exchange, the skips."""

from __future__ import annotations

from ..outcomes.verdict import SKIPPED
from .matrix import (
    MARKS,
    SHORT,
    Matrix,
    column_groups,
    distinct_checks,
    failing_requirements,
    headers,
    named,
    overall_text,
    row_marks,
    summary_text,
    verdict_text,
    where,
)
from .text import fence, md_text


def render(matrix: Matrix) -> str:
    """The same matrix as a Markdown table, then the verdicts and the details of every failure and skip."""
    lines = ["# Conformance matrix", ""]
    for target in matrix.targets:
        location = f"`{target.base_url}`" if target.base_url else "unknown target"
        label = f"**{md_text(target.label)}**: " if len(matrix.targets) > 1 else ""
        facts = ", ".join(x for x in (target.kind and f"{target.kind} target", target.profile and f"profile `{target.profile}`",
                                       "strict" if target.strict else "") if x)
        lines.append(f"- {label}{location}" + (f" ({facts})" if facts else "") + f". {summary_text(target)}.")
    lines += ["", *_failing(matrix)]
    names, keyed = headers(matrix, 10_000, longest=24)
    lines += ["## Matrix", ""]
    if keyed:
        lines += [f"- **{n}**: {md_text(c.label)}" for n, c in zip(names, matrix.columns, strict=True)] + [""]
    lines += ["| requirement | level | " + " | ".join(md_text(n) for n in names) + " | statement |",
              "|---|---|" + "---|" * len(names) + "---|"]
    for a in matrix.areas:
        lines.append(f"| **{a.name}** | |" + " |" * len(names) + " |")
        for row in a.rows:
            marks = [f"**{m}**" if m in (SHORT["fail"], SHORT["error"]) else m for m in row_marks(row, len(names))]
            lines.append(f"| {row.id} | {row.level} | " + " | ".join(marks) + f" | {md_text(row.statement)} |")
    lines += ["", "Legend: " + "; ".join(f"`{SHORT[m]}` {m}" for m in MARKS) + ".", "", "## Verdict per column", ""]
    lines += [f"- **{md_text(n)}**" + (f" ({md_text(c.label)})" if keyed else "") + f": {verdict_text(c)}"
              for n, c in zip(names, matrix.columns, strict=True)]
    lines += ["", f"Verdict: **{md_text(overall_text(matrix, names))}**"]
    for group in matrix.failures:
        lines += ["", f"## Failures: {md_text(group.title)}", ""]
        for c in group.checks:
            lines += [f"### {c.id} [{c.level}] {md_text(c.endpoint)} ({md_text(c.case)}): {c.outcome}", "",
                      f"- requirement: {md_text(c.statement)}", f"- source: {md_text(c.source)}",
                      f"- expected: {md_text(c.expected) or '-'}", f"- actual: {md_text(c.actual)}"]
            lines += [f"- violation: {md_text(v)}" for v in c.other_violations]
            if c.violations_more:
                lines.append(f"- and {c.violations_more} more violations")
            if c.exchange:
                marker = fence(c.exchange)
                lines += ["", marker, c.exchange, marker]
            lines.append("")
    skipped = [c for row in matrix.rows for c in distinct_checks(row) if c.outcome == SKIPPED]
    if skipped:
        lines += ["", "## Skipped, not judged and not supported", ""]
        lines += [f"- {c.id} {md_text(c.endpoint)} ({md_text(c.case)}), {md_text(where(matrix, c))}: {md_text(c.actual)}" for c in skipped]
    return "\n".join(lines).rstrip() + "\n"


def _failing(matrix: Matrix) -> list[str]:
    """What an operator asks first, before the table: which requirements fail on which models, and how the
    models group by identical outcomes."""
    failing = failing_requirements(matrix)
    lines = ["## Failing requirements", ""]
    if not failing:
        lines += ["None: no requirement failed.", ""]
    else:
        lines += ["| requirement | level | fails on | where |", "|---|---|---|---|"]
        lines += [f"| {f.row.id} | {f.row.level} | {len(f.columns)} of {f.judged} | "
                  f"{md_text(named([matrix.columns[i].label for i in f.columns], 8))} |" for f in failing]
        lines.append("")
    if len(matrix.columns) > 1:
        lines += ["## Columns by outcome", ""]
        for g in column_groups(matrix):
            members = [matrix.columns[i].label for i in g.columns]
            prefix = f"{md_text(matrix.targets[g.target].label)}: " if len(matrix.targets) > 1 else ""
            lines.append(f"- {prefix}**{g.label(matrix)}** ({g.verdict.upper()}): {g.outcome}: {md_text(named(members, 8))}")
        lines.append("")
    return lines
