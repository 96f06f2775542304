"""The HTML view of a matrix: one self-contained page (styles and script inline, no network fetch).

The first screen answers "did it pass, what broke, for which model": the verdict and the certificate of each
report, then the failing requirements with the models each fails on. Then the models grouped by identical
outcomes, every failure in full (a few per requirement, the others one click further), and the grid. Up to
GROUP_ABOVE columns the grid has a column per model; above, a column per group of identical outcomes ("97
models"), and the grid of every model is drawn by the page's script from compact data (a letter per cell)
only when asked for, so a report of 300 models stays small and opens at once.

Rendered with Jinja2 from conformance/reports/templates/report.html.j2 with autoescaping on: every string in a
report may come from a server under test, so none of it may become markup or script. The data the detail
panel shows travels as JSON in a `<script type="application/json">` block (`tojson` escapes `<`, `>`, `&` and
`'`, so a `</script>` inside a value cannot close the block); the evidence of checks that read the same on
several models is kept once, with the columns it stands for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from ..outcomes.verdict import FAILED, NOT_JUDGED, PARTIAL
from . import matrix as matrices
from .matrix import MARKS, NOT_CHECKED, SHORT, Matrix, MatrixTarget, Row

if TYPE_CHECKING:
    import jinja2

GROUP_ABOVE = 12  # more columns than this: the grid shows one column per group of identical outcomes
SHOWN_PER_REQUIREMENT = 3  # failures shown in full per requirement before the grid; the others one click further
CODES = {mark: code for mark, code in zip(MARKS, "efjpns-", strict=True)}  # one letter per mark, for the full grid
CSS = {mark: "m-" + mark.replace(" ", "-") for mark in MARKS}  # the class that colours a mark


def code_spans(text: str) -> Markup:
    """A catalogue statement with its `code spans` as <code>: escaped first, so only the tags added here are markup."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    import jinja2  # only a run that writes HTML pays for it

    environment = jinja2.Environment(loader=jinja2.PackageLoader("conformance.reports", "templates"), autoescape=True,
                                     undefined=jinja2.StrictUndefined)
    environment.filters["code"] = code_spans
    return environment.get_template("report.html.j2")


def spans(columns: tuple[int, ...] | list[int]) -> str:
    """Column indices as ranges: (0, 1, 2, 5) -> `0-2,5`."""
    out: list[str] = []
    for i in sorted(columns):
        if out and out[-1][1] == i - 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in out)


@dataclass
class GridColumn:
    """A column of the grid: one matrix column, or a group of columns with identical outcomes."""

    label: str
    title: str
    columns: tuple[int, ...]
    target: int
    verdict: str
    where: str  # what a cell of it is called in the detail panel


@dataclass
class GridCell:
    index: int
    mark: str
    columns: tuple[int, ...]  # the matrix columns it stands for
    span: int  # the grid columns it covers
    where: str

    @property
    def judged(self) -> bool:
        return self.mark != NOT_CHECKED


@dataclass
class GridRow:
    row: Row
    cells: list[GridCell]
    failed: bool
    must: bool


def _where(matrix: Matrix, columns: tuple[int, ...]) -> str:
    if len(columns) == 1:
        return matrix.columns[columns[0]].label
    target = matrix.targets[matrix.columns[columns[0]].target]
    return f"{target.label} × every model" if len(matrix.targets) > 1 else "every model"


def _grid(matrix: Matrix, groups: list[matrices.ColumnGroup] | None) -> tuple[list[GridColumn], list[tuple[str, list[GridRow]]]]:
    """The grid's columns and its rows by area: a column per matrix column, or per group when `groups` is given.
    A model-independent requirement stays one cell spanning its target's columns either way."""
    if groups is None:
        columns = [GridColumn(c.label, c.label, (c.index,), c.target, c.verdict, c.label) for c in matrix.columns]
    else:
        columns = [GridColumn(g.label(matrix), f"{g.outcome}: " + ", ".join(matrix.columns[i].label for i in g.columns),
                              g.columns, g.target, g.verdict, f"{g.label(matrix)}, {g.outcome}") for g in groups]
    counter = 0
    areas = []
    for a in matrix.areas:
        rows = []
        for row in a.rows:
            cells: list[GridCell] = []
            for target in matrix.targets:
                mine = [c for c in columns if c.target == target.index]
                of_target = [cell for cell in row.cells if matrix.columns[cell.columns[0]].target == target.index]
                if len(of_target) == 1 and len(of_target[0].columns) > 1:  # model-independent: one cell for the target
                    parts = [(of_target[0].mark, of_target[0].columns, len(mine), _where(matrix, of_target[0].columns))]
                elif groups is None:
                    parts = [(cell.mark, cell.columns, 1, _where(matrix, cell.columns)) for cell in of_target]
                else:
                    parts = [(_mark_of(of_target, column.columns[0]), column.columns, 1, column.where) for column in mine]
                for mark, covered, span, where in parts:
                    cells.append(GridCell(counter, mark, covered, span, where))
                    counter += 1
            rows.append(GridRow(row, cells, any(c.mark in ("fail", "error") for c in row.cells), "MUST" in row.levels))
        areas.append((a.name, rows))
    return columns, areas


def _mark_of(cells: list[matrices.Cell], column: int) -> str:
    return next(cell.mark for cell in cells if column in cell.columns)


def _evidence(matrix: Matrix) -> dict[str, list[dict]]:
    """Per requirement, its checks' evidence, each distinct reading once with the columns (`cols`) it stands for."""
    column_of = {(c.target, c.model): c.index for c in matrix.columns}
    out: dict[str, list[dict]] = {}
    for row in matrix.rows:
        entries: dict[tuple, dict] = {}
        for c in matrices.distinct_checks(row):
            shared = c.model is None
            fields = {"endpoint": c.endpoint, "case": c.case, "level": c.level, "outcome": c.outcome, "mark": c.mark,
                      "expected": c.expected, "actual": c.actual, "violations": list(c.other_violations),
                      "violations_more": c.violations_more, "exchange": c.exchange,
                      "model": matrices.model_text(matrix, c) if shared else ""}
            fields = {name: value for name, value in fields.items() if value}  # the page reads a missing field as empty
            key = (c.target, shared, repr(sorted(fields.items())))
            entry = entries.setdefault(key, {**fields, "cols": []})
            entry["cols"] += matrix.targets[c.target].columns if shared else [column_of[(c.target, c.model)]]
        out[row.id] = [{**e, "cols": spans(sorted(set(e["cols"])))} for e in entries.values()]
    return out


def _data(matrix: Matrix, grouped: bool) -> dict:
    """What the page's script needs: the rows, the columns, the evidence; and, when grouped, every column's marks."""
    data = {
        "rows": {row.id: {"statement": row.statement, "source": row.source, "level": row.level} for row in matrix.rows},
        "columns": [{"label": c.label, "verdict": c.verdict} for c in matrix.columns],
        "evidence": _evidence(matrix),
        "short": SHORT,
        "css": CSS,
    }
    if grouped:
        data["codes"] = {code: mark for mark, code in CODES.items()}
        data["areas"] = [[a.name, [row.id for row in a.rows]] for a in matrix.areas]
        marks = matrices.column_marks(matrix)
        data["marks"] = {row.id: "".join(CODES[m[r]] for m in marks) for r, row in enumerate(matrix.rows)}
    return data


@dataclass
class TargetView:
    """One report's first-screen block: its verdict in words, its counts, and its certificate."""

    target: MatrixTarget
    verdict: str
    detail: str
    models: int


def _target_view(matrix: Matrix, target: MatrixTarget) -> TargetView:
    verdict = matrices.target_verdict(matrix, target)
    columns = [matrix.columns[i] for i in target.columns]
    failed = [c for c in columns if c.verdict == FAILED]
    levels = "MUST or SHOULD" if target.strict else "MUST"
    noun = "models" if columns[0].model is not None else "columns"
    if failed:
        order = {row.id: i for i, row in enumerate(matrix.rows)}
        broken = sorted({rid for c in failed for rid in c.broken_by}, key=order.__getitem__)
        detail = f"{len(failed)} of {len(columns)} {noun} failed a {levels}: {matrices.named(broken, 8)}"
    elif verdict == NOT_JUDGED:
        detail = "no check could be judged"
    else:
        detail = f"every {levels} held in every one of the {len(columns)} {noun}" if len(columns) > 1 else f"every {levels} held"
        if verdict == PARTIAL and target.coverage is not None:
            detail = f"{target.coverage.text()}; {detail} among those"
    return TargetView(target, verdict, detail, sum(c.model is not None for c in columns))


def render(matrix: Matrix) -> str:
    """The page: verdicts and certificates, failing requirements, groups, the grid and its detail panel, failures."""
    grouped = len(matrix.columns) > GROUP_ABOVE
    groups = matrices.column_groups(matrix)
    columns, areas = _grid(matrix, groups if grouped else None)
    several = len(matrix.targets) > 1
    by_requirement: dict[str, list[matrices.MatrixCheck]] = {}
    for group in matrix.failures:
        for c in group.checks:
            by_requirement.setdefault(c.id, []).append(c)
    labels = [c.label for c in matrix.columns]
    return _template().render(
        matrix=matrix, data=_data(matrix, grouped), several=several, grouped=grouped,
        title=", ".join(t.label for t in matrix.targets), marks=MARKS, short=SHORT,
        css=CSS, grid_columns=columns, areas=areas,
        targets=[_target_view(matrix, t) for t in matrix.targets], summaries=[matrices.summary_text(t) for t in matrix.targets],
        failing=[(f, [labels[i] for i in f.columns], by_requirement.get(f.row.id, []))
                 for f in matrices.failing_requirements(matrix)],
        groups=[(g, [labels[i] for i in g.columns]) for g in groups], spans=spans, named=matrices.named,
        shown_per_requirement=SHOWN_PER_REQUIREMENT,
        where=lambda c: matrices.where(matrix, c))


def write(report: dict, path: str | Path, label: str | None = None) -> None:
    """Write the HTML matrix of one certify report to `path` (the call certify makes for --report-html)."""
    page = render(matrices.build([report], [label] if label else None))
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
