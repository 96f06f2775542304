"""The matrix of one or more JSON reports: requirements as rows, target x model as columns.

One view-model, built only from report dicts (the shape `certify --report-json` writes), feeds every
renderer: the terminal (reports/terminal.py), Markdown (reports/markdown.py) and HTML (reports/html.py). Older reports without
`model`, `violations`, `models` or `summary_by_model` are read as one column per report.

A model-independent check (model null: `GET /models`, the missing- and wrong-key cases) belongs to every
column of its report: it is folded into each of them for the cell marks and verdicts, and counted once
(one cell spanning the report's columns when a requirement has only such checks there; one failure entry).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from dataclasses import dataclass, field
from itertools import product
from typing import Any

from ..catalogue.requirements import CATALOGUE, LEVELS
from ..outcomes.verdict import (
    CERTIFIED,
    ERROR,
    FAILED,
    FAILING,
    NOT_JUDGED,
    OUTCOMES,
    PARTIAL,
    PASSED,
    SKIP_KINDS,
    SKIPPED,
    Coverage,
    combined,
    counts_against,
    model_verdict,
    verdict_words,
)
from ..wire.cost import describe

_CATALOGUE = {r.id: r for r in CATALOGUE}
_ORDER = {r.id: i for i, r in enumerate(CATALOGUE)}

# Cell marks, worst first: the worst mark among a cell's checks is the cell's mark.
WORST_FIRST = ("error", "fail", "not judged", "pass", "not supported", "skip")
NOT_CHECKED = "not checked"  # the mark of a cell with no check at all
MARKS = WORST_FIRST + (NOT_CHECKED,)
SHORT = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP", "not supported": "N/S", "error": "ERROR", "not judged": "N/J",
         NOT_CHECKED: "-"}


class NotAReport(ValueError):
    """A dict that is not a conformance report: the one-line reason is the message."""


def area(requirement_id: str) -> str:
    """The requirement's area: its id without the trailing -NNN (CHAT-STREAM-003 -> CHAT-STREAM)."""
    return re.sub(r"-\d+$", "", requirement_id)


def mark(outcome: str, actual: str = "", skip_kind: str = "") -> str:
    """A check's cell mark: its outcome, with the two kinds of skip (not supported, not judged) told apart.

    Older reports have no `skip_kind`: their kind is read from the reason's prefix."""
    if outcome == SKIPPED:
        return skip_kind or next((k for k in SKIP_KINDS if actual.startswith(k)), "") or "skip"
    return {PASSED: "pass", FAILED: "fail", ERROR: "error"}[outcome]


def validate(report: Any) -> None:
    """Raise NotAReport unless `report` has the shape every reader relies on: a list of checks with id and outcome."""
    if not isinstance(report, dict) or not isinstance(report.get("checks"), list):
        raise NotAReport("not a conformance report (no list of checks)")
    for i, check in enumerate(report["checks"]):
        if not isinstance(check, dict) or not isinstance(check.get("id"), str) or check.get("outcome") not in OUTCOMES:
            raise NotAReport(f"not a conformance report (check {i} has no id or no known outcome)")


@dataclass(frozen=True)
class MatrixCheck:
    """One check of a report, with the defaults older reports need."""

    id: str
    level: str
    endpoint: str
    model: str | None
    statement: str
    source: str
    case: str
    outcome: str
    expected: str
    actual: str
    violations: tuple[str, ...]
    violations_more: int
    exchange: str
    target: int
    skip_kind: str = ""

    @classmethod
    def read(cls, raw: dict, target: int) -> MatrixCheck:
        requirement = _CATALOGUE.get(raw["id"])
        return cls(
            id=raw["id"], level=str(raw.get("level") or ""), endpoint=str(raw.get("endpoint") or ""),
            model=str(raw["model"]) if raw.get("model") else None,
            statement=str(raw.get("statement") or (requirement.statement if requirement else "")),
            source=str(raw.get("source") or (requirement.cited() if requirement else "")),
            case=str(raw.get("case") or ""), outcome=raw["outcome"], expected=str(raw.get("expected") or ""),
            actual=str(raw.get("actual") or ""), violations=tuple(str(v) for v in raw.get("violations") or ()),
            violations_more=int(raw.get("violations_more") or 0), exchange=str(raw.get("exchange") or ""),
            target=target, skip_kind=str(raw.get("skip_kind") or ""))

    @property
    def mark(self) -> str:
        return mark(self.outcome, self.actual, self.skip_kind)

    @property
    def failing(self) -> bool:
        return self.outcome in FAILING

    @property
    def other_violations(self) -> tuple[str, ...]:
        """The violations worth listing besides `actual`: one that only repeats it says nothing new."""
        return tuple(v for v in self.violations if " ".join(v.split()) != " ".join(self.actual.split()))

    def as_dict(self) -> dict:
        return {"id": self.id, "level": self.level, "endpoint": self.endpoint, "model": self.model, "case": self.case,
                "outcome": self.outcome, "mark": self.mark, "expected": self.expected, "actual": self.actual,
                "violations": list(self.violations), "violations_more": self.violations_more, "exchange": self.exchange}


@dataclass
class Column:
    index: int
    target: int
    model: str | None
    label: str
    verdict: str = CERTIFIED
    broken_by: list[str] = field(default_factory=list)  # requirement ids whose failure decided the verdict


@dataclass
class MatrixTarget:
    """One report: its label, the columns it contributes, and its totals (each check counted once)."""

    index: int
    label: str
    base_url: str
    kind: str
    profile: str
    strict: bool
    columns: list[int]
    summary: dict[str, int]
    cost: dict[str, int] | None
    musts_not_judged: int = 0
    certificate: dict = field(default_factory=dict)  # what judged the report, when (reports/certificate.py); {} if older
    coverage: Coverage | None = None  # how much of its profile the report checked (None: an older report, all)


@dataclass
class Cell:
    """The mark of one requirement in one column, or in several adjacent columns of one target (`columns`)."""

    index: int  # -1 for a cell not judged
    row: str
    columns: tuple[int, ...]
    mark: str
    checks: list[MatrixCheck]

    @property
    def judged(self) -> bool:
        return self.mark != NOT_CHECKED


@dataclass
class Row:
    id: str
    area: str
    levels: tuple[str, ...]
    statement: str
    source: str
    cells: list[Cell]

    @property
    def level(self) -> str:
        return "/".join(self.levels)


@dataclass
class Area:
    name: str
    rows: list[Row]


@dataclass
class FailureGroup:
    """The failures of one column (or of one target's model-independent checks), h2spec-style."""

    title: str
    columns: tuple[int, ...]
    checks: list[MatrixCheck]


@dataclass
class Matrix:
    targets: list[MatrixTarget]
    columns: list[Column]
    areas: list[Area]
    failures: list[FailureGroup]

    @property
    def rows(self) -> list[Row]:
        return [row for a in self.areas for row in a.rows]

    @property
    def cells(self) -> list[Cell]:
        """The judged cells, each once (a spanning cell counts once)."""
        return [cell for row in self.rows for cell in row.cells if cell.judged]


def _target_label(report: dict, given: str | None) -> str:
    if given:
        return given
    target = report.get("target") if isinstance(report.get("target"), dict) else {}
    return str(target.get("base_url") or "report")


def _models(report: dict, checks: list[MatrixCheck]) -> list[str | None]:
    """The report's model columns: `models` when given, else the models its checks name, else one column."""
    named = dict.fromkeys(m for m in report.get("models") or () if isinstance(m, str) and m)
    named.update(dict.fromkeys(c.model for c in checks if c.model))
    return list(named) or [None]


def _unique(labels: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} #{seen[label]}")
    return out


def _worst(checks: list[MatrixCheck]) -> str:
    marks = {c.mark for c in checks}
    return next((m for m in WORST_FIRST if m in marks), NOT_CHECKED)


def build(reports: list[dict], labels: list[str] | None = None) -> Matrix:
    """The matrix of these reports; `labels` name the targets (default: each report's base URL)."""
    if labels is not None and len(labels) != len(reports):
        raise ValueError(f"{len(labels)} labels for {len(reports)} reports")
    for report in reports:
        validate(report)
    target_labels = _unique([_target_label(r, labels[i] if labels else None) for i, r in enumerate(reports)])
    several = len(reports) > 1
    targets: list[MatrixTarget] = []
    columns: list[Column] = []
    checks_of: list[list[MatrixCheck]] = []
    for t, report in enumerate(reports):
        checks = [MatrixCheck.read(raw, t) for raw in report["checks"]]
        checks_of.append(checks)
        info = report.get("target") if isinstance(report.get("target"), dict) else {}
        first = len(columns)
        for model in _models(report, checks):
            if model is None:
                label = target_labels[t]
            else:
                label = f"{target_labels[t]} × {model}" if several else model
            columns.append(Column(len(columns), t, model, label))
        summary = {name: sum(1 for c in checks if c.outcome == name) for name in OUTCOMES}
        cost = report.get("cost") if isinstance(report.get("cost"), dict) else None
        targets.append(MatrixTarget(t, target_labels[t], str(info.get("base_url") or ""), str(info.get("kind") or ""),
                              str(info.get("profile") or ""), bool(report.get("strict")), list(range(first, len(columns))),
                              summary, cost, sum(c.mark == "not judged" and c.level == "MUST" for c in checks),
                              report["certificate"] if isinstance(report.get("certificate"), dict) else {},
                              Coverage.read(report.get("coverage"))))
    _verdicts(targets, columns, checks_of)
    rows = _rows(targets, columns, checks_of)
    areas: dict[str, Area] = {}
    for row in rows:
        areas.setdefault(row.area, Area(row.area, [])).rows.append(row)
    return Matrix(targets, columns, list(areas.values()), _failures(targets, columns, checks_of, several))


def _verdicts(targets: list[MatrixTarget], columns: list[Column], checks_of: list[list[MatrixCheck]]) -> None:
    """A column's verdict by the one rule (outcomes/verdict.py) over its checks, model-independent ones included
    (a model's column is "not judged" when none of its model's own checks could be). Derived from the checks,
    never copied from a summary, so it matches the cells; the checks are grouped by model once, so a matrix of
    hundreds of models is not quadratic."""
    by_model: dict[tuple[int, str | None], list[MatrixCheck]] = {}  # (target, model or None for any model)
    for target in targets:
        for c in checks_of[target.index]:
            by_model.setdefault((target.index, c.model), []).append(c)
    for column in columns:
        target = targets[column.target]
        mine = by_model.get((column.target, None), [])
        if column.model is not None:
            mine = mine + by_model.get((column.target, column.model), [])
        column.broken_by = sorted({c.id for c in mine if counts_against(c.level, c.outcome, target.strict)},
                                  key=_row_key)
        column.verdict = model_verdict([(c.level, c.outcome, c.model) for c in mine], column.model, target.strict,
                                       target.coverage)


def _row_key(requirement_id: str) -> tuple[int, str]:
    return (_ORDER.get(requirement_id, len(_ORDER)), requirement_id)


def _rows(targets: list[MatrixTarget], columns: list[Column], checks_of: list[list[MatrixCheck]]) -> list[Row]:
    by_id: dict[str, list[MatrixCheck]] = {}
    for checks in checks_of:
        for c in checks:
            by_id.setdefault(c.id, []).append(c)
    rows: list[Row] = []
    counter = 0
    for rid in sorted(by_id, key=_row_key):
        checks = by_id[rid]
        requirement = _CATALOGUE.get(rid)
        levels = tuple(sorted({c.level for c in checks if c.level},
                              key=lambda level: LEVELS.index(level) if level in LEVELS else len(LEVELS)))
        cells: list[Cell] = []
        for target in targets:
            mine = [c for c in checks if c.target == target.index]
            if mine and all(c.model is None for c in mine):
                cells.append(Cell(counter, rid, tuple(target.columns), _worst(mine), mine))
                counter += 1
                continue
            of_model: dict[str | None, list[MatrixCheck]] = {}
            every = list(dict.fromkeys(columns[ci].model for ci in target.columns))
            for c in mine:  # in their order; a model-independent check joins every column of its target
                for model in [c.model] if c.model is not None else every:
                    of_model.setdefault(model, []).append(c)
            for ci in target.columns:
                inside = of_model.get(columns[ci].model, [])
                if inside:
                    cells.append(Cell(counter, rid, (ci,), _worst(inside), inside))
                    counter += 1
                else:
                    cells.append(Cell(-1, rid, (ci,), NOT_CHECKED, []))
        rows.append(Row(rid, area(rid), levels, requirement.statement if requirement else checks[0].statement,
                        requirement.cited() if requirement else checks[0].source, cells))
    return rows


def _failures(targets: list[MatrixTarget], columns: list[Column], checks_of: list[list[MatrixCheck]], several: bool) -> list[FailureGroup]:
    groups: list[FailureGroup] = []
    for target in targets:
        failed = sorted((c for c in checks_of[target.index] if c.failing), key=lambda c: _row_key(c.id))
        by_model = [columns[ci].model for ci in target.columns]
        if by_model != [None]:
            shared = [c for c in failed if c.model is None]
            if shared:
                title = f"{target.label} × any model" if several else "any model"
                groups.append(FailureGroup(title, tuple(target.columns), shared))
        for ci in target.columns:
            column = columns[ci]
            mine = [c for c in failed if c.model == column.model]
            if mine:
                groups.append(FailureGroup(column.label, (ci,), mine))
    return groups


def letters(n: int) -> list[str]:
    """A, B, ..., Z, AA, AB, ...: short column names for a key."""
    names: list[str] = []
    size = 1
    while len(names) < n:
        names += ["".join(p) for p in product(string.ascii_uppercase, repeat=size)]
        size += 1
    return names[:n]


def headers(matrix: Matrix, room: int, longest: int = 14) -> tuple[list[str], bool]:
    """Column headers: the labels when they fit, else letters A, B, C (second item True: a key is needed)."""
    labels = [c.label for c in matrix.columns]
    width = max([len(SHORT["error"])] + [len(label) for label in labels])
    if max(len(label) for label in labels) <= longest and len(labels) * (width + 2) <= room:
        return labels, False
    return letters(len(labels)), True


def verdict_text(column: Column) -> str:
    """A column's verdict as shown: CERTIFIED, PARTIAL, NOT JUDGED, or FAILED with the requirements that decided it."""
    if column.verdict != FAILED:
        return column.verdict.upper()
    shown = ", ".join(column.broken_by[:5]) + (f" and {len(column.broken_by) - 5} more" if len(column.broken_by) > 5 else "")
    return FAILED.upper() + (f": {shown}" if shown else "")


def verdict(matrix: Matrix) -> str:
    """The verdict of the whole matrix: FAILED when a column failed, else the best the columns allow."""
    return combined(c.verdict for c in matrix.columns)


def overall_text(matrix: Matrix, names: list[str]) -> str:
    """The matrix's verdict in one line, naming the columns (by `names`) that did not come out certified.

    `CERTIFIED in every column (3)`, `FAILED in 1 of 3 columns (B); NOT JUDGED in 1 (C)`, or for a report that
    left requirements out `PARTIAL: 1 of 100 requirements checked (-k AUTH-001)`."""
    total = len(matrix.columns)
    by_verdict: dict[str, list[str]] = {}
    for name, column in zip(names, matrix.columns, strict=True):
        by_verdict.setdefault(column.verdict, []).append(name)
    if set(by_verdict) == {CERTIFIED}:
        return f"{CERTIFIED.upper()} in every column ({total})"
    coverages = {t.coverage for t in matrix.targets if t.coverage is not None and t.coverage.partial}
    parts = []
    for kind in (FAILED, NOT_JUDGED, PARTIAL, CERTIFIED):
        named = by_verdict.get(kind, [])
        if not named:
            continue
        if len(named) == total:
            word = verdict_words(kind, next(iter(coverages)) if len(coverages) == 1 else None)
            parts.append(word if kind in (PARTIAL, NOT_JUDGED) else f"{word} in every column ({total})")
        else:
            parts.append(f"{kind.upper()} in {len(named)} of {total} columns ({', '.join(named)})")
    if PARTIAL in by_verdict and len(coverages) == 1 and len(by_verdict[PARTIAL]) < total:
        parts.append(next(iter(coverages)).text())
    return "; ".join(parts)


def counts_text(summary: dict[str, int]) -> str:
    """`3 passed, 1 failed, 0 skipped, 0 error`: a report's `summary` in words."""
    return ", ".join(f"{summary.get(name, 0)} {name}" for name in OUTCOMES)


def summary_text(target: MatrixTarget) -> str:
    text = counts_text(target.summary)
    if target.coverage is not None and target.coverage.partial:
        text += f"; {PARTIAL.upper()}: {target.coverage.text()}"
    if target.musts_not_judged:
        text += f" ({target.musts_not_judged} MUST checks not judged: no evidence in the answer)"
    if target.cost:
        text += f"; {describe(target.cost)}"
    return text


def row_marks(row: Row, columns: int) -> list[str]:
    """The row's short mark per column (a spanning cell repeats its mark in each column it covers)."""
    marks = [SHORT[NOT_CHECKED]] * columns
    for cell in row.cells:
        for i in cell.columns:
            marks[i] = SHORT[cell.mark]
    return marks


def distinct_checks(row: Row) -> list[MatrixCheck]:
    """The row's checks, each once (a model-independent check sits in several cells of its target)."""
    seen: dict[int, MatrixCheck] = {}
    for cell in row.cells:
        for c in cell.checks:
            seen.setdefault(id(c), c)
    return list(seen.values())


def model_text(matrix: Matrix, check: MatrixCheck) -> str:
    """A check's model as a reader should see it; a report older than the matrix records none."""
    if check.model:
        return check.model
    if [c.model for c in matrix.columns if c.target == check.target] == [None]:
        return "not recorded in this report"
    return "any (model-independent)"


def where(matrix: Matrix, check: MatrixCheck) -> str:
    """The column a check belongs to, or its target's 'any model' for a model-independent check."""
    column = next((c for c in matrix.columns if c.target == check.target and c.model == check.model), None)
    if column is not None:
        return column.label
    return f"{matrix.targets[check.target].label} × any model" if len(matrix.targets) > 1 else "any model"


def target_text(base_url: str, kind: str = "", profile: str = "", strict: bool = False) -> str:
    """What was judged, in one line: `http://host/v1 (live target, profile crun, strict)`; the same at a run's start
    and in every summary, so a CI log says what was certified."""
    facts = ", ".join(x for x in (kind and f"{kind} target", profile and f"profile {profile}", "strict" if strict else "") if x)
    return (base_url or "unknown target") + (f" ({facts})" if facts else "")


def target_verdict(matrix: Matrix, target: MatrixTarget) -> str:
    """A target's verdict from its columns' (the one rule, applied per column): FAILED when one failed; NOT JUDGED
    when none could be judged; PARTIAL when its report left requirements out; else CERTIFIED."""
    verdicts = {matrix.columns[i].verdict for i in target.columns}
    if FAILED in verdicts:
        return FAILED
    if verdicts == {NOT_JUDGED}:
        return NOT_JUDGED
    return PARTIAL if PARTIAL in verdicts else CERTIFIED


def named(labels: list[str], cap: int = 5) -> str:
    """`a, b, c and 94 more`: a list of names that stays one short line however long it is."""
    shown = ", ".join(labels[:cap])
    return shown + (f" and {len(labels) - cap} more" if len(labels) > cap else "")


def column_marks(matrix: Matrix) -> list[tuple[str, ...]]:
    """Each column's mark in every row, in row order (a spanning cell gives its mark to each column it covers)."""
    rows = matrix.rows
    marks = [[NOT_CHECKED] * len(rows) for _ in matrix.columns]
    for r, row in enumerate(rows):
        for cell in row.cells:
            for i in cell.columns:
                marks[i][r] = cell.mark
    return [tuple(m) for m in marks]


@dataclass
class ColumnGroup:
    """Columns of one target with the same mark in every row, so the same verdict: one line however many models."""

    target: int
    columns: tuple[int, ...]
    verdict: str
    marks: tuple[str, ...]  # the group's mark in every row, in row order
    failed: tuple[str, ...]  # requirement ids, in row order
    errored: tuple[str, ...]
    others: dict[str, int]  # judged rows neither passed nor failing, by mark (not judged, not supported, skip)

    def label(self, matrix: Matrix) -> str:
        """`97 models`, `1 model` (`1 column` for an old report without models)."""
        noun = "model" if matrix.columns[self.columns[0]].model is not None else "column"
        return f"{len(self.columns)} {noun}{'s' if len(self.columns) > 1 else ''}"

    @property
    def outcome(self) -> str:
        """What each of its columns came to, in words: `all pass`; `FAIL CHAT-STREAM-003; 2 not supported`."""
        parts = [f"{SHORT[name]} {named(list(ids))}" for name, ids in (("fail", self.failed), ("error", self.errored)) if ids]
        if not parts:
            parts = ["all pass" if not self.others else "no failure"]
        rest = ", ".join(f"{count} {name}" for name, count in self.others.items())
        return "; ".join(parts + ([rest] if rest else []))


def column_groups(matrix: Matrix) -> list[ColumnGroup]:
    """The columns grouped by identical outcomes, per target: failing groups first, then the largest."""
    rows = matrix.rows
    members: dict[tuple, list[int]] = {}
    for column, marks in zip(matrix.columns, column_marks(matrix), strict=True):
        members.setdefault((column.target, column.verdict, marks), []).append(column.index)
    groups = []
    for (target, verdict, marks), columns in members.items():
        found = Counter(m for m in marks if m not in ("pass", "fail", "error", NOT_CHECKED))
        groups.append(ColumnGroup(target, tuple(columns), verdict, marks,
                                  tuple(row.id for row, m in zip(rows, marks, strict=True) if m == "fail"),
                                  tuple(row.id for row, m in zip(rows, marks, strict=True) if m == "error"),
                                  {m: found[m] for m in WORST_FIRST if found[m]}))
    groups.sort(key=lambda g: (g.target, g.verdict != FAILED, not (g.failed or g.errored), -len(g.columns), g.columns[0]))
    return groups


@dataclass
class FailingRequirement:
    """A requirement that failed (or could not be checked) somewhere: where, and out of how many columns judged."""

    row: Row
    columns: tuple[int, ...]  # the columns whose cell is FAIL or ERROR
    judged: int  # the columns where it was judged at all
    mark: str  # the worst of them: error or fail

    @property
    def must(self) -> bool:
        return "MUST" in self.row.levels


def failing_requirements(matrix: Matrix) -> list[FailingRequirement]:
    """Every requirement with a FAIL or ERROR cell, MUST ones first, then in catalogue order."""
    found = []
    for row in matrix.rows:
        bad = [cell for cell in row.cells if cell.mark in ("fail", "error")]
        if bad:
            found.append(FailingRequirement(row, tuple(sorted(i for cell in bad for i in cell.columns)),
                                            sum(len(cell.columns) for cell in row.cells if cell.judged),
                                            _worst([c for cell in bad for c in cell.checks])))
    return sorted(found, key=lambda f: not f.must)


@dataclass
class FailureEntry:
    """Failing checks that read the same (requirement, case, expected, actual), with every column they failed in."""

    check: MatrixCheck  # the first of them: its evidence stands for all
    where: list[str]  # the columns (or `any model`) they failed in


def failure_entries(matrix: Matrix) -> list[FailureEntry]:
    """Every failing check once, those that read the same merged, MUST first, then in catalogue order."""
    entries: dict[tuple, FailureEntry] = {}
    for group in matrix.failures:
        for c in group.checks:
            key = (c.target, c.id, c.case, c.endpoint, c.level, c.outcome, c.expected, c.actual, c.violations)
            entry = entries.setdefault(key, FailureEntry(c, []))
            entry.where.append(where(matrix, c))
    return sorted(entries.values(), key=lambda e: (e.check.level != "MUST", e.check.target, _row_key(e.check.id), e.check.case))
