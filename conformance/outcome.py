"""Outcomes: the verdict of one check of one requirement on one endpoint, ready for a report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

OUTCOMES = ("passed", "failed", "skipped", "error")


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
    violations: list[str] = field(default_factory=list)
    violations_more: int = 0

    def as_dict(self) -> dict:
        return asdict(self)

    def counts_against(self, strict: bool) -> bool:
        """Whether this outcome makes a certification fail: a MUST that failed (also SHOULD under --strict)."""
        levels = ("MUST", "SHOULD") if strict else ("MUST",)
        return self.level in levels and self.outcome in ("failed", "error")
