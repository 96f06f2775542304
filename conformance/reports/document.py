"""Reports: the outcomes of a run as one dict, and its views: JSON (for CI), Markdown, terminal, HTML, JUnit.

Built only from outcomes, the catalogue and the cost; the target's key is never
an input, so it cannot appear in any of them. The terminal, Markdown and HTML
views all render the same matrix (conformance/reports/matrix.py); the verdict is the one rule of
conformance/outcomes/verdict.py.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from ..outcomes.outcome import Outcome, not_judged
from ..outcomes.verdict import OUTCOMES, verdict_of
from ..run.certification import Certification
from ..run.plan import Plan
from ..wire.cost import Cost
from ..wire.target import Target
from . import certificate


def build(target: Target, plan: Plan, outcomes: list[Outcome], cost: Cost, strict: bool = False) -> dict:
    """The report as data: every other view (terminal, Markdown, HTML, JUnit, diffs) is rendered from it."""
    facts = {"base_url": target.base_url, "kind": target.kind, "profile": target.profile}
    return assemble(facts, list(plan.all_models), outcomes, cost.as_dict(), strict)


def assemble(target: dict, models: list[str], outcomes: list[Outcome], cost: dict, strict: bool) -> dict:
    """The report of any run that judged these outcomes (certify's, load's): target, verdict, summaries, cost, checks."""
    return {
        "target": {**target, "models": models},
        "models": models,
        "strict": strict,
        "verdict": outcomes_verdict(outcomes, strict),
        "summary": counts(outcomes),
        "summary_by_model": by_model(models, outcomes, strict),
        "cost": cost,
        "not_judged": not_judged(outcomes),
        "checks": [o.as_dict() for o in outcomes],
    }


def outcomes_verdict(outcomes: list[Outcome], strict: bool) -> str:
    """CERTIFIED or FAILED, by the one rule (conformance/outcomes/verdict.py)."""
    return verdict_of(((o.level, o.outcome) for o in outcomes), strict)


def counts(outcomes: list[Outcome]) -> dict[str, int]:
    """How many checks came to each outcome, every outcome named."""
    found = Counter(o.outcome for o in outcomes)
    return {name: found.get(name, 0) for name in OUTCOMES}


def of_certification(run: Certification) -> dict:
    """The report of a finished certification run."""
    assert run.session is not None and run.plan is not None
    return build(run.session.target, run.plan, run.outcomes, run.cost, run.options.strict)


def by_model(models: list[str], outcomes: list[Outcome], strict: bool) -> dict[str, dict]:
    """Per model, its checks and the model-independent ones: counts and a verdict of its own."""
    table = {}
    for model in models:
        mine = [o for o in outcomes if o.model in (None, model)]
        table[model] = {**counts(mine), "verdict": outcomes_verdict(mine, strict)}
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


def write(report: dict, outcomes: list[Outcome], json_path: str | None, md_path: str | None,
          junit_path: str | None = None, html_path: str | None = None) -> None:
    if junit_path:
        from .junit import write as write_junit

        write_junit(outcomes, junit_path)
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    if md_path:
        Path(md_path).parent.mkdir(parents=True, exist_ok=True)
        Path(md_path).write_text(markdown(report))
    if html_path:
        from . import html as report_html

        report_html.write(report, html_path)
