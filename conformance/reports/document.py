"""Reports: the outcomes of a run as one dict, and its views: JSON (for CI), Markdown, terminal, HTML, JUnit.

Built only from outcomes, the catalogue and the cost; the target's key is never
an input, so it cannot appear in any of them. The terminal, Markdown and HTML
views all render the same matrix (conformance/reports/matrix.py); the verdict is the one rule of
conformance/outcomes/verdict.py.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Iterator

from ..outcomes.outcome import Outcome, not_judged
from ..outcomes.verdict import OUTCOMES, Coverage, model_verdict, run_verdict, verdict_of, verdict_words
from ..run.certification import Certification
from ..run.plan import Plan
from ..wire.cost import Cost
from ..wire.target import Target
from . import certificate
from .reportfile import save


def build(target: Target, plan: Plan, outcomes: list[Outcome], cost: Cost, strict: bool = False,
          coverage: Coverage | None = None) -> dict:
    """The report as data: every other view (terminal, Markdown, HTML, JUnit, diffs) is rendered from it."""
    facts = {"base_url": target.base_url, "kind": target.kind, "profile": target.profile}
    return assemble(facts, list(plan.all_models), outcomes, cost.as_dict(), strict, coverage)


def assemble(target: dict, models: list[str], outcomes: list[Outcome], cost: dict, strict: bool,
             coverage: Coverage | None = None) -> dict:
    """The report of any run that judged these outcomes (certify's, load's): target, verdict, how much of the profile
    it checked (`coverage`, certify's), summaries, cost, checks."""
    return {
        "target": {**target, "models": models},
        "models": models,
        "strict": strict,
        "verdict": run_verdict(_triples(outcomes), models, strict, coverage),
        **({"coverage": coverage.as_dict()} if coverage is not None else {}),
        "summary": counts(outcomes),
        "summary_by_model": by_model(models, outcomes, strict, coverage),
        "cost": cost,
        "not_judged": not_judged(outcomes),
        "checks": [o.as_dict() for o in outcomes],
    }


def outcomes_verdict(outcomes: list[Outcome], strict: bool, coverage: Coverage | None = None) -> str:
    """The verdict of these outcomes, by the one rule (conformance/outcomes/verdict.py)."""
    return verdict_of(((o.level, o.outcome) for o in outcomes), strict, coverage)


def _triples(outcomes: list[Outcome]) -> list[tuple[str, str, str | None]]:
    return [(o.level, o.outcome, o.model) for o in outcomes]


def counts(outcomes: list[Outcome]) -> dict[str, int]:
    """How many checks came to each outcome, every outcome named."""
    found = Counter(o.outcome for o in outcomes)
    return {name: found.get(name, 0) for name in OUTCOMES}


def of_certification(run: Certification) -> dict:
    """The report of a finished certification run."""
    assert run.session is not None and run.plan is not None
    return build(run.session.target, run.plan, run.outcomes, run.cost, run.options.strict, run.coverage())


def by_model(models: list[str], outcomes: list[Outcome], strict: bool, coverage: Coverage | None = None) -> dict[str, dict]:
    """Per model, its checks and the model-independent ones: counts and a verdict of its own."""
    table = {}
    for model in models:
        mine = [o for o in outcomes if o.model in (None, model)]
        table[model] = {**counts(mine), "verdict": model_verdict(_triples(outcomes), model, strict, coverage)}
    return table


def terminal(report: dict, quiet: bool = False) -> str:
    """The terminal view: the report as a matrix (one column per model), its failures and verdict (`quiet`: no matrix)."""
    from .matrix import build
    from .terminal import render

    return render(build([report]), quiet)


def markdown(report: dict) -> str:
    """The Markdown view: the certificate's verdict block a person reads in seconds, then the matrix."""
    from .markdown import render
    from .matrix import build

    title, _, rest = render(build([report])).partition("\n")
    return "\n".join([title, "", *certificate.markdown_block(report), rest.lstrip("\n")])


def violations(o: Outcome) -> list[str]:
    """Every violation listed for a failure (more than one, or the count of those left out)."""
    if len(o.violations) < 2 and not o.violations_more:
        return []
    return o.violations + ([f"… and {o.violations_more} more"] if o.violations_more else [])


def _json_pieces(report: dict) -> Iterator[str]:
    """The JSON report as the encoder makes it, piece by piece (with indent it is pure Python, and joining a hundred
    models' pieces into one string took more memory than the run itself)."""
    yield from json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(report)
    yield "\n"


def write(report: dict, outcomes: list[Outcome], json_path: str | None, md_path: str | None,
          junit_path: str | None = None, html_path: str | None = None) -> list[tuple[str, str, str | None]]:
    """Write the reports asked for; (kind, path, None) for each written, (kind, path, why) for one that could not be.

    Every path was checked writable before the run (reportfile.check_writable); one that fails now (a disk full,
    a directory removed meanwhile) loses that report only, never the others or the summary."""
    duration = (report.get("certificate") or {}).get("duration_s")
    wall_s = duration if isinstance(duration, (int, float)) else None
    verdict = verdict_words(report["verdict"], Coverage.read(report.get("coverage")))

    def junit() -> bytes:
        from .junit import render

        return render(outcomes, wall_s=wall_s, verdict=verdict)

    def html() -> str:
        from .html import render
        from .matrix import build

        return render(build([report]))

    views = (("JUnit XML", junit_path, junit),
             ("JSON", json_path, lambda: _json_pieces(report)),
             ("Markdown", md_path, lambda: markdown(report)), ("HTML", html_path, html))
    return [(kind, path, save(path, render())) for kind, path, render in views if path]
