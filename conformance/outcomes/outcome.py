"""Outcomes: the verdict of one check of one requirement on one endpoint, ready for a report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

OUTCOMES = ("passed", "failed", "skipped", "error")
# Why a check was skipped, when it is one of the two kinds every report marks on its own: a capability declined
# with a proper error, or no evidence in the answer to judge by (the reason follows in `actual`, after the kind).
NOT_SUPPORTED, NOT_JUDGED = "not supported", "not judged"
SKIP_KINDS = (NOT_SUPPORTED, NOT_JUDGED)


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
        self.outcome, self.skip_kind = "skipped", kind
        self.actual = f"{kind}: {reason}" if kind else reason

    @property
    def not_judged(self) -> bool:
        return self.outcome == "skipped" and self.skip_kind == NOT_JUDGED

    def set_violations(self, found: list[str], cap: int) -> None:
        """Every distinct violation, capped, with a count of the rest."""
        self.violations, self.violations_more = found[:cap], max(0, len(found) - cap)

    def as_dict(self) -> dict:
        return asdict(self)

    def counts_against(self, strict: bool) -> bool:
        """Whether this outcome makes a certification fail: a MUST that failed (also SHOULD under --strict)."""
        levels = ("MUST", "SHOULD") if strict else ("MUST",)
        return self.level in levels and self.outcome in ("failed", "error")


def not_judged(outcomes: list[Outcome]) -> list[dict]:
    """The checks not judged for want of evidence, and why: what a report lists so no one reads them as passed."""
    return [{"id": o.id, "level": o.level, "endpoint": o.endpoint, "model": o.model, "case": o.case,
             "reason": o.actual.removeprefix(f"{NOT_JUDGED}: ")} for o in outcomes if o.not_judged]
