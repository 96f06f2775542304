"""Outcomes: the verdict of one check of one requirement on one endpoint, ready for a report."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import verdict
from .verdict import NOT_JUDGED, SKIPPED


@dataclass
class Outcome:
    id: str
    level: str
    endpoint: str
    statement: str
    case: str
    outcome: str
    expected: str = ""
    actual: str = ""
    duration_s: float = 0.0
    exchange: str = ""
    model: str | None = None  # None for a check that does not depend on the model
    source: str = ""
    violations: list[str] = field(default_factory=list)
    violations_more: int = 0  # distinct violations found beyond those listed
    skip_kind: str = ""  # for a skipped check: NOT_SUPPORTED, NOT_JUDGED, or "" (another reason)

    def skip(self, kind: str, reason: str) -> None:
        """Mark the check skipped, of a kind (one of SKIP_KINDS, or "" for another reason) and why."""
        self.outcome, self.skip_kind = SKIPPED, kind
        self.actual = f"{kind}: {reason}" if kind else reason

    @property
    def skip_reason(self) -> str:
        """Why a skipped check was skipped, without the kind `skip` wrote before it."""
        return self.actual.removeprefix(f"{self.skip_kind}: ") if self.skip_kind else self.actual

    @property
    def not_judged(self) -> bool:
        return self.outcome == SKIPPED and self.skip_kind == NOT_JUDGED

    def set_violations(self, found: list[str], cap: int) -> None:
        """Every distinct violation, capped, with a count of the rest."""
        self.violations, self.violations_more = found[:cap], max(0, len(found) - cap)

    def as_dict(self) -> dict:
        """Its fields as plain data, in order: `asdict` without its deep copy, as every field is a string, a number,
        None or a list of strings (a hundred models' reports build tens of thousands of these)."""
        data = dict(self.__dict__)
        data["violations"] = list(self.violations)
        return data

    @property
    def failing(self) -> bool:
        """Failed, or could not run: what a report lists as a failure, whatever its level."""
        return self.outcome in verdict.FAILING

    def counts_against(self, strict: bool) -> bool:
        """Whether this outcome makes a certification fail (the rule in conformance/outcomes/verdict.py)."""
        return verdict.counts_against(self.level, self.outcome, strict)


def not_judged(outcomes: list[Outcome]) -> list[dict]:
    """The checks not judged for want of evidence, and why: what a report lists so no one reads them as passed."""
    return [{"id": o.id, "level": o.level, "endpoint": o.endpoint, "model": o.model, "case": o.case,
             "reason": o.skip_reason} for o in outcomes if o.not_judged]
