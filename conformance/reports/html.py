"""The HTML view of a matrix: one self-contained page (styles and script inline, no network fetch).

Rendered with Jinja2 from conformance/reports/templates/report.html.j2 with autoescaping on: every string in a
report may come from a server under test, so none of it may become markup or script. The data the
detail panel shows travels as JSON in a `<script type="application/json">` block (`tojson` escapes `<`,
`>`, `&` and `'`, so a `</script>` inside a value cannot close the block).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from . import matrix as matrices
from .matrix import MARKS, SHORT, Matrix

if TYPE_CHECKING:
    import jinja2


def _code(text: str) -> Markup:
    """A catalogue statement with its `code spans` as <code>: escaped first, so only the tags added here are markup."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    import jinja2  # only a run that writes HTML pays for it

    environment = jinja2.Environment(loader=jinja2.PackageLoader("conformance.reports", "templates"), autoescape=True,
                                     undefined=jinja2.StrictUndefined)
    environment.filters["code"] = _code
    return environment.get_template("report.html.j2")


def _data(matrix: Matrix) -> dict:
    """What the detail panel shows, per judged cell (indexed by Cell.index) and per requirement."""
    cells = sorted(matrix.cells, key=lambda cell: cell.index)
    return {
        "rows": {row.id: {"statement": row.statement, "source": row.source, "level": row.level} for row in matrix.rows},
        "cells": [{"row": cell.row, "where": _where(matrix, cell.columns), "mark": cell.mark,
                   "checks": [c.as_dict() | {"model_text": matrices.model_text(matrix, c)} for c in cell.checks]}
                  for cell in cells],
    }


def _where(matrix: Matrix, columns: tuple[int, ...]) -> str:
    if len(columns) == 1:
        return matrix.columns[columns[0]].label
    target = matrix.targets[matrix.columns[columns[0]].target]
    return f"{target.label} × every model" if len(matrix.targets) > 1 else "every model"


def render(matrix: Matrix) -> str:
    """The page: requirements grouped by area as rows, columns as columns, a detail panel, filters, the failures."""
    data = _data(matrix)
    several = len(matrix.targets) > 1
    title = ", ".join(t.label for t in matrix.targets)
    row_failed = {row.id: any(cell.mark in ("fail", "error") for cell in row.cells) for row in matrix.rows}
    return _template().render(
        matrix=matrix, data=data, several=several, title=title, marks=MARKS, short=SHORT,
        css={m: "m-" + m.replace(" ", "-") for m in MARKS}, row_failed=row_failed,
        cell_labels={i: cell["where"] for i, cell in enumerate(data["cells"])},
        summaries=[matrices.summary_text(t) for t in matrix.targets])


def write(report: dict, path: str | Path, label: str | None = None) -> None:
    """Write the HTML matrix of one certify report to `path` (the call certify makes for --report-html)."""
    page = render(matrices.build([report], [label] if label else None))
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
